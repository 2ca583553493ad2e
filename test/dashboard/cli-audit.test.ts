// One code path: `change-policy audit --from-ledger` prints exactly what the dashboard's audit download
// serves for the same ledger, repository and days (both call auditReportFromLedger in
// src/services/audit-report.ts and the one renderer). Without GitHub credentials the CLI makes no request,
// as the dashboard makes none; with them it adds GitHub-now exceptions (test/cli/audit.test.ts).
import { runAudit } from "../../src/cli/audit.js";
import type { AuditFormat } from "../../src/render/audit-report.js";
import { memoryIO } from "../cli/memory-io.js";
import { FakeGitHubOAuth } from "./fake-github-oauth.js";
import { Client, startDashboard } from "./harness.js";
import { NOW, openTestLedger, seedQuarter } from "./ledger-fixture.js";

it.each(["md", "csv", "json"] as AuditFormat[])("prints the same %s report as the dashboard's download, without a GitHub request", async (format) => {
  const ledger = await openTestLedger();
  const github = new FakeGitHubOAuth();
  await github.start();
  github.teams.set("acme/auditors", ["alice"]);
  const app = await startDashboard(ledger, github, { now: NOW });
  try {
    await seedQuarter(ledger);
    const client = new Client();
    await client.signIn(app.baseUrl);
    const download = await client.get(`${app.baseUrl}/dashboard/audit.${format}?repo=acme/payments&since=2026-10-01&until=2026-12-31`);
    expect(download.status).toBe(200);

    const io = memoryIO({ env: { DATA_DIR: ledger.dir, GHE_HOST: github.host, GHE_PROTOCOL: "http" } });
    const before = github.calls.length;
    const code = await runAudit({ repo: "acme/payments", since: "2026-10-01", until: "2026-12-31", format, fromLedger: true }, io, { now: () => NOW });
    expect(code).toBe(0);
    expect(github.calls.length).toBe(before);
    // The CLI prints lines (its last newline is the terminal's); the download is the file.
    const cli = `${io.stdout.join("\n")}\n`.replace(/\r?\n/g, format === "csv" ? "\r\n" : "\n");
    expect(cli.split(/\r?\n/).length).toBeGreaterThan(5);
    expect(cli).toBe(download.text);
    expect(io.stderr[0]).toBe(`Reading the evidence ledger (${ledger.dir})…`);
    expect(io.stderr[1]).toBe("No GitHub credentials (--token, GITHUB_TOKEN, or APP_ID with its private key): the merges are not compared with GitHub now.");
  } finally {
    await app.stop();
    await github.stop();
    await ledger.close();
  }
});
