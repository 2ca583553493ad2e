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
  const write = github.requests.find((r) => r.path.includes("/check-runs"));
  if (!write) throw new Error(`no check written; requests: ${github.calls().join(", ")}`);
  return write;
}

function standardSetup(pull: PullFixture, config: string | null = CONFIG) {
  github.on("POST", "/graphql", 200, graphqlPull(pull));
  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", config, "master");
}

describe("a pull request opened in a repository with a policy", () => {
  test("a normal change without its Request for Change fails and says what is missing, in 3 requests", async () => {
    standardSetup({ files: ["package.json", "src/index.ts"], body: "## Description\nBump the dependency to fix a bug." });
    github.on("GET", "/orgs/codertocat/teams/security-leads/members?per_page=100", 200, [{ login: "carol" }]);
    github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });

    await probot.receive(prOpened());

    expect(github.calls()).toEqual([
      "POST /graphql",
      `GET ${CONFIG_URL}`,
      "GET /orgs/codertocat/teams/security-leads/members?per_page=100",
      "POST /repos/Codertocat/Hello-World/check-runs",
    ]);
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
    github.on("GET", "/repos/Codertocat/Hello-World/collaborators/bob/permission", 200, { permission: "write", role_name: "write" });
    github.on("GET", "/repos/Codertocat/Hello-World/collaborators/carol/permission", 200, { permission: "admin", role_name: "admin" });
    github.on("GET", "/orgs/codertocat/teams/security-leads/members?per_page=100", 200, [{ login: "carol" }]);
    github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });

    await probot.receive(prOpened());

    const check = checkWrite().body;
    expect(check.conclusion).toBe("success");
    expect(check.output.title).toBe("Normal change: all requirements met");
    expect(check.output.summary).toContain("- ✅ **1 approval from cto-ciso**: approved by @carol");
  });

  test("the author's, a bot's, an outsider's and a stale approval never count", async () => {
    standardSetup({
      files: ["docs/guide.md"],
      body: "## Description\nExplain how to configure the service.",
      reviews: [
        { author: "Codertocat", state: "APPROVED" },
        { author: "dependabot[bot]", state: "APPROVED", bot: true },
        { author: "stranger", state: "APPROVED" },
        { author: "bob", state: "APPROVED", commit: "0000000000000000000000000000000000000000" },
      ],
    });
    github.on("GET", "/repos/Codertocat/Hello-World/collaborators/stranger/permission", 404, { message: "Not Found" });
    github.on("GET", "/repos/Codertocat/Hello-World/collaborators/bob/permission", 200, { permission: "write" });
    github.on("GET", "/orgs/codertocat/teams/security-leads/members?per_page=100", 200, []);
    github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });

    await probot.receive(prOpened());

    const check = checkWrite().body;
    expect(check.conclusion).toBe("failure");
    expect(check.output.title).toBe("Standard change: 1 of 2 requirements missing");
    expect(check.output.summary).toContain("@stranger's approval does not count: has no write access to the repository (permission: none).");
    expect(check.output.summary).toContain("@bob's approval does not count: given on an older commit (0000000); approvals must be on the head commit.");
    expect(check.output.summary).toContain("@codertocat's approval does not count: is the author of the pull request.");
    expect(check.output.summary).toContain("@dependabot[bot]'s approval does not count: is a bot.");
  });

  test("an unchanged verdict is not written again; a changed one updates the existing run", async () => {
    const body = "## Description\nExplain how to configure the service.";
    standardSetup({ files: ["docs/guide.md"], body });
    github.on("GET", "/orgs/codertocat/teams/security-leads/members?per_page=100", 200, []);
    github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
    await probot.receive(prOpened());
    const first = checkWrite().body;

    github = new FakeGitHub();
    standardSetup({ files: ["docs/guide.md"], body, check: { id: 7, conclusion: "FAILURE", title: first.output.title, summary: first.output.summary } });
    await probot.receive(prOpened());
    expect(github.calls()).toEqual(["POST /graphql", `GET ${CONFIG_URL}`]);

    github = new FakeGitHub();
    standardSetup({ files: ["docs/guide.md"], body, check: { id: 7, conclusion: "FAILURE", title: "old", summary: "old" } });
    github.on("PATCH", "/repos/Codertocat/Hello-World/check-runs/7", 200, { id: 7 });
    await probot.receive(prOpened());
    expect(github.calls()).toEqual(["POST /graphql", `GET ${CONFIG_URL}`, "PATCH /repos/Codertocat/Hello-World/check-runs/7"]);
    expect(checkWrite().body.output.title).toBe(first.output.title);
  });
});

describe("configuration", () => {
  test("no file in the repository nor in the organisation: the app stays silent", async () => {
    standardSetup({}, null);
    github.file("Codertocat", ".github", ".github/change-policy.yml", null);
    await probot.receive(prOpened());
    expect(github.calls()).toEqual(["POST /graphql", `GET ${CONFIG_URL}`, "GET /repos/Codertocat/.github/contents/.github%2Fchange-policy.yml"]);
  });

  test("the organisation's .github repository applies when the repository has no file", async () => {
    standardSetup({ files: ["docs/a.md"], body: "## Summary\nA documentation only change here." }, null);
    github.file("Codertocat", ".github", ".github/change-policy.yml", "classes:\n  standard:\n    approvals: []\n");
    github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
    await probot.receive(prOpened());
    expect(checkWrite().body.output.title).toBe("Standard change: all requirements met");
  });

  test("an invalid file fails the check and lists every problem with its line", async () => {
    standardSetup({}, "classes:\n  normal:\n    aprovals: []\napprovals:\n  stale: sometimes\n");
    github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
    await probot.receive(prOpened());
    const check = checkWrite().body;
    expect(check.conclusion).toBe("failure");
    expect(check.output.title).toBe("Configuration error: 2 problems in the policy file");
    expect(check.output.summary).toContain('Codertocat/Hello-World:.github/change-policy.yml:3: classes.normal.aprovals: unknown key "aprovals" (check the spelling)');
    expect(check.output.summary).toContain("Codertocat/Hello-World:.github/change-policy.yml:5: approvals.stale:");
  });

  test("a PR that edits the policy file is at least a normal change", async () => {
    standardSetup({ files: [".github/change-policy.yml"], labels: ["change:standard"] });
    github.on("GET", "/orgs/codertocat/teams/security-leads/members?per_page=100", 200, []);
    github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
    await probot.receive(prOpened());
    expect(checkWrite().body.output.title).toMatch(/^Normal change: /);
    expect(checkWrite().body.output.summary).toContain("changes the policy file `.github/change-policy.yml` (always at least normal)");
  });
});

describe("failing closed", () => {
  test("a GitHub outage gives a failing check that says so", async () => {
    github.on("POST", "/graphql", 502, { message: "Bad Gateway" });
    github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
    await probot.receive(prOpened());
    const check = checkWrite().body;
    expect(check).toMatchObject({ head_sha: HEAD, conclusion: "failure" });
    expect(check.output.title).toBe("Could not evaluate: the check fails until it can");
    expect(check.output.summary).toContain("GitHub had an internal error (502).");
  });

  test("a missing permission gives a failing check that says how to fix it", async () => {
    github.on("POST", "/graphql", 200, graphqlPull({}));
    github.on("GET", CONFIG_URL, 403, { message: "Resource not accessible by integration" });
    github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
    await probot.receive(prOpened());
    const check = checkWrite().body;
    expect(check.conclusion).toBe("failure");
    expect(check.output.summary).toContain("The app is probably missing a permission");
    expect(check.output.summary).toContain("accept the app's requested permissions");
  });
});

describe("re-evaluation triggers", () => {
  test("Re-run on our check run re-evaluates the PR it belongs to", async () => {
    const payload = examplePayload("check_run", "rerequested") as any;
    payload.check_run.name = "Change Policy";
    payload.check_run.app.id = 1;
    payload.repository.owner.login = "Codertocat";
    payload.repository.name = "Hello-World";
    payload.check_run.head_sha = HEAD;
    payload.check_run.pull_requests = [{ number: 2 }];
    standardSetup({ files: ["docs/a.md"], body: "## Summary\nA documentation only change here." });
    github.on("GET", "/orgs/codertocat/teams/security-leads/members?per_page=100", 200, []);
    github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
    await probot.receive({ id: "d2", name: "check_run", payload });
    expect(checkWrite().body.output.title).toBe("Standard change: 1 of 2 requirements missing");
  });

  test("another app's check run is ignored", async () => {
    const payload = examplePayload("check_run", "rerequested") as any;
    await probot.receive({ id: "d3", name: "check_run", payload });
    expect(github.calls()).toEqual([]);
  });
});

describe("metrics", () => {
  test("an evaluation is counted by class and conclusion, with its check write and its GitHub requests", async () => {
    const value = async (name: string, labels: Record<string, string>) =>
      (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
    const evaluationsBefore = await value("change_policy_evaluations_total", { class: "standard", conclusion: "failure" });
    const writesBefore = await value("change_policy_check_writes_total", { conclusion: "failure" });
    standardSetup({ files: ["docs/a.md"], body: "## Summary\nA documentation only change here." });
    github.on("GET", "/orgs/codertocat/teams/security-leads/members?per_page=100", 200, []);
    github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
    await probot.receive(prOpened());
    expect(await value("change_policy_evaluations_total", { class: "standard", conclusion: "failure" })).toBe(evaluationsBefore + 1);
    expect(await value("change_policy_check_writes_total", { conclusion: "failure" })).toBe(writesBefore + 1);
  });
});

describe("big pull requests", () => {
  test("3,000 files and 300 reviews are paginated over REST", async () => {
    const files = Array.from({ length: 3000 }, (_, i) => `src/module-${i}.ts`);
    files[2999] = "db/migrations/0001_init.sql";
    github.on("POST", "/graphql", 200, graphqlPull({ files, filesHasNextPage: true, reviewsHasNextPage: true, changedFiles: 3000 }));
    for (let page = 1; page <= 30; page++) {
      const chunk = files.slice((page - 1) * 100, page * 100).map((filename) => ({ filename, status: "modified" }));
      const link: Record<string, string> = page < 30 ? { link: `<${"https://api.github.com"}/repos/Codertocat/Hello-World/pulls/2/files?per_page=100&page=${page + 1}>; rel="next"` } : {};
      github.on("GET", `/repos/Codertocat/Hello-World/pulls/2/files?per_page=100${page > 1 ? `&page=${page}` : ""}`, 200, chunk, link);
    }
    for (let page = 1; page <= 3; page++) {
      const reviews = Array.from({ length: 100 }, (_, i) => ({
        user: { login: `reviewer${(page - 1) * 100 + i}`, type: "User" },
        state: "COMMENTED",
        commit_id: HEAD,
        submitted_at: "2026-11-24T11:00:00Z",
      }));
      const link: Record<string, string> = page < 3 ? { link: `<https://api.github.com/repos/Codertocat/Hello-World/pulls/2/reviews?per_page=100&page=${page + 1}>; rel="next"` } : {};
      github.on("GET", `/repos/Codertocat/Hello-World/pulls/2/reviews?per_page=100${page > 1 ? `&page=${page}` : ""}`, 200, reviews, link);
    }
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
    github.on("GET", "/orgs/codertocat/teams/security-leads/members?per_page=100", 200, []);
    github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });

    await probot.receive(prOpened());

    expect(github.calls().filter((c) => c.includes("/files")).length).toBe(30);
    expect(github.calls().filter((c) => c.includes("/reviews")).length).toBe(3);
    expect(checkWrite().body.output.summary).toContain("`db/migrations/0001_init.sql`");
  });
});
