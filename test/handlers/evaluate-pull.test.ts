import nock from "nock";
import type { Probot } from "probot";
import { clearMembershipCaches } from "../../src/github/membership.js";
import { registry } from "../../src/metrics.js";
import { expectGitHubSettled, examplePayload, FakeGitHub, testProbot } from "../helpers/app.js";
import { COMPLETE_BODY, graphqlPull, HEAD, type PullFixture } from "../helpers/graphql-pull.js";

const CONFIG = `
groups:
  cto-ciso: { users: [alice], teams: [Codertocat/security-leads] }
`;
const CONFIG_URL = "/repos/Codertocat/Hello-World/contents/.github%2Fchange-policy.yml?ref=master";
const TEAM_URL = "/orgs/codertocat/teams/security-leads/members?per_page=100";
const CHECK_RUNS = "/repos/Codertocat/Hello-World/check-runs";
/** Our run on the head commit, looked up before a fail-closed write when the evaluation could not read it. */
const OUR_RUNS = `/repos/Codertocat/Hello-World/commits/${HEAD}/check-runs?check_name=Change%20Policy&app_id=1`;

let probot: Probot;
let github: FakeGitHub;

beforeAll(async () => {
  nock.disableNetConnect();
  probot = await testProbot();
});
beforeEach(() => {
  github = new FakeGitHub();
  clearMembershipCaches();
});
afterEach(expectGitHubSettled);
afterAll(() => nock.enableNetConnect());

function prOpened() {
  return { id: "delivery-1", name: "pull_request" as const, payload: examplePayload("pull_request", "opened") as never };
}

function checkWrite() {
  const write = github.requests.find((r) => r.method !== "GET" && r.path.includes("/check-runs"));
  if (!write) throw new Error(`no check written; requests: ${github.calls().join(", ")}`);
  return write;
}

/**
 * The policy at the base the event names (master), then the one query. CONFIG's one team
 * (codertocat/security-leads, alias t0) has carol in it unless the fixture says otherwise.
 */
function standardSetup(pull: PullFixture, config: string | null = CONFIG) {
  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", config, "master");
  github.on("POST", "/graphql", 200, graphqlPull({ teams: config === CONFIG ? [["carol"]] : [], ...pull }));
}

function graphqlRequest() {
  const query = github.requests.find((r) => r.path === "/graphql");
  if (!query) throw new Error(`no query; requests: ${github.calls().join(", ")}`);
  return query.body as { query: string; variables: Record<string, unknown> };
}

describe("a pull request opened in a repository with a policy", () => {
  test("a normal change without its Request for Change fails and says what is missing, in 3 requests", async () => {
    standardSetup({ files: ["package.json", "src/index.ts"], body: "## Description\nBump the dependency to fix a bug." });
    github.on("POST", CHECK_RUNS, 201, { id: 7 });

    await probot.receive(prOpened());

    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql", `POST ${CHECK_RUNS}`]);
    const check = checkWrite().body;
    expect(check).toMatchObject({ name: "Change Policy", head_sha: HEAD, status: "completed", conclusion: "failure" });
    expect(check.output.title).toBe("Normal change: 6 of 7 requirements missing");
    expect(check.output.summary).toContain("changed paths matching `classification.normal.paths`: `package.json`");
    expect(check.output.summary).toContain("- ✅ **Description**: present");
    expect(check.output.summary).toContain("- ❌ **Impact analysis**: add a `## Impact analysis` heading (or `Impact`)");
    expect(check.output.summary).toContain("- ❌ **Owner**: add a line `Owner: @octocat` to the description (or assign the pull request)");
    expect(check.output.summary).toContain("- ❌ **1 approval from cto-ciso**: has 0 of 1; ask @alice, team @codertocat/security-leads to approve");
    expect(check.actions).toEqual([{ label: "Re-evaluate", description: "Evaluate the policy again now", identifier: "re-evaluate" }]);
  });

  test("a normal change with its RFC, a peer approval and a CTO approval (team member) passes", async () => {
    standardSetup({
      files: ["package.json"],
      body: COMPLETE_BODY,
      reviews: [
        { author: "bob", state: "APPROVED" },
        { author: "carol", state: "APPROVED" },
      ],
    });
    github.on("POST", CHECK_RUNS, 201, { id: 7 });

    await probot.receive(prOpened());

    const check = checkWrite().body;
    expect(check.conclusion).toBe("success");
    expect(check.output.title).toBe("Normal change: all requirements met");
    expect(check.output.summary).toContain("- ✅ **1 approval from cto-ciso**: approved by @carol");
  });

  test("a CTO approval counts only through the team members the query returned", async () => {
    // Same PR as above, but carol is not in the team GitHub returns: her approval is a peer's only.
    standardSetup({
      files: ["package.json"],
      body: COMPLETE_BODY,
      reviews: [
        { author: "bob", state: "APPROVED" },
        { author: "carol", state: "APPROVED" },
      ],
      teams: [["dave"]],
    });
    github.on("POST", CHECK_RUNS, 201, { id: 7 });

    await probot.receive(prOpened());

    const check = checkWrite().body;
    expect(check.conclusion).toBe("failure");
    expect(check.output.summary).toContain("- ❌ **1 approval from cto-ciso**: has 0 of 1; ask @alice, team @codertocat/security-leads to approve");
  });

  test("the author's, a bot's, an outsider's (no write access) and a stale approval never count", async () => {
    standardSetup({
      files: ["docs/guide.md"],
      body: "## Description\nExplain how to configure the service.",
      reviews: [
        { author: "Codertocat", state: "APPROVED" },
        { author: "dependabot[bot]", state: "APPROVED", bot: true },
        { author: "stranger", state: "APPROVED", canPush: false },
        { author: "bob", state: "APPROVED", commit: "0000000000000000000000000000000000000000" },
      ],
    });
    github.on("POST", CHECK_RUNS, 201, { id: 7 });

    await probot.receive(prOpened());

    const check = checkWrite().body;
    expect(check.conclusion).toBe("failure");
    expect(check.output.title).toBe("Standard change: 1 of 2 requirements missing");
    expect(check.output.summary).toContain("@stranger's approval does not count: has no write access to the repository (permission: read).");
    expect(check.output.summary).toContain("@bob's approval does not count: given on an older commit (0000000); approvals must be on the head commit.");
    expect(check.output.summary).toContain("@codertocat's approval does not count: is the author of the pull request.");
    expect(check.output.summary).toContain("@dependabot[bot]'s approval does not count: is a bot.");
    // Write access came with the reviews in the query: nobody's permission was asked over REST.
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql", `POST ${CHECK_RUNS}`]);
  });

  test("an approval by a reviewer with write access counts; the same approval without it does not", async () => {
    // The pair that shows `canPush` (authorCanPushToRepository) is what decides, nothing else.
    const pull = (canPush: boolean): PullFixture => ({ files: ["docs/guide.md"], body: "## Description\nExplain how to configure the service.", reviews: [{ author: "bob", state: "APPROVED", canPush }] });
    standardSetup(pull(true));
    github.on("POST", CHECK_RUNS, 201, { id: 7 });
    await probot.receive(prOpened());
    expect(checkWrite().body).toMatchObject({ conclusion: "success", output: { title: "Standard change: all requirements met" } });

    github = new FakeGitHub();
    standardSetup(pull(false));
    github.on("POST", CHECK_RUNS, 201, { id: 7 });
    await probot.receive(prOpened());
    const check = checkWrite().body;
    expect(check).toMatchObject({ conclusion: "failure", output: { title: "Standard change: 1 of 2 requirements missing" } });
    expect(check.output.summary).toContain("@bob's approval does not count: has no write access to the repository (permission: read).");
  });

  test("an unchanged verdict is not written again; a changed one updates the existing run", async () => {
    const body = "## Description\nExplain how to configure the service.";
    standardSetup({ files: ["docs/guide.md"], body });
    github.on("POST", CHECK_RUNS, 201, { id: 7 });
    await probot.receive(prOpened());
    const first = checkWrite().body;

    github = new FakeGitHub();
    standardSetup({ files: ["docs/guide.md"], body, check: { id: 7, conclusion: "FAILURE", title: first.output.title, summary: first.output.summary } });
    await probot.receive(prOpened());
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql"]);

    github = new FakeGitHub();
    standardSetup({ files: ["docs/guide.md"], body, check: { id: 7, conclusion: "FAILURE", title: "old", summary: "old" } });
    github.on("PATCH", `${CHECK_RUNS}/7`, 200, { id: 7 });
    await probot.receive(prOpened());
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql", `PATCH ${CHECK_RUNS}/7`]);
    expect(checkWrite().body.output.title).toBe(first.output.title);
  });
});

describe("API cost", () => {
  test("a cold evaluation of an approved normal change with a team-based CTO group costs 3 requests: the policy, one query, the check", async () => {
    standardSetup({
      files: ["package.json", "db/migrations/0002_add_index.sql"],
      body: COMPLETE_BODY,
      reviews: [
        { author: "bob", state: "APPROVED" },
        { author: "erin", state: "CHANGES_REQUESTED", submittedAt: "2026-11-24T10:00:00Z" },
        { author: "erin", state: "APPROVED" },
        { author: "carol", state: "APPROVED" },
      ],
    });
    github.on("POST", CHECK_RUNS, 201, { id: 7 });

    await probot.receive(prOpened());

    // No per-reviewer permission read and no team member read: both ride in the one query.
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql", `POST ${CHECK_RUNS}`]);
    const { query, variables } = graphqlRequest();
    expect(query).toContain("authorCanPushToRepository");
    expect(query).toContain("t0: organization(login: $o0) { team(slug: $s0)");
    expect(query).not.toContain("t1:");
    expect(variables).toMatchObject({ owner: "Codertocat", repo: "Hello-World", number: 2, o0: "codertocat", s0: "security-leads" });
    expect(checkWrite().body).toMatchObject({ conclusion: "success", output: { title: "Normal change: all requirements met" } });
    expect(checkWrite().body.output.summary).toContain("approved by @carol");
  });

  test("the teams of every group the policy uses are asked for once each, in sorted org/slug order", async () => {
    const config = `
groups:
  cto-ciso: { users: [], teams: [Codertocat/security-leads, Codertocat/architects] }
  emergency-declarers: { users: [], teams: [Codertocat/oncall, Codertocat/security-leads] }
  unused: { users: [], teams: [Codertocat/nobody-asks] }
`;
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", config, "master");
    // Aliases: t0 codertocat/architects, t1 codertocat/oncall, t2 codertocat/security-leads.
    github.on("POST", "/graphql", 200, graphqlPull({ files: ["package.json"], body: COMPLETE_BODY, reviews: [{ author: "bob", state: "APPROVED" }, { author: "carol", state: "APPROVED" }], teams: [["dave"], ["oncall"], ["carol"]] }));
    github.on("POST", CHECK_RUNS, 201, { id: 7 });

    await probot.receive(prOpened());

    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql", `POST ${CHECK_RUNS}`]);
    expect(graphqlRequest().variables).toMatchObject({ o0: "codertocat", s0: "architects", o1: "codertocat", s1: "oncall", o2: "codertocat", s2: "security-leads" });
    expect(graphqlRequest().variables).not.toHaveProperty("s3");
    expect(checkWrite().body.output.summary).toContain("- ✅ **1 approval from cto-ciso**: approved by @carol");
  });
});

describe("configuration", () => {
  test("no file in the repository nor in the organisation: the app stays silent", async () => {
    standardSetup({}, null);
    github.file("Codertocat", ".github", ".github/change-policy.yml", null);
    await probot.receive(prOpened());
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "GET /repos/Codertocat/.github/contents/.github%2Fchange-policy.yml", "POST /graphql"]);
  });

  test("the organisation's .github repository applies when the repository has no file", async () => {
    standardSetup({ files: ["docs/a.md"], body: "## Summary\nA documentation only change here." }, null);
    github.file("Codertocat", ".github", ".github/change-policy.yml", "classes:\n  standard:\n    approvals: []\n");
    github.on("POST", CHECK_RUNS, 201, { id: 7 });
    await probot.receive(prOpened());
    expect(checkWrite().body.output.title).toBe("Standard change: all requirements met");
  });

  test("an invalid file fails the check and lists every problem with its line", async () => {
    standardSetup({}, "classes:\n  normal:\n    aprovals: []\napprovals:\n  stale: sometimes\n");
    github.on("POST", CHECK_RUNS, 201, { id: 7 });
    await probot.receive(prOpened());
    const check = checkWrite().body;
    expect(check.conclusion).toBe("failure");
    expect(check.output.title).toBe("Configuration error: 2 problems in the policy file");
    expect(check.output.summary).toContain('Codertocat/Hello-World:.github/change-policy.yml:3: classes.normal.aprovals: unknown key "aprovals" (check the spelling)');
    expect(check.output.summary).toContain("Codertocat/Hello-World:.github/change-policy.yml:5: approvals.stale:");
  });

  test("a PR that edits the policy file is at least a normal change", async () => {
    standardSetup({ files: [".github/change-policy.yml"], labels: ["change:standard"] });
    github.on("POST", CHECK_RUNS, 201, { id: 7 });
    await probot.receive(prOpened());
    expect(checkWrite().body.output.title).toMatch(/^Normal change: /);
    expect(checkWrite().body.output.summary).toContain("changes the policy file `.github/change-policy.yml` (always at least normal)");
  });

  test("a PR whose base is no longer the one the event names is judged by its real base's policy, read again (with that policy's teams over REST)", async () => {
    const release = "groups:\n  cto-ciso: { users: [], teams: [Codertocat/release-managers] }\n";
    // The event still says master; GitHub says the PR now targets release-1 (its base was edited).
    standardSetup({ baseRef: "release-1", defaultBranch: "master", files: ["package.json"], body: COMPLETE_BODY, reviews: [{ author: "bob", state: "APPROVED" }, { author: "carol", state: "APPROVED" }] });
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", release, "release-1");
    github.on("GET", "/orgs/codertocat/teams/release-managers/members?per_page=100", 200, [{ login: "erin" }]);
    github.on("POST", CHECK_RUNS, 201, { id: 7 });

    await probot.receive(prOpened());

    expect(github.calls()).toEqual([
      `GET ${CONFIG_URL}`,
      "POST /graphql",
      "GET /repos/Codertocat/Hello-World/contents/.github%2Fchange-policy.yml?ref=release-1",
      "GET /orgs/codertocat/teams/release-managers/members?per_page=100",
      `POST ${CHECK_RUNS}`,
    ]);
    // Under master's policy carol (security-leads) would be the CTO approval; under release-1's she is not.
    const check = checkWrite().body;
    expect(check.conclusion).toBe("failure");
    expect(check.output.summary).toContain("- ❌ **1 approval from cto-ciso**: has 0 of 1; ask team @codertocat/release-managers to approve");
  });
});

describe("failing closed", () => {
  test("a GitHub outage gives a failing check that says so", async () => {
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
    github.on("POST", "/graphql", 502, { message: "Bad Gateway" });
    github.on("GET", OUR_RUNS, 200, { total_count: 0, check_runs: [] });
    github.on("POST", CHECK_RUNS, 201, { id: 7 });
    await probot.receive(prOpened());
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql", `GET ${OUR_RUNS}`, `POST ${CHECK_RUNS}`]);
    const check = checkWrite().body;
    expect(check).toMatchObject({ head_sha: HEAD, conclusion: "failure" });
    expect(check.output.title).toBe("Could not evaluate: the check fails until it can");
    expect(check.output.summary).toContain("GitHub had an internal error (502).");
  });

  test("a missing permission gives a failing check that says how to fix it", async () => {
    // The policy is read first; when it cannot be, nothing else is read and the check fails on the event's head.
    github.on("GET", CONFIG_URL, 403, { message: "Resource not accessible by integration" });
    github.on("GET", OUR_RUNS, 200, { total_count: 0, check_runs: [] });
    github.on("POST", CHECK_RUNS, 201, { id: 7 });
    await probot.receive(prOpened());
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, `GET ${OUR_RUNS}`, `POST ${CHECK_RUNS}`]);
    const check = checkWrite().body;
    expect(check).toMatchObject({ head_sha: HEAD, conclusion: "failure" });
    expect(check.output.summary).toContain("The app is probably missing a permission");
    expect(check.output.summary).toContain("accept the app's requested permissions");
  });
});

describe("re-evaluation triggers", () => {
  function ourRerun(pullRequests: unknown[]) {
    const payload = examplePayload("check_run", "rerequested") as any;
    payload.check_run.name = "Change Policy";
    payload.check_run.app.id = 1;
    payload.repository.owner.login = "Codertocat";
    payload.repository.name = "Hello-World";
    payload.check_run.head_sha = HEAD;
    payload.check_run.pull_requests = pullRequests;
    return { id: "d2", name: "check_run" as const, payload };
  }

  test("Re-run on our check run re-evaluates the PR it belongs to, with the policy of the base the run names", async () => {
    // The shape GitHub sends for a PR of the same repository (from the example of a created run).
    const pullRequests = examplePayload("check_run", "created").check_run.pull_requests;
    expect(pullRequests).toEqual([expect.objectContaining({ number: 2, base: expect.objectContaining({ ref: "master" }) })]);
    standardSetup({ files: ["docs/a.md"], body: "## Summary\nA documentation only change here." });
    github.on("POST", CHECK_RUNS, 201, { id: 7 });
    await probot.receive(ourRerun(pullRequests) as never);
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql", `POST ${CHECK_RUNS}`]);
    expect(checkWrite().body.output.title).toBe("Standard change: 1 of 2 requirements missing");
  });

  test("Re-run on a PR from a fork (no pull_requests in the run): the PR is looked up and the default branch's policy read", async () => {
    github.on("GET", `/repos/Codertocat/Hello-World/commits/${HEAD}/pulls`, 200, [{ number: 2, state: "open", head: { sha: HEAD } }]);
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG);
    github.on("POST", "/graphql", 200, graphqlPull({ files: ["docs/a.md"], body: "## Summary\nA documentation only change here.", teams: [["carol"]] }));
    github.on("POST", CHECK_RUNS, 201, { id: 7 });
    await probot.receive(ourRerun([]) as never);
    // The PR targets the default branch (master), so the policy read without a ref was the right one.
    expect(github.calls()).toEqual([
      `GET /repos/Codertocat/Hello-World/commits/${HEAD}/pulls`,
      "GET /repos/Codertocat/Hello-World/contents/.github%2Fchange-policy.yml",
      "POST /graphql",
      `POST ${CHECK_RUNS}`,
    ]);
    expect(checkWrite().body.output.title).toBe("Standard change: 1 of 2 requirements missing");
  });

  test("another app's check run is ignored", async () => {
    const payload = examplePayload("check_run", "rerequested") as any;
    await probot.receive({ id: "d3", name: "check_run", payload });
    expect(github.calls()).toEqual([]);
  });

  test("a push to the PR (synchronize) puts the check on the new head, where the approval of the old head no longer counts", async () => {
    const NEW_HEAD = "5bd5f196a46b8222fb7484f05faba41a73cf34bd";
    const payload = examplePayload("pull_request", "synchronize") as any;
    expect(payload.before).not.toBe(payload.after);
    payload.before = HEAD;
    payload.after = NEW_HEAD;
    payload.pull_request.head.sha = NEW_HEAD;
    // GitHub's state after the push: the new head, bob's approval on the previous one, no check on the new head yet.
    standardSetup({ headSha: NEW_HEAD, files: ["docs/a.md"], body: "## Summary\nA documentation only change here.", reviews: [{ author: "bob", state: "APPROVED", commit: HEAD }] });
    github.on("POST", CHECK_RUNS, 201, { id: 8 });

    await probot.receive({ id: "d-sync", name: "pull_request", payload });

    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql", `POST ${CHECK_RUNS}`]);
    const check = checkWrite().body;
    expect(check).toMatchObject({ name: "Change Policy", head_sha: NEW_HEAD, status: "completed", conclusion: "failure" });
    expect(check.output.title).toBe("Standard change: 1 of 2 requirements missing");
    expect(check.output.summary).toContain("@bob's approval does not count: given on an older commit (ec26c3e); approvals must be on the head commit.");
  });
});

describe("metrics", () => {
  test("an evaluation is counted by class and conclusion, with its check write and its GitHub requests", async () => {
    const value = async (name: string, labels: Record<string, string>) =>
      (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
    const evaluationsBefore = await value("change_policy_evaluations_total", { class: "standard", conclusion: "failure" });
    const writesBefore = await value("change_policy_check_writes_total", { conclusion: "failure" });
    standardSetup({ files: ["docs/a.md"], body: "## Summary\nA documentation only change here." });
    github.on("POST", CHECK_RUNS, 201, { id: 7 });
    await probot.receive(prOpened());
    expect(await value("change_policy_evaluations_total", { class: "standard", conclusion: "failure" })).toBe(evaluationsBefore + 1);
    expect(await value("change_policy_check_writes_total", { conclusion: "failure" })).toBe(writesBefore + 1);
  });
});

describe("big pull requests", () => {
  function reviewPages(reviews: { login: string; state: string }[]) {
    const pages = Math.ceil(reviews.length / 100);
    for (let page = 1; page <= pages; page++) {
      const chunk = reviews.slice((page - 1) * 100, page * 100).map((r) => ({ user: { login: r.login, type: "User" }, state: r.state, commit_id: HEAD, submitted_at: "2026-11-24T11:00:00Z" }));
      const link: Record<string, string> = page < pages ? { link: `<https://api.github.com/repos/Codertocat/Hello-World/pulls/2/reviews?per_page=100&page=${page + 1}>; rel="next"` } : {};
      github.on("GET", `/repos/Codertocat/Hello-World/pulls/2/reviews?per_page=100${page > 1 ? `&page=${page}` : ""}`, 200, chunk, link);
    }
  }

  test("3,000 files and 300 reviews are paginated over REST; commenters' access is never asked", async () => {
    const files = Array.from({ length: 3000 }, (_, i) => `src/module-${i}.ts`);
    files[2999] = "db/migrations/0001_init.sql";
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
    github.on("POST", "/graphql", 200, graphqlPull({ files, filesHasNextPage: true, reviewsHasNextPage: true, changedFiles: 3000, teams: [[]] }));
    for (let page = 1; page <= 30; page++) {
      const chunk = files.slice((page - 1) * 100, page * 100).map((filename) => ({ filename, status: "modified" }));
      const link: Record<string, string> = page < 30 ? { link: `<${"https://api.github.com"}/repos/Codertocat/Hello-World/pulls/2/files?per_page=100&page=${page + 1}>; rel="next"` } : {};
      github.on("GET", `/repos/Codertocat/Hello-World/pulls/2/files?per_page=100${page > 1 ? `&page=${page}` : ""}`, 200, chunk, link);
    }
    reviewPages(Array.from({ length: 300 }, (_, i) => ({ login: `reviewer${i}`, state: "COMMENTED" })));
    github.on("POST", CHECK_RUNS, 201, { id: 7 });

    await probot.receive(prOpened());

    expect(github.calls().filter((c) => c.includes("/files")).length).toBe(30);
    expect(github.calls().filter((c) => c.includes("/reviews")).length).toBe(3);
    expect(github.calls().filter((c) => c.includes("/collaborators/"))).toEqual([]);
    expect(checkWrite().body.output.summary).toContain("`db/migrations/0001_init.sql`");
  });

  test("more than 100 reviews: each approver's write access is asked over REST, and an approver without it does not count", async () => {
    const commenters = Array.from({ length: 120 }, (_, i) => ({ login: `reviewer${i}`, state: "COMMENTED" }));
    // The query's first 100 reviews (with their write access) are replaced by REST's complete list.
    standardSetup({ files: ["package.json"], body: COMPLETE_BODY, reviews: commenters.map((r) => ({ author: r.login, state: r.state })), reviewsHasNextPage: true });
    reviewPages([...commenters, { login: "bob", state: "APPROVED" }, { login: "stranger", state: "APPROVED" }, { login: "carol", state: "APPROVED" }]);
    github.on("GET", "/repos/Codertocat/Hello-World/collaborators/bob/permission", 200, { permission: "write", role_name: "write" });
    github.on("GET", "/repos/Codertocat/Hello-World/collaborators/stranger/permission", 200, { permission: "read", role_name: "read" });
    github.on("GET", "/repos/Codertocat/Hello-World/collaborators/carol/permission", 200, { permission: "admin", role_name: "admin" });
    github.on("POST", CHECK_RUNS, 201, { id: 7 });

    await probot.receive(prOpened());

    expect(github.calls()).toEqual([
      `GET ${CONFIG_URL}`,
      "POST /graphql",
      "GET /repos/Codertocat/Hello-World/pulls/2/reviews?per_page=100",
      "GET /repos/Codertocat/Hello-World/pulls/2/reviews?per_page=100&page=2",
      "GET /repos/Codertocat/Hello-World/collaborators/bob/permission",
      "GET /repos/Codertocat/Hello-World/collaborators/stranger/permission",
      "GET /repos/Codertocat/Hello-World/collaborators/carol/permission",
      `POST ${CHECK_RUNS}`,
    ]);
    const check = checkWrite().body;
    expect(check.conclusion).toBe("success");
    expect(check.output.summary).toContain("@stranger's approval does not count: has no write access to the repository (permission: read).");
    expect(check.output.summary).toContain("- ✅ **1 approval from cto-ciso**: approved by @carol");
  });

  test("a team of more than 100 members is read over REST, every page", async () => {
    const hundred = Array.from({ length: 100 }, (_, i) => `member${i}`);
    // The query's first 100 members do not include carol; REST's second page does.
    standardSetup({ files: ["package.json"], body: COMPLETE_BODY, reviews: [{ author: "bob", state: "APPROVED" }, { author: "carol", state: "APPROVED" }], teams: [hundred], teamsHasNextPage: true });
    github.on("GET", TEAM_URL, 200, hundred.map((login) => ({ login })), { link: `<https://api.github.com${TEAM_URL}&page=2>; rel="next"` });
    github.on("GET", `${TEAM_URL}&page=2`, 200, [{ login: "carol" }]);
    github.on("POST", CHECK_RUNS, 201, { id: 7 });

    await probot.receive(prOpened());

    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql", `GET ${TEAM_URL}`, `GET ${TEAM_URL}&page=2`, `POST ${CHECK_RUNS}`]);
    const check = checkWrite().body;
    expect(check.conclusion).toBe("success");
    expect(check.output.summary).toContain("- ✅ **1 approval from cto-ciso**: approved by @carol");
  });
});
