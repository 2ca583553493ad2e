// The dashboard in a real browser: Debian's Chromium driven by playwright-core signs in through the
// GitHub-compatible OAuth endpoint the test serves on loopback, opens every page and checks what a
// person sees. Screenshots go to test-results/dashboard/ (gitignored; the README says so).
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { jest } from "@jest/globals";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { renderAuditReport } from "../../src/render/audit-report.js";
import { auditReportFromDatabase } from "../../src/services/audit-report.js";
import { FakeGitHubOAuth } from "./fake-github-oauth.js";
import { startDashboard, type RunningDashboard } from "./harness.js";
import { NOW, openTestLedger, seedLastQuarter, seedQuarter, XSS_TITLE, type TestLedger } from "./ledger-fixture.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = join(process.cwd(), "test-results", "dashboard");

jest.setTimeout(60_000);

let ledger: TestLedger;
let github: FakeGitHubOAuth;
let app: RunningDashboard;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Anything the page reported: script dialogs, CSP violations, failed loads. */
const troubles: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: the dashboard's browser tests need it. Install Debian's package (apt-get install chromium) or set CHROMIUM_PATH. Nothing downloads a browser.`);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  ledger = await openTestLedger();
  await seedLastQuarter(ledger);
  await seedQuarter(ledger);
  github = new FakeGitHubOAuth();
  await github.start();
  github.teams.set("acme/security-leads", ["alice"]);
  app = await startDashboard(ledger, github, { now: NOW });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on("dialog", (dialog) => {
    troubles.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on("console", (message) => {
    if (message.type() === "error") troubles.push(`console: ${message.text()}`);
  });
  page.on("requestfailed", (request) => troubles.push(`failed: ${request.url()}`));
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await github?.stop();
  await ledger?.close();
});

afterEach(() => {
  const seen = troubles.splice(0);
  expect(seen).toEqual([]);
  expect(github.problems).toEqual([]);
});

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

describe("the compliance dashboard in Chromium", () => {
  it("sends a visitor to the sign-in page, and signs a team member in through GitHub", async () => {
    await page.goto(`${app.baseUrl}/dashboard`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    await expectVisible(page.getByRole("link", { name: "Sign in with GitHub" }));
    await shot("sign-in");
    await page.getByRole("link", { name: "Sign in with GitHub" }).click();
    await page.waitForURL(`${app.baseUrl}/dashboard`);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Overview: all repositories");
    expect(await page.locator("header.top").textContent()).toContain("Signed in as @alice");
    const cookies = await context.cookies(`${app.baseUrl}/dashboard`);
    expect(cookies.find((c) => c.name === "change_policy_session")).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/dashboard" });
  });

  it("shows the overview: merges by class, shares, follow-ups (overdue in red), incidents, ledger status and the chart", async () => {
    await page.goto(`${app.baseUrl}/dashboard`);
    const cards = await page.locator(".card").allTextContents();
    // 2026 Q4: 8 merges (acme/payments 12, 13, 14, 15, 16; acme/web 7, 8; other/tools 3); #9 was last quarter.
    expect(cards).toEqual(
      expect.arrayContaining(["8merged pull requests", "2standard changes", "3normal changes", "3emergency changes", "87.5 %merged with a passing check (7 of 8)", "37.5 %emergency ratio (3 of 8)", "2open follow-ups", "1overdue follow-ups", "2security incidents"]),
    );
    // The overdue follow-up is first, in red, with its due time.
    const firstFollowUp = page.locator("table.follow-ups tbody tr").first();
    expect(await firstFollowUp.getAttribute("class")).toBe("overdue");
    expect(await firstFollowUp.textContent()).toContain("OVERDUE");
    expect(await firstFollowUp.textContent()).toContain("2026-10-22 08:05 UTC");
    expect(await firstFollowUp.locator("td").first().evaluate((td) => getComputedStyle(td).color)).toBe("rgb(207, 34, 46)");
    expect(await page.locator("table.follow-ups tbody tr").nth(1).evaluate((tr) => getComputedStyle(tr.querySelector("td")!).color)).not.toBe("rgb(207, 34, 46)");
    // Repositories, with the one that has an overdue review flagged.
    const rows = await page.locator("table.repositories tbody tr th").allTextContents();
    expect(rows).toEqual(["acme/payments", "acme/web", "other/tools"]);
    // The chart: an inline SVG with a title, a description, a legend and labels.
    const chart = page.locator("figure.chart svg");
    await expectVisible(chart);
    expect(await chart.getAttribute("role")).toBe("img");
    expect(await chart.locator("title#chart-title").textContent()).toBe("Merges per week by class");
    expect(await chart.locator("desc").textContent()).toBe("8 merges over 14 weeks: 2 standard, 3 normal, 3 emergency. Busiest week: 2026-11-02 with 2.");
    expect(await chart.locator("g.legend text").allTextContents()).toEqual(["Standard", "Normal", "Emergency"]);
    expect((await chart.locator("text.bar-total").allTextContents()).map(Number).reduce((a, b) => a + b, 0)).toBe(8);
    expect(await chart.locator("g.week").count()).toBe(14);
    expect(await chart.locator('g.week[data-week="2026-11-16"] rect').count()).toBe(2); // #3 normal (Wed) and #16 emergency (Fri)
    // Ledger status: verified through the newest entry.
    await page.waitForTimeout(0);
    expect(await page.locator("#ledger-h + *").textContent()).toMatch(/intact from its start through seq \d+|not been verified yet/);
    await shot("overview");
  });

  it("narrows the overview to one repository and another period with the form, without JavaScript", async () => {
    await page.goto(`${app.baseUrl}/dashboard`);
    await page.selectOption("select[name=repo]", "acme/web");
    await page.fill("input[name=since]", "2026-10-01");
    await page.fill("input[name=until]", "2026-10-31");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/repo=acme%2Fweb/);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Overview: acme/web");
    expect(await page.locator(".lead").textContent()).toContain("2026-10-01 – 2026-10-31");
    expect(await page.locator(".card").first().textContent()).toBe("1merged pull requests");
  });

  it("lists follow-ups with their due times, overdue first", async () => {
    await page.goto(`${app.baseUrl}/dashboard`);
    await page.getByRole("link", { name: "Follow-ups" }).click();
    await page.waitForURL(/\/dashboard\/follow-ups/);
    const rows = await page.locator("table.follow-ups tbody tr").evaluateAll((trs) => trs.map((tr) => [tr.className, ...[...tr.querySelectorAll("td")].slice(0, 3).map((td) => td.textContent!.trim())]));
    expect(rows).toEqual([
      ["overdue", "OVERDUE", "2026-10-22 08:05 UTC", "acme/payments#13 Hotfix: card payments time out"],
      ["open", "open", "2026-11-27 09:00 UTC", "acme/payments#16 Hotfix: refund rounding"],
      ["done", "completed on time", "2026-10-16 10:00 UTC", "acme/web#7 Hotfix: login loop"],
    ]);
    expect(await page.locator(".notice.bad").textContent()).toContain("1 overdue");
    await shot("follow-ups");
  });

  it("lists incidents", async () => {
    await page.goto(`${app.baseUrl}/dashboard`);
    await page.getByRole("link", { name: "Incidents" }).click();
    await page.waitForURL(/\/dashboard\/incidents/);
    const text = await page.locator("table.incidents").textContent();
    expect(text).toContain("merged without a passing check: acme/payments#15");
    expect(text).toContain("direct push to main by @mallory (1a2b3c4)");
    expect(await page.getByRole("link", { name: "acme/payments#302" }).getAttribute("href")).toBe(`${github.webBaseUrl}/acme/payments/issues/302`);
    await shot("incidents");
  });

  it("shows one change: entries in order, the RFC at merge, approvers and groups, the check at merge, and what differs now", async () => {
    await page.goto(`${app.baseUrl}/dashboard/acme/payments/pull/12`);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("acme/payments#12: Change number 12");
    const kinds = await page.locator("table.entries tbody tr td:nth-child(3)").allTextContents();
    expect(kinds).toEqual(["check", "check", "merge", "check"]);
    const seqs = (await page.locator("table.entries tbody tr td:nth-child(1)").allTextContents()).map(Number);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(await page.locator("dl.facts").first().textContent()).toContain("success");
    expect(await page.locator("table.approvals tbody").textContent()).toContain("@cto");
    expect(await page.locator("table.approvals tbody tr").first().textContent()).toContain("cto-ciso");
    expect(await page.locator("table.approvals tbody tr").nth(1).textContent()).toContain("peer approval");
    expect(await page.locator("h4").allTextContents()).toEqual(["description", "impact analysis", "rollback plan"]);
    expect(await page.locator("pre").nth(2).textContent()).toBe("Revert the merge and redeploy v1.4.2.");
    expect(await page.locator("#now-h + p").textContent()).toMatch(/^Compared with the app's newest evaluation after the merge \(seq \d+, 2026-10-08 15:00 UTC\)/);
    expect(await page.locator("ul.requirements").textContent()).toContain("met Rollback plan");
    const differences = await page.locator("ul.diffs li").allTextContents();
    expect(differences).toEqual([
      expect.stringContaining("Class changed after merge: at merge normal change; now emergency change"),
      expect.stringContaining("Policy file changed after merge: at merge blob bbbbbbbbbbbb; now blob cccccccccccc"),
      expect.stringContaining("Change Policy check changed after merge: at merge success; now failure"),
      expect.stringContaining("Requirement “Rollback plan”: at merge met; now missing (add a ## Rollback plan section)"),
    ]);
    await shot("change");
  });

  it("shows a title made of HTML as text, and runs nothing", async () => {
    await page.goto(`${app.baseUrl}/dashboard/acme/payments/pull/15`);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(`acme/payments#15: ${XSS_TITLE}`);
    expect(await page.evaluate(() => document.scripts.length)).toBe(0);
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.locator("dl.facts").first().textContent()).toContain("<b>bold</b>");
    expect(await page.locator("#now-h + p").textContent()).toContain("has not evaluated this pull request since the merge");
    await shot("change-with-html-title");
  });

  it("shows the audit report and downloads it as md, csv and json, the same as the service the CLI uses", async () => {
    await page.goto(`${app.baseUrl}/dashboard`);
    await page.getByRole("link", { name: "Audit report" }).click();
    await page.waitForURL(/\/dashboard\/audit/);
    expect(await page.locator(".notice").textContent()).toContain("Choose a repository");
    await page.selectOption("select[name=repo]", "acme/payments");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/repo=acme%2Fpayments/);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Audit report: acme/payments");
    expect(await page.locator("ul.exceptions").textContent()).toContain("#15");
    await shot("audit");
    const report = await auditReportFromDatabase(ledger.handle, { repository: "acme/payments", since: new Date("2026-10-01T00:00:00Z"), until: new Date("2026-12-31T23:59:59Z"), now: NOW, webBaseUrl: github.webBaseUrl });
    for (const [format, label] of [["md", "Download Markdown"], ["csv", "Download CSV"], ["json", "Download JSON"]] as const) {
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: label }).click()]);
      expect(download.suggestedFilename()).toBe(`audit-acme-payments-2026-10-01-2026-12-31.${format}`);
      const text = readFileSync((await download.path())!, "utf8");
      expect(text).toBe(renderAuditReport(report, format));
    }
    const markdown = renderAuditReport(report, "md");
    expect(markdown).toContain("from the evidence ledger");
    expect(markdown).toContain("| Merged pull requests | 5 |");
  });

  it("shows a non-member the 403 page naming the teams, and no data", async () => {
    const other = await browser.newContext();
    const visitor = await other.newPage();
    github.signInAs = { login: "mallory", id: 666 };
    await visitor.goto(`${app.baseUrl}/dashboard/acme/payments/pull/12`);
    await visitor.getByRole("link", { name: "Sign in with GitHub" }).click();
    await visitor.waitForLoadState();
    expect(await visitor.getByRole("heading", { level: 1 }).textContent()).toBe("You cannot see this dashboard");
    const text = await visitor.locator("main").textContent();
    expect(text).toContain("acme/security-leads");
    expect(text).toContain("acme/auditors");
    expect(text).not.toContain("Change number 12");
    await visitor.screenshot({ path: join(SCREENSHOTS, "forbidden.png"), fullPage: true });
    await other.close();
  });
});

async function expectVisible(locator: ReturnType<Page["locator"]>): Promise<void> {
  expect(await locator.isVisible()).toBe(true);
}
