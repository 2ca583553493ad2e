import { validate } from "@octokit/graphql-schema";
import nock from "nock";
import { pino } from "pino";
import type { Probot } from "probot";
import { commitPullsQuery } from "../../src/github/commit-pulls.js";
import { reportBypassMerge } from "../../src/services/incidents.js";
import { defaultConfig } from "../../src/config/schema.js";
import { evaluatePull } from "../../src/policy/evaluate.js";
import type { PullSnapshot } from "../../src/policy/snapshot.js";
import { expectGitHubSettled, examplePayload, FakeGitHub, NOW, testProbot, TestOctokit } from "../helpers/app.js";
import { graphqlPull, HEAD } from "../helpers/graphql-pull.js";
import { pullSnapshot } from "../helpers/pull-snapshot.js";

const REPO = "/repos/Codertocat/Hello-World";
const BEFORE = "9049f1265b7d61be4a8904a9a27120d2064dab3b";
const DIRECT = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
const FROM_PR = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c";
const ISSUES_LIST = `${REPO}/issues?state=all&labels=security-incident&sort=created&direction=desc&per_page=100&page=1`;

let probot: Probot;
let github: FakeGitHub;

beforeAll(async () => {
  nock.disableNetConnect();
  probot = await testProbot();
});
beforeEach(() => {
  github = new FakeGitHub();
});
afterEach(expectGitHubSettled);
afterAll(() => nock.enableNetConnect());

/** The real push example (a push to master), turned into an update of an existing branch with two commits. */
function pushPayload(changes: Record<string, unknown> = {}) {
  const payload = examplePayload("push", undefined, 4);
  const direct = payload.commits[0];
  const fromPr = {
    ...structuredClone(direct),
    id: FROM_PR,
    message: "Merge pull request #3 from Codertocat/feature\n\nAdd the feature",
    url: `https://github.com/Codertocat/Hello-World/commit/${FROM_PR}`,
    distinct: false,
  };
  Object.assign(payload, {
    before: BEFORE,
    created: false,
    compare: "https://github.com/Codertocat/Hello-World/compare/9049f1265b7d...6113728f27ae",
    commits: [fromPr, { ...direct, message: "Hotfix straight on master | no review\n\nlong explanation" }],
    ...changes,
  });
  return { id: "push-delivery-1", name: "push" as const, payload: payload as never };
}

function commitPulls(map: Record<string, { number: number; merged: boolean; baseRefName: string }[]>) {
  const repository: Record<string, unknown> = {};
  Object.values(map).forEach((pulls, i) => {
    repository[`c${i}`] = { associatedPullRequests: { nodes: pulls.map((p) => ({ ...p, mergeCommit: p.merged ? { oid: FROM_PR } : null })) } };
  });
  return { data: { repository } };
}

/** Requests to the API, without the installation token request Probot makes once per test file. */
function apiRequests() {
  return github.requests.filter((r) => !r.path.startsWith("/app/installations/"));
}

const MERGED_PR_3 = [{ number: 3, merged: true, baseRefName: "master" }];

describe("push to a watched branch", () => {
  test("commits that no merged pull request accounts for open one incident with who, which commits and the compare link", async () => {
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", "", BEFORE);
    github.on("POST", "/graphql", 200, commitPulls({ [FROM_PR]: MERGED_PR_3, [DIRECT]: [{ number: 4, merged: false, baseRefName: "master" }] }));
    github.on("GET", ISSUES_LIST, 200, []);
    github.on("POST", `${REPO}/issues`, 201, { number: 11, state: "open", html_url: "https://github.com/Codertocat/Hello-World/issues/11", body: "", created_at: NOW.toISOString(), labels: [] });
    github.on("GET", ISSUES_LIST, 200, [{ number: 11, state: "open", html_url: "x", body: `<!-- change-policy:incident push Codertocat/Hello-World@${DIRECT} -->`, created_at: NOW.toISOString(), labels: [] }]);

    await probot.receive(pushPayload());

    expect(github.calls()).toEqual([
      `GET ${REPO}/contents/.github%2Fchange-policy.yml?ref=${BEFORE}`,
      "POST /graphql",
      `GET ${ISSUES_LIST}`,
      `POST ${REPO}/issues`,
      `GET ${ISSUES_LIST}`,
    ]);
    const query = apiRequests()[1]!.body;
    expect(query.variables).toEqual({ owner: "Codertocat", repo: "Hello-World", c0: FROM_PR, c1: DIRECT });
    const issue = apiRequests()[3]!.body;
    expect(issue.title).toBe("Security incident: 1 commit pushed to Codertocat/Hello-World@master without a merged pull request");
    expect(issue.labels).toEqual(["security-incident"]);
    expect(issue.assignees).toEqual([]);
    expect(issue.body.split("\n").slice(0, 17)).toEqual([
      `<!-- change-policy:incident push Codertocat/Hello-World@${DIRECT} -->`,
      "## A commit was pushed to `master` without a merged pull request",
      "",
      "The Change Management Policy treats unauthorized or undocumented changes to production as security incidents (§7, §12). Every change to a watched branch must arrive through a reviewed pull request that is merged into it.",
      "",
      "- **Repository:** Codertocat/Hello-World",
      "- **Branch:** `master`",
      "- **Pushed by:** @Codertocat (git identity: Codertocat, 21031067+Codertocat@users.noreply.github.com)",
      "- **Pushed at:** 2019-05-15T15:20:57Z",
      "- **Force push:** no",
      "- **Before → after:** `9049f12` → `6113728`",
      "- **Compare:** https://github.com/Codertocat/Hello-World/compare/9049f1265b7d...6113728f27ae",
      "",
      "### Commits without a merged pull request (1 of 2 pushed)",
      "",
      "| Commit | Author | Message |",
      "| --- | --- | --- |",
    ]);
    expect(issue.body).toContain(
      `| [\`6113728\`](https://github.com/Codertocat/Hello-World/commit/${DIRECT}) | Codertocat (@Codertocat) | Hotfix straight on master \\| no review |\n`,
    );
    expect(issue.body).not.toContain("0d1a26e");
  });

  test("a redelivery finds the incident by its marker and opens no second issue", async () => {
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", "", BEFORE);
    github.on("POST", "/graphql", 200, commitPulls({ [FROM_PR]: [], [DIRECT]: [] }));
    github.on("GET", ISSUES_LIST, 200, [
      { number: 12, state: "open", html_url: "x", body: "another incident", created_at: NOW.toISOString(), labels: [] },
      { number: 11, state: "closed", html_url: "x", body: `<!-- change-policy:incident push Codertocat/Hello-World@${DIRECT} -->\n...`, created_at: NOW.toISOString(), labels: [] },
    ]);

    await probot.receive(pushPayload());

    expect(github.calls()).toEqual([`GET ${REPO}/contents/.github%2Fchange-policy.yml?ref=${BEFORE}`, "POST /graphql", `GET ${ISSUES_LIST}`]);
  });

  test("a push made by merging a pull request (also an emergency one) is no incident: its commits belong to the merged PR", async () => {
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", "", BEFORE);
    github.on("POST", "/graphql", 200, commitPulls({ [FROM_PR]: MERGED_PR_3, [DIRECT]: MERGED_PR_3 }));

    await probot.receive(pushPayload());

    expect(github.calls()).toEqual([`GET ${REPO}/contents/.github%2Fchange-policy.yml?ref=${BEFORE}`, "POST /graphql"]);
  });

  test("commits of a PR merged into another branch do not authorise a push to this one; incidents go to the configured repository", async () => {
    const config = "incidents:\n  repository: acme/security\n  labels: [incident, change-policy]\n  branches: [master, 'release/*']\n";
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", config, "master");
    github.on("POST", "/graphql", 200, commitPulls({ [FROM_PR]: [{ number: 3, merged: true, baseRefName: "master" }], [DIRECT]: [] }));
    const list = "/repos/acme/security/issues?state=all&labels=incident&sort=created&direction=desc&per_page=100&page=1";
    github.on("GET", list, 200, []);
    github.on("POST", "/repos/acme/security/issues", 201, { number: 5, state: "open", html_url: "x", body: "", created_at: NOW.toISOString(), labels: [] });
    github.on("GET", list, 200, []);

    await probot.receive(pushPayload({ ref: "refs/heads/release/1.2", forced: true }));

    const issue = github.requests.find((r) => r.method === "POST" && r.path === "/repos/acme/security/issues")!.body;
    expect(issue.title).toBe("Security incident: 2 commits pushed to Codertocat/Hello-World@release/1.2 without a merged pull request");
    expect(issue.labels).toEqual(["incident", "change-policy"]);
    expect(issue.body).toContain("- **Force push:** yes — the branch's history was rewritten\n");
    expect(issue.body).toContain("### Commits without a merged pull request (2 of 2 pushed)\n");
  });

  test("cutting a watched release branch from reviewed commits is no incident; an unreviewed commit in it is", async () => {
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", "incidents:\n  branches: ['release/*']\n", "master");
    github.on("POST", "/graphql", 200, commitPulls({ [FROM_PR]: MERGED_PR_3, [DIRECT]: [] }));
    github.on("GET", ISSUES_LIST, 200, []);
    github.on("POST", `${REPO}/issues`, 201, { number: 16, state: "open", html_url: "x", body: "", created_at: NOW.toISOString(), labels: [] });
    github.on("GET", ISSUES_LIST, 200, []);

    await probot.receive(pushPayload({ ref: "refs/heads/release/1.3", created: true, before: "0000000000000000000000000000000000000000" }));

    const issue = apiRequests().find((r) => r.method === "POST" && r.path === `${REPO}/issues`)!.body;
    expect(issue.title).toBe("Security incident: 1 commit pushed to Codertocat/Hello-World@release/1.3 without a merged pull request");
    expect(issue.body).toContain("- **Before → after:** (branch created) → `6113728`\n");
  });

  test("a force push that only moves the branch back (no new commit) is an incident too", async () => {
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", "", BEFORE);
    github.on("GET", ISSUES_LIST, 200, []);
    github.on("POST", `${REPO}/issues`, 201, { number: 18, state: "open", html_url: "x", body: "", created_at: NOW.toISOString(), labels: [] });
    github.on("GET", ISSUES_LIST, 200, []);

    await probot.receive(pushPayload({ forced: true, commits: [] }));

    expect(github.calls()).toEqual([`GET ${REPO}/contents/.github%2Fchange-policy.yml?ref=${BEFORE}`, `GET ${ISSUES_LIST}`, `POST ${REPO}/issues`, `GET ${ISSUES_LIST}`]);
    const issue = apiRequests()[2]!.body;
    expect(issue.title).toBe("Security incident: force push to Codertocat/Hello-World@master rewrote its history");
    expect(issue.body).toContain(
      "### Commits\n\nEvery commit the push brought (0) belongs to a pull request merged into `master`, but the branch was force-pushed: commits that were on it may have been removed or replaced. The compare link shows what changed.\n",
    );
  });

  test("a branch that is not watched costs only the policy read", async () => {
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", "", "master");
    await probot.receive(pushPayload({ ref: "refs/heads/feature/x" }));
    expect(github.calls()).toEqual([`GET ${REPO}/contents/.github%2Fchange-policy.yml?ref=master`]);
  });

  test("no policy in the repository or the organisation: silent", async () => {
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", null, BEFORE);
    github.file("Codertocat", ".github", ".github/change-policy.yml", null);
    await probot.receive(pushPayload());
    expect(github.calls()).toEqual([
      `GET ${REPO}/contents/.github%2Fchange-policy.yml?ref=${BEFORE}`,
      "GET /repos/Codertocat/.github/contents/.github%2Fchange-policy.yml",
    ]);
  });

  test.each([
    ["a tag push", { ref: "refs/tags/v1.0.0" }],
    ["a branch deletion", { deleted: true, after: "0000000000000000000000000000000000000000", commits: [] }],
    ["a push that brings no new commit", { commits: [] }],
  ])("%s makes no request at all", async (_name, changes) => {
    await probot.receive(pushPayload(changes));
    expect(github.calls()).toEqual([]);
  });
});

describe("the commit query", () => {
  test("is valid against GitHub's published GraphQL schema", () => {
    expect(validate(commitPullsQuery(3))).toEqual([]);
  });
  test("an invalid field would be reported (the validation can fail)", () => {
    expect(validate(commitPullsQuery(2).replace("baseRefName", "baseBranch")).length).toBeGreaterThan(0);
  });
});

function mergedSnapshot(changes: Partial<PullSnapshot> = {}): PullSnapshot {
  return pullSnapshot({
    repository: { owner: "Codertocat", name: "Hello-World", private: true },
    number: 2,
    title: "Update the README with new information.",
    body: "## Description\nA change that is explained well enough.",
    author: "codertocat",
    state: "merged",
    headSha: HEAD,
    baseRef: "master",
    mergedAt: "2026-11-24T11:58:00Z",
    mergedBy: "admin-alice",
    ...changes,
  });
}

function bypassContext(check: { conclusion: string | null; title: string | null } | null) {
  const config = defaultConfig();
  const snapshot = mergedSnapshot();
  return {
    config,
    snapshot,
    verdict: evaluatePull(config, snapshot),
    check: check ? { id: 7, status: "completed", summary: "", ...check } : null,
    now: NOW,
    log: pino({ level: "silent" }),
  };
}

describe("reportBypassMerge (an admin merged without a passing check)", () => {
  const octokit = () => new TestOctokit({ auth: "ghs_test" });

  test("opens one incident naming who merged, when, the check at merge and what was missing", async () => {
    github.on("GET", ISSUES_LIST, 200, []);
    github.on("POST", `${REPO}/issues`, 201, { number: 13, state: "open", html_url: "x", body: "", created_at: NOW.toISOString(), labels: [] });
    github.on("GET", ISSUES_LIST, 200, []);

    await reportBypassMerge(octokit(), bypassContext({ conclusion: "failure", title: "Normal change: 6 of 7 requirements missing" }));

    expect(github.calls()).toEqual([`GET ${ISSUES_LIST}`, `POST ${REPO}/issues`, `GET ${ISSUES_LIST}`]);
    const issue = github.requests[1]!.body;
    expect(issue.title).toBe("Security incident: Codertocat/Hello-World#2 merged without a passing Change Policy check");
    expect(issue.labels).toEqual(["security-incident"]);
    const lines: string[] = issue.body.split("\n");
    expect(lines[0]).toBe("<!-- change-policy:incident bypass Codertocat/Hello-World#2 -->");
    expect(lines.slice(5, 12)).toEqual([
      "- **Pull request:** Codertocat/Hello-World#2 — Update the README with new information.",
      "- **Author:** @codertocat",
      "- **Merged by:** @admin-alice",
      "- **Merged at:** 2026-11-24T11:58:00Z",
      "- **Class:** normal change",
      `- **Head commit:** \`${HEAD.slice(0, 7)}\``,
      "- **Check at merge:** `failure` — Normal change: 6 of 7 requirements missing",
    ]);
    expect(lines).toContain("### What was missing");
    expect(lines).toContain(
      "- ❌ **Impact analysis** (normal change): add a `## Impact analysis` heading (or `Impact`) to the description with at least 20 characters under it",
    );
    expect(lines).toContain("- ❌ **1 approval from cto-ciso** (normal change): has 0 of 1; the group `cto-ciso` has no members: an admin must set `groups.cto-ciso` in .github/change-policy.yml");
  });

  test("an incident repository the app cannot reach: the incident opens where it happened, saying why", async () => {
    const security = "/repos/acme/security/issues?state=all&labels=security-incident&sort=created&direction=desc&per_page=100&page=1";
    github.on("GET", security, 404, { message: "Not Found" });
    github.on("GET", ISSUES_LIST, 200, []);
    github.on("POST", `${REPO}/issues`, 201, { number: 17, state: "open", html_url: "x", body: "", created_at: NOW.toISOString(), labels: [] });
    github.on("GET", ISSUES_LIST, 200, []);
    const merged = bypassContext({ conclusion: "failure", title: "x" });
    merged.config.incidents.repository = "acme/security";

    await reportBypassMerge(octokit(), merged);

    expect(github.calls()).toEqual([`GET ${security}`, `GET ${ISSUES_LIST}`, `POST ${REPO}/issues`, `GET ${ISSUES_LIST}`]);
    expect(apiRequests()[2]!.body.body.split("\n").slice(0, 3)).toEqual([
      "<!-- change-policy:incident bypass Codertocat/Hello-World#2 -->",
      "> [!WARNING]",
      "> This incident belongs in acme/security (`incidents.repository`), but GitHub refused to open it there (HTTP 404). Give the app access to that repository with issues: write, or fix the setting.",
    ]);
  });

  test("says so when no Change Policy check existed", async () => {
    github.on("GET", ISSUES_LIST, 200, []);
    github.on("POST", `${REPO}/issues`, 201, { number: 14, state: "open", html_url: "x", body: "", created_at: NOW.toISOString(), labels: [] });
    github.on("GET", ISSUES_LIST, 200, []);
    await reportBypassMerge(octokit(), bypassContext(null));
    expect(github.requests[1]!.body.body).toContain("- **Check at merge:** no Change Policy check existed on the merged commit\n");
  });

  test("a redelivery of the merge opens no second incident", async () => {
    github.on("GET", ISSUES_LIST, 200, [
      { number: 13, state: "open", html_url: "x", body: "<!-- change-policy:incident bypass Codertocat/Hello-World#2 -->", created_at: NOW.toISOString(), labels: [] },
    ]);
    await reportBypassMerge(octokit(), bypassContext({ conclusion: "failure", title: "x" }));
    expect(github.calls()).toEqual([`GET ${ISSUES_LIST}`]);
  });
});

describe("merged pull request through the app (the lead's merged-pull handler calls reportBypassMerge)", () => {
  function closedMerged() {
    const payload = examplePayload("pull_request", "closed");
    payload.pull_request.merged = true;
    return { id: "merge-delivery", name: "pull_request" as const, payload: payload as never };
  }

  test("a merge with a failing check opens a bypass incident", async () => {
    github.on("POST", "/graphql", 200, graphqlPull({ state: "MERGED", mergedAt: "2026-11-24T11:58:00Z", mergedBy: "admin-alice", check: { id: 7, conclusion: "failure", title: "Normal change: 6 of 7 requirements missing", summary: "" } }));
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", "", "master");
    github.on("GET", ISSUES_LIST, 200, []);
    github.on("POST", `${REPO}/issues`, 201, { number: 15, state: "open", html_url: "x", body: "", created_at: NOW.toISOString(), labels: [] });
    github.on("GET", ISSUES_LIST, 200, []);

    await probot.receive(closedMerged());

    expect(github.calls()).toEqual([
      `GET ${REPO}/contents/.github%2Fchange-policy.yml?ref=master`,
      "POST /graphql",
      `GET ${ISSUES_LIST}`,
      `POST ${REPO}/issues`,
      `GET ${ISSUES_LIST}`,
    ]);
    expect(apiRequests()[3]!.body.body).toContain("- **Merged by:** @admin-alice\n");
  });

  test("a merge with a passing check is no incident", async () => {
    github.on("POST", "/graphql", 200, graphqlPull({ state: "MERGED", mergedAt: "2026-11-24T11:58:00Z", mergedBy: "bob", check: { id: 7, conclusion: "success", title: "Normal change: all requirements met", summary: "" } }));
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", "", "master");
    await probot.receive(closedMerged());
    expect(github.calls()).toEqual([`GET ${REPO}/contents/.github%2Fchange-policy.yml?ref=master`, "POST /graphql"]);
  });
});
