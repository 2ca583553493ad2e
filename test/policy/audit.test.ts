import { auditIncidents, emergencyReview, type IssueFacts } from "../../src/policy/audit.js";
import { csvField } from "../../src/render/audit-report.js";

const NOW = new Date("2026-10-15T09:00:00Z");
const MERGED = "2026-08-01T08:00:00Z";

function followUp(state: "open" | "closed", closedAt: string | null, body = "<!-- change-policy:follow-up acme/api#12 -->"): IssueFacts {
  return { number: 30, title: "Post-implementation review", state, url: "u", body, createdAt: MERGED, closedAt };
}

test.each([
  ["no follow-up issue", null, NOW, "missing", "2026-08-03T08:00:00Z"],
  ["closed before the due time", followUp("closed", "2026-08-03T07:59:59Z"), NOW, "on time", "2026-08-03T08:00:00Z"],
  ["closed exactly at the due time", followUp("closed", "2026-08-03T08:00:00Z"), NOW, "on time", "2026-08-03T08:00:00Z"],
  ["closed after the due time", followUp("closed", "2026-08-03T08:00:01Z"), NOW, "late", "2026-08-03T08:00:00Z"],
  ["open, not yet due", followUp("open", null), new Date("2026-08-02T00:00:00Z"), "open", "2026-08-03T08:00:00Z"],
  ["open past the due time", followUp("open", null), NOW, "overdue", "2026-08-03T08:00:00Z"],
  [
    "the due time recorded at merge wins over the config",
    followUp("closed", "2026-08-04T00:00:00Z", "<!-- change-policy:follow-up acme/api#12 -->\n<!-- change-policy:post-review due=2026-08-04T08:00:00Z from=cto-ciso remind-before-hours=12 -->"),
    NOW,
    "on time",
    "2026-08-04T08:00:00Z",
  ],
])("emergency review: %s → %s", (_name, issue, now, status, due) => {
  const review = emergencyReview(MERGED, 48, issue, now);
  expect(review.status).toBe(status);
  expect(review.due).toBe(due);
});

test("incidents of the period: the app's for this repository, and hand-filed ones only in the repository itself", () => {
  const issue = (number: number, body: string, createdAt = "2026-08-01T00:00:00Z"): IssueFacts => ({ number, title: `t${number}`, state: "open", url: "u", body, createdAt, closedAt: null });
  const issues = [
    issue(1, "<!-- change-policy:incident bypass acme/api#4 -->"),
    issue(2, "<!-- change-policy:incident bypass acme/web#4 -->"),
    issue(3, "filed by a person"),
    issue(4, "<!-- change-policy:incident bypass acme/api#5 -->", "2026-06-30T23:59:59Z"),
    issue(5, "<!-- change-policy:incident bypass ACME/API#6 -->", "2026-09-30T23:59:59Z"),
  ];
  const period: [Date, Date] = [new Date("2026-07-01T00:00:00Z"), new Date("2026-09-30T23:59:59Z")];
  expect(auditIncidents(issues, { owner: "acme", repo: "api" }, true, ...period).map((i) => [i.number, i.kind, i.subject])).toEqual([
    [1, "bypass", "#4"],
    [3, "other", null],
    [5, "bypass", "#6"],
  ]);
  expect(auditIncidents(issues, { owner: "acme", repo: "api" }, false, ...period).map((i) => i.number)).toEqual([1, 5]);
});

test.each([
  ["plain", "plain"],
  ["a, b", '"a, b"'],
  ['say "hi"', '"say ""hi"""'],
  ["two\nlines", '"two\nlines"'],
  ["=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""],
  ["+1", "'+1"],
  ["-rf", "'-rf"],
  ["@cmd", "'@cmd"],
])("csv field %j → %j", (value, expected) => {
  expect(csvField(value)).toBe(expected);
});
