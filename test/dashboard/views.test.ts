// The view models and the ledger-based audit report, from a real SQLite ledger.
import { LedgerIndex } from "../../src/dashboard/ledger-index.js";
import { KyselyLedgerSource } from "../../src/dashboard/ledger-source.js";
import { periodFrom, periodOf } from "../../src/dashboard/period.js";
import { buildChange, buildFollowUps, buildOverview, differencesAfterMerge, type ViewContext } from "../../src/dashboard/views.js";
import type { LedgerEntry } from "../../src/ledger/entries.js";
import { mergesPerWeekChart } from "../../src/render/dashboard/chart.js";
import { renderAuditReport } from "../../src/render/audit-report.js";
import { auditReportFromLedger } from "../../src/services/audit-report.js";
import { checkBody, mergeBody, NOW, openTestLedger, seedLastQuarter, seedQuarter, type TestLedger } from "./ledger-fixture.js";

let ledger: TestLedger;
let context: ViewContext;
const WEB = "https://github.com";
const quarter = periodFrom(new URLSearchParams(), NOW);

beforeAll(async () => {
  ledger = await openTestLedger();
  await seedLastQuarter(ledger);
  await seedQuarter(ledger);
  const source = new KyselyLedgerSource(ledger.handle);
  const index = new LedgerIndex(source, { clock: () => NOW, webBaseUrl: WEB });
  await index.catchUp();
  context = { index, source, now: NOW, webBaseUrl: WEB, ledgerStatus: async () => ({ entries: 0, headSeq: null, headHash: null, verifiedThrough: null, verifiedAt: null, problem: null, lastAnchor: null }) };
});

afterAll(async () => {
  await ledger.close();
});

describe("the period", () => {
  it("defaults to the quarter the clock is in and reads whole UTC days", () => {
    expect(quarter).toEqual({ since: "2026-10-01T00:00:00.000Z", until: "2026-12-31T23:59:59.000Z", sinceDay: "2026-10-01", untilDay: "2026-12-31", label: "2026 Q4" });
    expect(periodFrom(new URLSearchParams("since=2026-11-01&until=2026-11-15"), NOW)).toMatchObject({ since: "2026-11-01T00:00:00.000Z", until: "2026-11-15T23:59:59.000Z", label: "2026-11-01 – 2026-11-15" });
    expect(periodFrom(new URLSearchParams("since=2026-07-01"), NOW).label).toBe("2026 Q3");
  });

  it.each([
    ["since=2026-13-01", "is not a valid start date"],
    ["since=2026-02-30", "is not a valid start date"],
    ["until=yesterday", "is not a valid end date"],
    ["since=2026-11-02&until=2026-11-01", "the period ends (2026-11-01) before it starts (2026-11-02)"],
    ["since=2020-01-01&until=2026-01-01", "longer than 1098 days"],
  ])("refuses %s", (query, message) => {
    expect(() => periodFrom(new URLSearchParams(query), NOW)).toThrow(message);
  });
});

describe("overview", () => {
  it("counts the period's merges by class, with passing and emergency shares, per repository", async () => {
    const view = await buildOverview(context, quarter, { value: "", repositories: [] });
    expect(view.totals).toEqual({ merges: 8, byClass: { standard: 2, normal: 3, emergency: 3, other: 0 }, passing: 7, emergency: 3 });
    expect(view.repositories.map((r) => [r.repository, r.merges, r.passing, r.emergency, r.openFollowUps, r.overdueFollowUps, r.incidents])).toEqual([
      ["acme/payments", 5, 4, 2, 2, 1, 2],
      ["acme/web", 2, 2, 1, 0, 0, 0],
      ["other/tools", 1, 1, 0, 0, 0, 0],
    ]);
    expect(view.weeks[0]!.weekStart).toBe("2026-09-28");
    expect(view.weeks.reduce((sum, w) => sum + w.byClass.standard + w.byClass.normal + w.byClass.emergency, 0)).toBe(8);
  });

  it("narrows to one account or one repository, and to another period", async () => {
    expect((await buildOverview(context, quarter, { value: "acme", repositories: [] })).totals.merges).toBe(7);
    expect((await buildOverview(context, quarter, { value: "acme/web", repositories: [] })).totals.merges).toBe(2);
    const september = periodOf(new Date("2026-09-01T00:00:00Z"), new Date("2026-09-30T00:00:00Z"));
    expect((await buildOverview(context, september, { value: "", repositories: [] })).totals.merges).toBe(1);
  });
});

describe("follow-ups", () => {
  it("folds each review's events into its state now: overdue first, then open by due time, then completed in the period", async () => {
    const view = await buildFollowUps(context, quarter, { value: "", repositories: [] });
    expect(view.rows.map((r) => [r.repository, r.pullNumber, r.status, r.dueAt, r.issueUrl])).toEqual([
      ["acme/payments", 13, "overdue", "2026-10-22T08:05:00.000Z", "https://github.com/acme/payments/issues/213"],
      ["acme/payments", 16, "open", "2026-11-27T09:00:00.000Z", "https://github.com/acme/payments/issues/216"],
      ["acme/web", 7, "completed on time", "2026-10-16T10:00:00.000Z", "https://github.com/acme/web/issues/207"],
    ]);
  });

  it("counts an open review as overdue once its due time passes, without an overdue event", async () => {
    const later = { ...context, now: new Date("2026-11-28T00:00:00Z") };
    const view = await buildFollowUps(later, quarter, { value: "acme/payments", repositories: [] });
    expect(view.rows.map((r) => r.status)).toEqual(["overdue", "overdue"]);
  });
});

describe("one change", () => {
  it("shows every entry of the pull request in order and the facts at merge", async () => {
    const view = await buildChange(context, "acme/payments", 12);
    expect(view.entries.map((e) => e.kind)).toEqual(["check", "check", "merge", "check"]);
    expect(view.merge).toMatchObject({ changeClass: "normal", checkConclusion: "success", mergedBy: "carol", labels: ["normal-change"] });
    expect(view.merge!.approvals).toEqual([
      { reviewer: "cto", counted: true, groups: ["cto-ciso"], reason: null },
      { reviewer: "bob", counted: true, groups: [], reason: null },
    ]);
  });

  it("is empty for a pull request the ledger does not know", async () => {
    const view = await buildChange(context, "acme/payments", 999);
    expect(view.entries).toEqual([]);
    expect(view.merge).toBeNull();
  });

  const entry = (seq: number, kind: string, body: unknown): LedgerEntry => ({ seq, recorded_at: `2026-10-0${seq}T00:00:00.000Z`, kind, repository: "acme/payments", subject: "#1", body: body as never, prev_hash: "", hash: "" });

  it("names a description edit and changed labels when a later check recorded them", () => {
    const merge = entry(1, "merge", mergeBody(1));
    const later = [entry(2, "check", { ...checkBody(1), description_sha256: "e".repeat(64), labels: ["normal-change", "emergency"] })];
    expect(differencesAfterMerge(merge, later).map((d) => [d.what, d.atMerge, d.now])).toEqual([
      ["Description edited after merge", `SHA-256 ${"d".repeat(12)}`, `SHA-256 ${"e".repeat(12)}`],
      ["Labels changed after merge", "normal-change", "normal-change, emergency"],
    ]);
  });

  it("finds no difference when the later check agrees with the merge", () => {
    expect(differencesAfterMerge(entry(1, "merge", mergeBody(1)), [entry(2, "check", checkBody(1)), entry(3, "follow_up", { event: "opened" })])).toEqual([]);
  });
});

describe("the audit report from the ledger", () => {
  it("takes each merge's verdict as recorded at merge, with reviews and incidents, and prints like the CLI's", async () => {
    const report = await auditReportFromLedger(context.index, context.source, { repository: "acme/payments", since: new Date(quarter.since), until: new Date(quarter.until), now: NOW, webBaseUrl: WEB });
    expect(report.pulls.map((p) => [p.number, p.changeClass, p.checkConclusion, p.emergencyReview?.status ?? null])).toEqual([
      [12, "normal", "success", null],
      [13, "emergency", "success", "overdue"],
      [14, "standard", "success", null],
      [15, "normal", "failure", null],
      [16, "emergency", "success", "open"],
    ]);
    expect(report.pulls[0]!.approvers).toEqual([{ login: "cto", groups: ["cto-ciso"] }, { login: "bob", groups: [] }]);
    expect(report.pulls[0]!.sectionsPresent).toEqual(["Description", "Impact analysis", "Rollback plan"]);
    expect(report.totals).toMatchObject({ pulls: 5, byClass: { standard: 1, normal: 2, emergency: 2 }, byCheckConclusion: { success: 4, failure: 1 }, incidents: { total: 2 } });
    expect(report.exceptions.map((e) => [e.kind, e.reference])).toEqual([
      ["emergency-review-open", "#13"],
      ["check-not-success", "#15"],
      ["emergency-review-open", "#16"],
      ["incident", "#301"],
      ["incident", "#302"],
    ]);
    expect(report.exceptions[1]!.detail).toBe("normal change merged by @mallory while the Change Policy check was `failure` (Normal change: 2 of 4 requirements missing)");
    expect(report.apiRequests).toBe(0);
    const markdown = renderAuditReport(report, "md");
    expect(markdown).toContain("# Change audit report: acme/payments");
    expect(markdown).toContain("from the evidence ledger (each merge as recorded at that moment)");
    expect(markdown).toContain("`main`: as recorded at merge: blob bbbbbbbbbbbb");
    expect(renderAuditReport(report, "csv").split("\r\n")[1]).toMatch(/^pull_request,12,Change number 12,dave,2026-10-06T10:00:00.000Z,carol,normal,success,cto; bob,/);
  });
});

describe("the chart", () => {
  it("labels each bar and describes the whole in words", () => {
    const svg = mergesPerWeekChart([
      { weekStart: "2026-10-05", byClass: { standard: 2, normal: 1, emergency: 0, other: 0 } },
      { weekStart: "2026-10-12", byClass: { standard: 0, normal: 0, emergency: 0, other: 0 } },
    ]).value;
    expect(svg).toContain('role="img" aria-labelledby="chart-title chart-desc"');
    expect(svg).toContain("<desc id=\"chart-desc\">3 merges over 2 weeks: 2 standard, 1 normal, 0 emergency. Busiest week: 2026-10-05 with 3.</desc>");
    expect(svg).toContain("<title>Week of 2026-10-05: 2 standard, 1 normal, 0 emergency</title>");
    expect(svg).not.toContain("style=");
  });
});
