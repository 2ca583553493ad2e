import {
  completionTiming,
  dueTime,
  followUpAssignees,
  followUpRepository,
  formatDelay,
  readFollowUpMarker,
  readReviewTerms,
  sweepAction,
  termsMarker,
  type ReviewTerms,
} from "../../src/policy/post-review.js";

const TERMS: ReviewTerms = { pr: { owner: "acme", repo: "api", number: 42 }, due: "2026-11-26T10:00:00Z", from: "cto-ciso", remindBeforeHours: 12 };
const BODY = `<!-- change-policy:follow-up acme/api#42 -->\n${termsMarker(TERMS)}\ntext`;

test.each([
  ["2026-11-24T10:00:00Z", 48, "2026-11-26T10:00:00Z"],
  ["2026-11-24T10:00:00.123Z", 48, "2026-11-26T10:00:00Z"],
  ["2026-11-24T23:30:00+02:00", 1.5, "2026-11-24T23:00:00Z"],
  ["2026-03-28T12:00:00Z", 24, "2026-03-29T12:00:00Z"], // no daylight-saving surprises: UTC hours
])("due time of a merge at %s + %p h is %s", (merged, hours, due) => {
  expect(dueTime(merged, hours)).toBe(due);
});

test("an unreadable merge time is an error, not a due time", () => {
  expect(() => dueTime("yesterday", 48)).toThrow('the merge time "yesterday" is not a valid date');
});

test("the markers round-trip", () => {
  expect(readReviewTerms(BODY)).toEqual(TERMS);
  expect(readFollowUpMarker(BODY)).toEqual(TERMS.pr);
});

test.each([
  ["no marker", "just text"],
  ["follow-up marker without terms", "<!-- change-policy:follow-up acme/api#42 -->"],
  ["bad number", "<!-- change-policy:follow-up acme/api#x -->\n<!-- change-policy:post-review due=2026-11-26T10:00:00Z from=cto-ciso remind-before-hours=12 -->"],
  ["bad due", "<!-- change-policy:follow-up acme/api#42 -->\n<!-- change-policy:post-review due=soon from=cto-ciso remind-before-hours=12 -->"],
  ["unterminated", `<!-- change-policy:follow-up acme/api#42 ${"x".repeat(100_000)}`],
])("%s: not a follow-up", (_name, body) => {
  expect(readReviewTerms(body)).toBeNull();
});

test.each([
  ["2026-11-25T21:59:59Z", false, "none"],
  ["2026-11-25T22:00:00Z", false, "remind"],
  ["2026-11-26T09:59:59Z", false, "remind"],
  ["2026-11-26T10:00:00Z", false, "escalate"],
  ["2026-12-30T10:00:00Z", false, "escalate"],
  ["2026-12-30T10:00:00Z", true, "none"],
])("at %s (overdue label: %p) a sweep does %s", (now, alreadyOverdue, action) => {
  expect(sweepAction(TERMS, new Date(now), { alreadyOverdue })).toBe(action);
});

test.each([
  [0.4, "less than a minute"],
  [45, "45 min"],
  [200, "3 h 20 min"],
  [60 * 24 * 2 + 60, "2 d 1 h"],
])("%p minutes read as %s", (minutes, text) => {
  expect(formatDelay(minutes)).toBe(text);
});

test.each([
  ["2026-11-26T06:40:00Z", true, "on time (3 h 20 min before the due time 2026-11-26T10:00:00Z)"],
  ["2026-11-26T10:00:00Z", true, "on time (less than a minute before the due time 2026-11-26T10:00:00Z)"],
  ["2026-11-26T13:20:00Z", false, "late: completed 3 h 20 min after the due time 2026-11-26T10:00:00Z"],
])("completed at %s: on time %p", (closedAt, onTime, text) => {
  expect(completionTiming(TERMS.due, closedAt)).toEqual({ onTime, text });
});

test.each([
  ["", { owner: "acme", repo: "api" }],
  ["reviews", { owner: "acme", repo: "reviews" }],
  ["ops/reviews", { owner: "ops", repo: "reviews" }],
])("post_review.repository %p → %p", (repository, where) => {
  expect(followUpRepository({ repository }, { owner: "acme", repo: "api" })).toEqual(where);
});

test("assignees: the configured ones, else the users of the `from` group (at most 10)", () => {
  const groups = { "cto-ciso": { users: ["alice", "bob"] } };
  expect(followUpAssignees({ assignees: ["ciso"], from: "cto-ciso" }, groups)).toEqual(["ciso"]);
  expect(followUpAssignees({ assignees: [], from: "cto-ciso" }, groups)).toEqual(["alice", "bob"]);
  expect(followUpAssignees({ assignees: [], from: "missing" }, groups)).toEqual([]);
  expect(followUpAssignees({ assignees: Array.from({ length: 12 }, (_, i) => `u${i}`), from: "cto-ciso" }, groups)).toHaveLength(10);
});
