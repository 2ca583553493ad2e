import { validate } from "@octokit/graphql-schema";
import nock from "nock";
import { Command } from "commander";
import { buildAuditReport, parseAuditDate, registerAuditCommand, runAudit } from "../../src/cli/audit.js";
import { runCli } from "../../src/cli/main.js";
import { clearMembershipCaches } from "../../src/github/membership.js";
import { MERGED_PULLS_QUERY } from "../../src/github/merged-pulls.js";
import { gitBlobSha } from "../../src/github/config.js";
import { requestForChangeRecord } from "../../src/ledger/entries.js";
import { CSV_HEADER, renderAuditReport } from "../../src/render/audit-report.js";
import { expectGitHubSettled, FakeGitHub, TestOctokit } from "../helpers/app.js";
import { memoryIO } from "./memory-io.js";
import { COMPLETE_BODY, graphqlPull, type PullFixture } from "../helpers/graphql-pull.js";
import { mergeBody, openTestLedger } from "../dashboard/ledger-fixture.js";

const NOW = new Date("2026-10-15T09:00:00Z");
const SINCE = new Date("2026-07-01T00:00:00Z");
const UNTIL = new Date("2026-09-30T23:59:59Z");
const CONFIG = "groups:\n  cto-ciso: { users: [carol], teams: [acme/security-leads] }\n";
const SINCE_QUERY = "since=2026-07-01T00%3A00%3A00.000Z";
const FOLLOW_UPS = `/repos/acme/api/issues?labels=post-implementation-review&state=all&${SINCE_QUERY}&per_page=100`;
const INCIDENTS = `/repos/acme/api/issues?labels=security-incident&state=all&${SINCE_QUERY}&per_page=100`;

let github: FakeGitHub;

beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  github = new FakeGitHub();
  clearMembershipCaches();
});
afterEach(expectGitHubSettled);
afterAll(() => nock.enableNetConnect());

function pull(f: PullFixture) {
  return { repository: { isPrivate: true }, ...graphqlPull({ state: "MERGED", baseRef: "main", ...f }).data.repository.pullRequest };
}

function search(nodes: unknown[], issueCount = nodes.length, next: string | null = null) {
  return { data: { search: { issueCount, pageInfo: { hasNextPage: next !== null, endCursor: next }, nodes } } };
}

function issue(number: number, title: string, body: string, createdAt: string, closedAt: string | null, label: string) {
  return {
    number,
    title,
    state: closedAt ? "closed" : "open",
    html_url: `https://github.com/acme/api/issues/${number}`,
    body,
    created_at: createdAt,
    closed_at: closedAt,
    labels: [{ name: label }],
  };
}

/** A quarter: a normal change done right, a standard change merged over a failing check, and a late emergency review. */
function quarter() {
  github.on(
    "POST",
    "/graphql",
    200,
    search([
      pull({
        number: 10,
        title: "Upgrade the HTTP client",
        headSha: "a".repeat(40),
        files: ["package.json"],
        body: COMPLETE_BODY,
        mergedAt: "2026-07-03T10:00:00Z",
        mergedBy: "bob",
        reviews: [
          { author: "bob", state: "APPROVED", commit: "a".repeat(40) },
          { author: "dave", state: "APPROVED", commit: "a".repeat(40) },
        ],
        check: { id: 1, conclusion: "SUCCESS", title: "Normal change: all requirements met", summary: "" },
      }),
      pull({
        number: 12,
        title: "Hotfix: stop the payment double charge",
        headSha: "c".repeat(40),
        files: ["src/pay.ts"],
        labels: ["emergency"],
        body: "## Description\nStop charging twice when the gateway times out.",
        mergedAt: "2026-08-01T08:00:00Z",
        mergedBy: "erin",
        reviews: [{ author: "bob", state: "APPROVED", commit: "c".repeat(40) }],
        check: { id: 3, conclusion: "SUCCESS", title: "Emergency change: all requirements met", summary: "" },
      }),
      pull({
        number: 11,
        title: "Docs, with a | pipe",
        headSha: "b".repeat(40),
        files: ["docs/a.md"],
        body: "no sections",
        mergedAt: "2026-07-20T16:30:00Z",
        mergedBy: "admin-alice",
        check: { id: 2, conclusion: "FAILURE", title: "Standard change: 2 of 2 requirements missing", summary: "" },
      }),
    ]),
  );
  github.file("acme", "api", ".github/change-policy.yml", CONFIG);
  github.file("acme", "api", ".github/change-policy.yml", CONFIG, "main");
  github.on("GET", "/orgs/acme/teams/security-leads/members?per_page=100", 200, [{ login: "dave" }]);
  github.on("GET", FOLLOW_UPS, 200, [
    issue(
      30,
      "Post-implementation review: Hotfix: stop the payment double charge (#12)",
      "<!-- change-policy:follow-up acme/api#12 -->\n<!-- change-policy:post-review due=2026-08-03T08:00:00Z from=cto-ciso remind-before-hours=12 -->",
      "2026-08-01T08:00:05Z",
      "2026-08-04T10:00:00Z",
      "post-implementation-review",
    ),
  ]);
  github.on("GET", INCIDENTS, 200, [
    issue(40, "Security incident: acme/api#11 merged without a passing Change Policy check", "<!-- change-policy:incident bypass acme/api#11 -->", "2026-07-20T16:30:09Z", null, "security-incident"),
    issue(41, "Security incident: 1 commit pushed to acme/api@main without a merged pull request", `<!-- change-policy:incident push acme/api@${"d".repeat(40)} -->`, "2026-09-02T07:00:00Z", "2026-09-03T07:00:00Z", "security-incident"),
    issue(42, "Incident of another repository", "<!-- change-policy:incident bypass acme/web#3 -->", "2026-09-05T07:00:00Z", null, "security-incident"),
    issue(43, "Old incident, updated in the period", "<!-- change-policy:incident bypass acme/api#2 -->", "2026-06-05T07:00:00Z", null, "security-incident"),
  ]);
}

async function report(progress: string[] = []) {
  const octokit = new TestOctokit({ auth: "ghs_test" });
  return buildAuditReport(octokit, { owner: "acme", repo: "api", since: SINCE, until: UNTIL, now: NOW, progress: (m) => progress.push(m) });
}

describe("buildAuditReport against GitHub's records", () => {
  test("reads a quarter in 6 requests: one search for all PRs, the policy twice, one team, follow-ups and incidents", async () => {
    quarter();
    const progress: string[] = [];
    const r = await report(progress);
    expect(github.calls()).toEqual([
      "POST /graphql",
      "GET /repos/acme/api/contents/.github%2Fchange-policy.yml",
      "GET /repos/acme/api/contents/.github%2Fchange-policy.yml?ref=main",
      "GET /orgs/acme/teams/security-leads/members?per_page=100",
      `GET ${FOLLOW_UPS}`,
      `GET ${INCIDENTS}`,
    ]);
    expect(github.requests[0]!.body.variables).toEqual({
      q: "repo:acme/api is:pr is:merged merged:2026-07-01T00:00:00Z..2026-09-30T23:59:59Z",
      first: 25,
      after: null,
      checkName: "Change Policy",
      appId: null,
      withDepth: false, // commits and head checks would cost ~55 points a page; the audit does not read them
    });
    expect(r.apiRequests).toBe(6);
    expect(progress).toEqual([
      "Listing pull requests of acme/api merged 2026-07-01T00:00:00Z – 2026-09-30T23:59:59Z…",
      "listed 3 merged pull requests",
      "3 merged pull requests; reading policies and group members…",
      "Done: 3 pull requests, 2 incidents, 6 GitHub API requests.",
    ]);
  });

  test("markdown: totals, exceptions, then every merged PR and incident", async () => {
    quarter();
    expect(renderAuditReport(await report(), "md")).toBe(
      [
        "# Change audit report: acme/api",
        "",
        "- **Period (merge time, UTC):** 2026-07-01T00:00:00Z – 2026-09-30T23:59:59Z",
        "- **Generated:** 2026-10-15T09:00:00Z, from GitHub's records (pull requests, reviews, check runs, issues)",
        "- **Policy:** `main`: acme/api:.github/change-policy.yml — each PR is classified with the policy on its base branch as it is now",
        "- **GitHub API requests:** 6",
        "",
        "## Totals",
        "",
        "| Measure | Count |",
        "| --- | ---: |",
        "| Merged pull requests | 3 |",
        "| Standard changes | 1 |",
        "| Normal changes | 1 |",
        "| Emergency changes | 1 |",
        "| Check at merge: `success` | 2 |",
        "| Check at merge: `failure` | 1 |",
        "| Emergency reviews on time | 0 |",
        "| Emergency reviews late | 1 |",
        "| Emergency reviews open | 0 |",
        "| Emergency reviews overdue | 0 |",
        "| Emergency reviews missing | 0 |",
        "| Security incidents (open / closed) | 2 (1 / 1) |",
        "",
        "## Exceptions",
        "",
        "- **#11** standard change merged by @admin-alice while the Change Policy check was `failure` (Standard change: 2 of 2 requirements missing)",
        "- **#12** emergency review #30 closed 2026-08-04T10:00:00Z, after its due time 2026-08-03T08:00:00Z",
        "- **#40** security incident (open, bypassed check): Security incident: acme/api#11 merged without a passing Change Policy check",
        "- **#41** security incident (closed, direct push): Security incident: 1 commit pushed to acme/api@main without a merged pull request",
        "",
        "## Merged pull requests",
        "",
        "| PR | Merged (UTC) | Merged by | Class | Check at merge | Approvers (groups) | Sections present | Emergency review |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        "| #10 Upgrade the HTTP client | 2026-07-03T10:00:00Z | @bob | normal | success | @bob, @dave (cto-ciso) | Description, Impact analysis, Rollback plan | — |",
        "| #11 Docs, with a \\| pipe | 2026-07-20T16:30:00Z | @admin-alice | standard | failure | — | — | — |",
        "| #12 Hotfix: stop the payment double charge | 2026-08-01T08:00:00Z | @erin | emergency | success | @bob | Description | #30 late (closed 2026-08-04T10:00:00Z, due 2026-08-03T08:00:00Z) |",
        "",
        "## Security incidents",
        "",
        "| Issue | Opened (UTC) | Kind | About | State | Title |",
        "| --- | --- | --- | --- | --- | --- |",
        "| #40 | 2026-07-20T16:30:09Z | bypassed check | `#11` | open | Security incident: acme/api#11 merged without a passing Change Policy check |",
        "| #41 | 2026-09-02T07:00:00Z | direct push | `dddddddddddd` | closed 2026-09-03T07:00:00Z | Security incident: 1 commit pushed to acme/api@main without a merged pull request |",
        "",
      ].join("\n"),
    );
  });

  test("csv: one header, one row per merged PR and per incident, quoted where needed", async () => {
    quarter();
    expect(renderAuditReport(await report(), "csv").split("\r\n")).toEqual([
      "record,number,title,author,merged_at,merged_by,class,check_at_merge,approvers,approver_groups,sections_present,emergency_review,emergency_review_status,emergency_review_due,incident_kind,incident_subject,state,opened_at,closed_at,exceptions",
      "pull_request,10,Upgrade the HTTP client,codertocat,2026-07-03T10:00:00Z,bob,normal,success,bob; dave,bob: -; dave: cto-ciso,Description; Impact analysis; Rollback plan,,,,,,merged,,,",
      "pull_request,11,\"Docs, with a | pipe\",codertocat,2026-07-20T16:30:00Z,admin-alice,standard,failure,,,,,,,,,merged,,,check-not-success",
      "pull_request,12,Hotfix: stop the payment double charge,codertocat,2026-08-01T08:00:00Z,erin,emergency,success,bob,bob: -,Description,30,late,2026-08-03T08:00:00Z,,,merged,,2026-08-04T10:00:00Z,emergency-review-late",
      `incident,40,Security incident: acme/api#11 merged without a passing Change Policy check,,,,,,,,,,,,bypass,#11,open,2026-07-20T16:30:09Z,,incident`,
      `incident,41,Security incident: 1 commit pushed to acme/api@main without a merged pull request,,,,,,,,,,,,push,${"d".repeat(40)},closed,2026-09-02T07:00:00Z,2026-09-03T07:00:00Z,incident`,
      "",
    ]);
  });

  test("json: the whole structure, for tools", async () => {
    quarter();
    const json = JSON.parse(renderAuditReport(await report(), "json"));
    expect(Object.keys(json)).toEqual(["repository", "since", "until", "generatedAt", "policies", "totals", "exceptions", "pulls", "incidents", "apiRequests"]);
    expect(json.totals).toEqual({
      pulls: 3,
      byClass: { standard: 1, normal: 1, emergency: 1 },
      byCheckConclusion: { success: 2, failure: 1 },
      emergencyReviews: { "on time": 0, late: 1, open: 0, overdue: 0, missing: 0 },
      incidents: { total: 2, open: 1, closed: 1 },
    });
    expect(json.exceptions.map((e: { kind: string; reference: string }) => `${e.kind} ${e.reference}`)).toEqual([
      "check-not-success #11",
      "emergency-review-late #12",
      "incident #40",
      "incident #41",
    ]);
    expect(json.pulls[2]).toEqual({
      number: 12,
      title: "Hotfix: stop the payment double charge",
      author: "codertocat",
      mergedAt: "2026-08-01T08:00:00Z",
      mergedBy: "erin",
      changeClass: "emergency",
      checkConclusion: "success",
      checkTitle: "Emergency change: all requirements met",
      approvers: [{ login: "bob", groups: [] }],
      sectionsPresent: ["Description"],
      emergencyReview: { status: "late", due: "2026-08-03T08:00:00Z", issue: { number: 30, url: "https://github.com/acme/api/issues/30", closedAt: "2026-08-04T10:00:00Z" } },
    });
    expect(json.incidents[1]).toEqual({
      number: 41,
      title: "Security incident: 1 commit pushed to acme/api@main without a merged pull request",
      url: "https://github.com/acme/api/issues/41",
      state: "closed",
      createdAt: "2026-09-02T07:00:00Z",
      closedAt: "2026-09-03T07:00:00Z",
      kind: "push",
      subject: "d".repeat(40),
    });
  });

  test("more than 1,000 results: the period is split in halves and every page is read", async () => {
    const q = (from: string, to: string) => `repo:acme/api is:pr is:merged merged:${from}..${to}`;
    github.on("POST", "/graphql", 200, search([], 1500));
    github.on("POST", "/graphql", 200, search([pull({ number: 1, mergedAt: "2026-07-02T00:00:00Z" })], 2, "cursor-1"));
    github.on("POST", "/graphql", 200, search([pull({ number: 2, mergedAt: "2026-07-03T00:00:00Z" })], 2));
    github.on("POST", "/graphql", 200, search([pull({ number: 3, mergedAt: "2026-09-01T00:00:00Z" })], 1));
    github.file("acme", "api", ".github/change-policy.yml", "");
    github.file("acme", "api", ".github/change-policy.yml", "", "main");
    github.on("GET", INCIDENTS, 200, []);

    const r = await report();

    expect(github.requests.filter((x) => x.path === "/graphql").map((x) => [x.body.variables.q, x.body.variables.after])).toEqual([
      [q("2026-07-01T00:00:00Z", "2026-09-30T23:59:59Z"), null],
      [q("2026-07-01T00:00:00Z", "2026-08-15T23:59:59Z"), null],
      [q("2026-07-01T00:00:00Z", "2026-08-15T23:59:59Z"), "cursor-1"],
      [q("2026-08-16T00:00:00Z", "2026-09-30T23:59:59Z"), null],
    ]);
    expect(r.pulls.map((p) => p.number)).toEqual([1, 2, 3]);
    expect(r.exceptions.map((e) => e.kind)).toEqual(["check-not-success", "check-not-success", "check-not-success"]);
  });

  test("cost: 60 merged PRs take 3 search pages and 3 more requests (0.1 request per PR)", async () => {
    const page = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => pull({ number: from + i, mergedAt: `2026-07-${String(2 + ((from + i) % 27)).padStart(2, "0")}T10:00:00Z`, check: { id: from + i, conclusion: "SUCCESS", title: "ok", summary: "" } }));
    github.on("POST", "/graphql", 200, search(page(1, 25), 60, "c1"));
    github.on("POST", "/graphql", 200, search(page(26, 25), 60, "c2"));
    github.on("POST", "/graphql", 200, search(page(51, 10), 60));
    github.file("acme", "api", ".github/change-policy.yml", "");
    github.file("acme", "api", ".github/change-policy.yml", "", "main");
    github.on("GET", INCIDENTS, 200, []);

    const r = await report();

    expect(r.pulls).toHaveLength(60);
    expect(r.apiRequests).toBe(6);
    expect(r.exceptions).toEqual([]);
  });

  test("the search query is valid against GitHub's published GraphQL schema", () => {
    expect(validate(MERGED_PULLS_QUERY)).toEqual([]);
    expect(validate(MERGED_PULLS_QUERY.replace("issueCount", "count")).length).toBeGreaterThan(0);
  });
});

describe("the audit command", () => {
  const client = () => new TestOctokit({ auth: "ghs_test" });

  test("change-policy audit prints the report on stdout and progress on stderr", async () => {
    github.on("POST", "/graphql", 200, search([]));
    github.file("acme", "api", ".github/change-policy.yml", "");
    github.on("GET", INCIDENTS, 200, []);
    const io = memoryIO();
    const program = new Command("change-policy").exitOverride();
    registerAuditCommand(program, io, { client: client(), now: () => NOW });
    await program.parseAsync(["audit", "--repo", "acme/api", "--since", "2026-07-01", "--until", "2026-09-30", "--format", "csv"], { from: "user" });
    expect(io.code).toBe(0);
    expect(io.stdout).toEqual([`${CSV_HEADER.join(",")}`]);
    expect(io.stderr).toEqual([
      "Listing pull requests of acme/api merged 2026-07-01T00:00:00Z – 2026-09-30T23:59:59Z…",
      "listed 0 merged pull requests",
      "0 merged pull requests; reading policies and group members…",
      "Done: 0 pull requests, 0 incidents, 3 GitHub API requests.",
    ]);
  });

  test.each([
    [["--repo", "acme", "--since", "2026-07-01", "--until", "2026-09-30"], 'error: --repo must be OWNER/REPO, not "acme"'],
    [["--repo", "acme/api", "--since", "2026-02-30", "--until", "2026-09-30"], 'error: "2026-02-30" is not a valid date; write it as YYYY-MM-DD, e.g. 2026-07-01'],
    [["--repo", "acme/api", "--since", "2026-10-01", "--until", "2026-09-30"], "error: --since (2026-10-01T00:00:00Z) is after --until (2026-09-30T23:59:59Z)"],
  ])("bad input %j: a clear error, exit 2, no request", async (args, message) => {
    const io = memoryIO();
    expect(await runAudit({ repo: args[1]!, since: args[3]!, until: args[5]!, format: "md" }, io, { client: client() })).toBe(2);
    expect(io.stderr).toEqual([message]);
    expect(github.calls()).toEqual([]);
  });

  test("an unknown format is a usage error", async () => {
    const io = memoryIO();
    await runCli(["audit", "--repo", "acme/api", "--since", "2026-07-01", "--until", "2026-09-30", "--format", "xlsx"], io);
    expect(io.code).toBe(2);
    expect(io.stderr[0]).toBe("error: option '--format <format>' argument 'xlsx' is invalid. Allowed choices are md, csv, json.");
  });
});

describe("change-policy audit --from-ledger", () => {
  const HOTFIX = "## Description\nStop charging twice when the gateway times out.";

  /** The ledger's merges of the quarter: #10 as GitHub still shows it, #12 edited and relabelled since, on an older policy. */
  async function ledgerOfQuarter() {
    const ledger = await openTestLedger();
    const recorded = { base_ref: "main", policy_blob_sha: gitBlobSha(CONFIG) };
    await ledger.append("2026-07-03T10:00:01.000Z", "merge", "acme/api", "#10", mergeBody(10, { ...recorded, ...requestForChangeRecord(COMPLETE_BODY), merged_at: "2026-07-03T10:00:00Z", merged_by: "bob", labels: [] }));
    await ledger.append("2026-08-01T08:00:01.000Z", "merge", "acme/api", "#12", mergeBody(12, { ...recorded, ...requestForChangeRecord(HOTFIX), merged_at: "2026-08-01T08:00:00Z", class: "emergency", labels: ["emergency"], policy_blob_sha: "0".repeat(40) }));
    await ledger.append("2026-08-01T08:00:02.000Z", "follow_up", "acme/api", "#12", { event: "opened", pull_number: 12, issue: "acme/api#30", due_at: "2026-08-03T08:00:00Z" });
    return ledger;
  }

  function githubNowOfQuarter() {
    github.on(
      "POST",
      "/graphql",
      200,
      search([
        pull({ number: 10, body: COMPLETE_BODY, mergedAt: "2026-07-03T10:00:00Z", mergedBy: "bob" }),
        pull({ number: 11, body: "no sections", mergedAt: "2026-07-20T16:30:00Z", mergedBy: "admin-alice" }),
        pull({ number: 12, body: `${HOTFIX}\n\nRoot cause: added after the merge.`, labels: ["emergency", "reviewed"], mergedAt: "2026-08-01T08:00:00Z", mergedBy: "erin" }),
      ]),
    );
    github.file("acme", "api", ".github/change-policy.yml", CONFIG, "main");
  }

  const run = (io: ReturnType<typeof memoryIO>, format: "md" | "json", deps: Parameters<typeof runAudit>[2] = {}) =>
    runAudit({ repo: "acme/api", since: "2026-07-01", until: "2026-09-30", format, fromLedger: true }, io, { now: () => NOW, ...deps });

  test("with credentials: the recorded verdicts, plus what changed on GitHub after each merge and the merge the ledger missed", async () => {
    const ledger = await ledgerOfQuarter();
    try {
      githubNowOfQuarter();
      const io = memoryIO({ env: { DATA_DIR: ledger.dir } });
      expect(await run(io, "md", { client: new TestOctokit({ auth: "ghs_test" }) })).toBe(0);
      // One search for the period's merged PRs and one read of the policy on the merges' base branch.
      expect(github.calls()).toEqual(["POST /graphql", "GET /repos/acme/api/contents/.github%2Fchange-policy.yml?ref=main"]);
      const markdown = io.stdout.join("\n");
      expect(markdown).toContain("- **Generated:** 2026-10-15T09:00:00Z, from the evidence ledger (each merge as recorded at that moment), compared with GitHub now");
      expect(markdown).toContain("- **GitHub API requests:** 2");
      const exceptions = markdown.slice(markdown.indexOf("## Exceptions"), markdown.indexOf("## Merged pull requests")).trim().split("\n").slice(2);
      expect(exceptions).toEqual([
        "- **#12** emergency review #30 still open, overdue since 2026-08-03T08:00:00Z",
        expect.stringMatching(/^- \*\*#12\*\* description edited after merge \(SHA-256 [0-9a-f]{12}… at merge, [0-9a-f]{12}… now\); the ledger holds the Request for Change as read at merge$/),
        "- **#12** labels changed after merge: added `reviewed`",
        `- **#12** the policy on \`main\` changed after merge (blob 0000000 at merge, ${gitBlobSha(CONFIG).slice(0, 7)} now); this report shows the verdict at merge`,
        "- **#11** merged 2026-07-20T16:30:00Z by @admin-alice with no merge entry in the ledger: what was true at merge is not recorded",
      ]);
      expect(io.stderr[0]).toBe(`Reading the evidence ledger (${ledger.dir})…`);
      expect(io.stderr.at(-1)).toBe("Done: 2 merges from the ledger, 5 exceptions, 2 GitHub API requests.");
    } finally {
      await ledger.close();
    }
  });

  test("the same builder with or without GitHub: only the exceptions GitHub now adds (and the request count) differ", async () => {
    const ledger = await ledgerOfQuarter();
    try {
      const offline = memoryIO({ env: { DATA_DIR: ledger.dir } });
      expect(await run(offline, "json")).toBe(0);
      expect(github.calls()).toEqual([]);
      expect(offline.stderr[1]).toBe("No GitHub credentials (--token, GITHUB_TOKEN, or APP_ID with its private key): the merges are not compared with GitHub now.");

      githubNowOfQuarter();
      const online = memoryIO({ env: { DATA_DIR: ledger.dir } });
      expect(await run(online, "json", { client: new TestOctokit({ auth: "ghs_test" }) })).toBe(0);

      const without = JSON.parse(offline.stdout.join("\n"));
      const withGitHub = JSON.parse(online.stdout.join("\n"));
      expect(without).toMatchObject({ source: "ledger", comparedWithGitHub: false, apiRequests: 0 });
      expect(withGitHub).toMatchObject({ source: "ledger", comparedWithGitHub: true, apiRequests: 2 });
      expect(withGitHub.exceptions.slice(0, without.exceptions.length)).toEqual(without.exceptions);
      expect(withGitHub.exceptions.slice(without.exceptions.length).map((e: { kind: string }) => e.kind)).toEqual(["description-edited-after-merge", "labels-changed-after-merge", "policy-changed-after-merge", "no-ledger-entry"]);
      const rest = (r: Record<string, unknown>) => ({ ...r, exceptions: undefined, comparedWithGitHub: undefined, apiRequests: undefined });
      expect(rest(withGitHub)).toEqual(rest(without));
    } finally {
      await ledger.close();
    }
  });

  test("credentials that do not work: a clear error, exit 2, no report", async () => {
    const ledger = await ledgerOfQuarter();
    try {
      const io = memoryIO({ env: { DATA_DIR: ledger.dir, APP_ID: "12345" } });
      expect(await run(io, "md")).toBe(2);
      expect(io.stdout).toEqual([]);
      expect(io.stderr).toEqual(["error: APP_ID is set but neither PRIVATE_KEY nor PRIVATE_KEY_PATH is."]);
    } finally {
      await ledger.close();
    }
  });
});

test("dates: a day covers the whole UTC day; times need a zone", () => {
  expect(parseAuditDate("2026-07-01", "start").toISOString()).toBe("2026-07-01T00:00:00.000Z");
  expect(parseAuditDate("2026-09-30", "end").toISOString()).toBe("2026-09-30T23:59:59.000Z");
  expect(parseAuditDate("2026-07-01T12:00:00+02:00", "start").toISOString()).toBe("2026-07-01T10:00:00.000Z");
  expect(() => parseAuditDate("2026-07-01T12:00:00", "start")).toThrow("is not a valid date");
  expect(() => parseAuditDate("last quarter", "start")).toThrow("is not a valid date");
});
