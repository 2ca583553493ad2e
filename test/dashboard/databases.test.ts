// The dashboard reads the same from both ledger databases (SQLite file, real PostgreSQL server); it tells
// a tampered chain; pages are paged; and while it is still reading the ledger after a restart it says so.
import { createServer } from "node:http";
import { createDashboard } from "../../src/dashboard/dashboard.js";
import { LedgerIndex } from "../../src/dashboard/ledger-index.js";
import { KyselyLedgerSource, type LedgerSource } from "../../src/dashboard/ledger-source.js";
import { dashboardSettingsFromEnv } from "../../src/dashboard/settings.js";
import { periodFrom } from "../../src/dashboard/period.js";
import { buildChange, buildFollowUps, buildIncidents, buildOverview, type ViewContext } from "../../src/dashboard/views.js";
import { auditReportFromLedger } from "../../src/services/audit-report.js";
import { tamper, useLedgerTargets } from "../ledger/targets.js";
import { CLIENT_ID, CLIENT_SECRET, FakeGitHubOAuth } from "./fake-github-oauth.js";
import { Client, SESSION_SECRET } from "./harness.js";
import { followUpBody, mergeBody, NOW, openTestLedger, seedQuarter } from "./ledger-fixture.js";

const { targets } = useLedgerTargets();
const WEB = "https://github.com";
const quarter = periodFrom(new URLSearchParams(), NOW);

async function contextOf(source: LedgerSource): Promise<ViewContext> {
  const index = new LedgerIndex(source, { clock: () => NOW, webBaseUrl: WEB });
  await index.catchUp();
  return { index, source, now: NOW, webBaseUrl: WEB, ledgerStatus: () => index.status(null) };
}

describe.each(["sqlite", "postgres"] as const)("the dashboard on %s", (name) => {
  it("builds the same pages and audit report from the ledger, and verifies the chain", async () => {
    const ledger = await openTestLedger(await targets.find((t) => t.name === name)!.fresh());
    try {
      await seedQuarter(ledger);
      const context = await contextOf(new KyselyLedgerSource(ledger.handle));
      const scope = { value: "acme/payments", repositories: [] };
      const overview = await buildOverview(context, quarter, scope);
      expect(overview.totals).toEqual({ merges: 5, byClass: { standard: 1, normal: 2, emergency: 2, other: 0 }, passing: 4, emergency: 2 });
      expect(overview.ledger).toMatchObject({ entries: 22, headSeq: 22, verifiedThrough: 22, problem: null });
      expect((await buildChange(context, "acme/payments", 12)).entries.map((e) => e.kind)).toEqual(["check", "check", "merge", "check"]);
      const report = await auditReportFromLedger(context.index, context.source, { repository: "acme/payments", since: new Date(quarter.since), until: new Date(quarter.until), now: NOW, webBaseUrl: WEB });
      expect(report.pulls.map((p) => [p.number, p.mergedAt, p.checkConclusion])).toEqual([
        [12, "2026-10-06T10:00:00.000Z", "success"],
        [13, "2026-10-20T08:05:00.000Z", "success"],
        [14, "2026-11-03T14:30:00.000Z", "success"],
        [15, "2026-11-10T11:20:00.000Z", "failure"],
        [16, "2026-11-20T09:00:00.000Z", "success"],
      ]);
      expect(report.incidents.map((i) => i.createdAt)).toEqual(["2026-11-10T11:21:00.000Z", "2026-11-12T16:00:00.000Z"]);

      // Someone with database access edits a merge's verdict: the overview says where the chain breaks.
      await tamper(ledger.handle, `update ledger_entries set body = ${ledger.handle.dialect === "postgres" ? `jsonb_set(body, '{check_conclusion}', '"success"')` : `json_set(body, '$.check_conclusion', 'success')`} where seq = 17`);
      const rebuilt = await contextOf(new KyselyLedgerSource(ledger.handle));
      const status = await rebuilt.ledgerStatus();
      expect(status.verifiedThrough).toBe(16);
      expect(status.problem).toBe("entry 17's hash does not match its contents (a column was edited). Run `change-policy ledger verify` for the full report.");
    } finally {
      await ledger.close();
    }
  }, 30_000);
});

describe("long lists", () => {
  it("pages follow-ups and incidents by 100, and the overview shows the first 25 with a link to the rest", async () => {
    const ledger = await openTestLedger();
    try {
      for (let n = 1; n <= 130; n++) {
        const at = new Date(Date.parse("2026-10-02T00:00:00.000Z") + n * 60_000).toISOString();
        await ledger.append(at, "merge", "acme/busy", `#${n}`, mergeBody(n, { class: "emergency", merged_at: at }));
        await ledger.append(at, "follow_up", "acme/busy", `#${n}`, followUpBody(n, "opened", "2026-10-05T00:00:00.000Z", "acme/busy"));
        await ledger.append(at, "incident", "acme/busy", `push ${String(n).padStart(7, "0")}`, { type: "push", issue: `acme/busy#${1000 + n}`, branch: "main", pusher: "x", sha: "0".repeat(40), commits: [], reason: "pushed" });
      }
      const context = await contextOf(new KyselyLedgerSource(ledger.handle));
      const scope = { value: "", repositories: [] };
      const overview = await buildOverview(context, quarter, scope);
      expect([overview.followUps.length, overview.openFollowUps, overview.overdueFollowUps, overview.incidents.length, overview.incidentCount]).toEqual([25, 130, 130, 25, 130]);
      const page1 = await buildFollowUps(context, quarter, scope, 1);
      const page2 = await buildFollowUps(context, quarter, scope, 2);
      expect([page1.rows.length, page2.rows.length, page2.paging]).toEqual([100, 30, { page: 2, pageSize: 100, total: 130 }]);
      expect(page1.rows[0]!.pullNumber).toBe(1);
      expect(page2.rows[0]!.pullNumber).toBe(101);
      expect((await buildIncidents(context, quarter, scope, 9)).paging.page).toBe(2); // past the end: the last page
    } finally {
      await ledger.close();
    }
  });
});

describe("after a restart", () => {
  it("says it is still reading the ledger (503, reloads itself) instead of showing a partial page", async () => {
    const ledger = await openTestLedger();
    const github = new FakeGitHubOAuth();
    await github.start();
    github.teams.set("acme/auditors", ["alice"]);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const real = new KyselyLedgerSource(ledger.handle);
    // A ledger so large that its first read takes a while: the first batch waits for the test.
    const slow: LedgerSource = { ...real, entriesAfter: async (after, limit) => (await gate, real.entriesAfter(after, limit)), head: () => real.head(), entriesBySeq: (s) => real.entriesBySeq(s), entriesOfSubject: (r, s) => real.entriesOfSubject(r, s) };
    await seedQuarter(ledger);
    const settings = dashboardSettingsFromEnv({ GITHUB_CLIENT_ID: CLIENT_ID, GITHUB_CLIENT_SECRET: CLIENT_SECRET, DASHBOARD_SESSION_SECRET: SESSION_SECRET, DASHBOARD_TEAMS: "acme/auditors", GHE_HOST: github.host, GHE_PROTOCOL: "http" })!;
    const dashboard = createDashboard({ settings, database: ledger.handle, source: slow, firstWalkWaitMs: 0, clock: () => NOW });
    const server = createServer((req, res) => void dashboard.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const client = new Client();
      expect((await client.signIn(base)).status).toBe(302);
      const waiting = await client.get(`${base}/dashboard`);
      expect(waiting.status).toBe(503);
      expect(waiting.headers.get("retry-after")).toBe("5");
      expect(waiting.headers.get("refresh")).toBe("5");
      expect(waiting.text).toContain("The dashboard is reading the evidence ledger (0 of 22 entries) after a restart.");
      expect(waiting.text).not.toContain("acme/payments");
      release();
      // Once the first read is done the same page is there (the browser would reload it by itself).
      let status = 503;
      for (let attempt = 0; attempt < 200 && status === 503; attempt++) status = (await client.get(`${base}/dashboard`)).status;
      expect(status).toBe(200);
    } finally {
      release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dashboard.close();
      await github.stop();
      await ledger.close();
    }
  });
});

it("answers 503 without data when the ledger's database cannot be read, and logs why", async () => {
  const ledger = await openTestLedger();
  const github = new FakeGitHubOAuth();
  await github.start();
  github.teams.set("acme/auditors", ["alice"]);
  let down = true;
  const real = new KyselyLedgerSource(ledger.handle);
  const flaky: LedgerSource = {
    entriesAfter: (after, limit) => (down ? Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432")) : real.entriesAfter(after, limit)),
    head: () => real.head(),
    entriesBySeq: (s) => real.entriesBySeq(s),
    entriesOfSubject: (r, s) => real.entriesOfSubject(r, s),
  };
  await seedQuarter(ledger);
  const errors: string[] = [];
  const settings = dashboardSettingsFromEnv({ GITHUB_CLIENT_ID: CLIENT_ID, GITHUB_CLIENT_SECRET: CLIENT_SECRET, DASHBOARD_SESSION_SECRET: SESSION_SECRET, DASHBOARD_TEAMS: "acme/auditors", GHE_HOST: github.host, GHE_PROTOCOL: "http" })!;
  const dashboard = createDashboard({ settings, database: ledger.handle, source: flaky, clock: () => NOW, log: { info: () => {}, warn: () => {}, error: (fields, message) => errors.push(`${message} ${String((fields as { err?: Error }).err?.message)}`) } });
  const server = createServer((req, res) => void dashboard.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const client = new Client();
    await client.signIn(base);
    const page = await client.get(`${base}/dashboard`);
    expect(page.status).toBe(503);
    expect(page.text).toContain("The evidence ledger&#39;s database cannot be read right now");
    expect(page.text).not.toContain("ECONNREFUSED");
    expect(page.text).not.toContain("acme/payments");
    expect(errors).toContain("dashboard: reading the ledger failed connect ECONNREFUSED 127.0.0.1:5432");
    down = false;
    expect((await client.get(`${base}/dashboard`)).status).toBe(200); // the next page reads it again
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await dashboard.close();
    await github.stop();
    await ledger.close();
  }
});

it("reads a ledger whose body is not JSON without failing a page", async () => {
  const ledger = await openTestLedger();
  try {
    await seedQuarter(ledger);
    await tamper(ledger.handle, "update ledger_entries set body = 'not json' where seq = 3");
    const context = await contextOf(new KyselyLedgerSource(ledger.handle));
    const view = await buildChange(context, "acme/payments", 12);
    expect(view.entries.map((e) => e.kind)).toEqual(["check", "check", "merge", "check"]);
    expect((await context.ledgerStatus()).problem).toContain("entry 3's hash does not match its contents");
  } finally {
    await ledger.close();
  }
});
