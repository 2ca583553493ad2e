// Merge queues end to end (SPEC §7): `merge_group.checks_requested` from @octokit/webhooks-examples
// through Probot, GitHub faked with nock (every request checked against GitHub's API description),
// and what the queue sees: the `Change Policy` check on the group's head commit.
import nock from "nock";
import type { Probot } from "probot";
import { clearMembershipCaches } from "../../src/github/membership.js";
import { expectGitHubSettled, examplePayload, FakeGitHub, testProbot } from "../helpers/app.js";
import { graphqlPull, type PullFixture } from "../helpers/graphql-pull.js";

const REPO = "/repos/octo-org/octo-repo";
// A member is judged as its own check is (judgePull), but without a base hint: its policy is read
// from the default branch first (no `?ref=`), then again at `?ref=<base>` only if the PR's base differs.
const POLICY = `${REPO}/contents/.github%2Fchange-policy.yml`;
const POLICY_AT_MAIN = `${POLICY}?ref=main`;
const EXAMPLE = examplePayload("merge_group", "checks_requested");
const HEAD_SHA = EXAMPLE.merge_group.head_sha as string;
const BASE_SHA = EXAMPLE.merge_group.base_sha as string;
const PARENT_SHA = "929f8209d40f77f4abc622a499c93a83babdbe64";
const COMPARE = `${REPO}/compare/${BASE_SHA}...${HEAD_SHA}?per_page=100&page=1`;
const C104 = "1040000000000000000000000000000000000000";
const C103 = "1030000000000000000000000000000000000000";
const DOCS = "## Description\nExplain how to configure the service.";

let probot: Probot;
let github: FakeGitHub;
const recorded: unknown[] = [];

beforeAll(async () => {
  nock.disableNetConnect();
  probot = await testProbot({ mergeGroup: { record: (check) => void recorded.push(check) } });
});
beforeEach(() => {
  github = new FakeGitHub();
  clearMembershipCaches();
  recorded.length = 0;
});
afterEach(expectGitHubSettled);
afterAll(() => nock.enableNetConnect());

function checksRequested(action = "checks_requested") {
  const payload = structuredClone(EXAMPLE);
  payload.action = action;
  return { id: `merge-group-${action}`, name: "merge_group" as const, payload: payload as never };
}

/**
 * A queued docs change by @codertocat into main, the default branch; approved by @bob, who can push
 * (authorCanPushToRepository rides in the query), unless the test says otherwise.
 */
function queuedPull(number: number, changes: PullFixture = {}) {
  return graphqlPull({ number, title: `Queued change ${number}`, baseRef: "main", files: ["docs/guide.md"], body: DOCS, reviews: [{ author: "bob", state: "APPROVED" }], ...changes });
}

/** The policy on the repository's default branch: what a member's evaluation reads first. */
function defaultBranchPolicy(text: string | null = "") {
  github.file("octo-org", "octo-repo", ".github/change-policy.yml", text);
}

function groupCommits(commits: { sha: string; pulls: number[] }[]) {
  const repository: Record<string, unknown> = {};
  commits.forEach((c, i) => {
    repository[`c${i}`] = {
      oid: c.sha,
      messageHeadline: "queued",
      author: { name: "Codertocat", user: { login: "Codertocat" } },
      associatedPullRequests: {
        nodes: c.pulls.map((number) => ({
          number,
          merged: false,
          state: "OPEN",
          title: `Queued change ${number}`,
          baseRefName: "main",
          headRefOid: c.sha,
          mergeCommit: null,
          commits: { nodes: [{ commit: { oid: c.sha, checkSuites: { nodes: [] } } }] },
        })),
      },
    };
  });
  return { data: { repository } };
}

function groupCheck() {
  const writes = github.requests.filter((r) => r.method === "POST" && r.path === `${REPO}/check-runs`);
  expect(writes).toHaveLength(1);
  return writes[0]!.body as { name: string; head_sha: string; conclusion: string; output: { title: string; summary: string } };
}

test("a queued compliant pull request: the group's head gets a passing `Change Policy` check, computed afresh", async () => {
  defaultBranchPolicy();
  github.on("POST", "/graphql", 200, queuedPull(104));
  github.on("GET", COMPARE, 200, { status: "ahead", total_commits: 1, commits: [{ sha: C104 }] });
  github.on("POST", "/graphql", 200, groupCommits([{ sha: C104, pulls: [104] }]));
  github.on("POST", `${REPO}/check-runs`, 201, { id: 90 });

  await probot.receive(checksRequested());

  // The policy, the one PR query (bob's write access comes with his review: no permission read),
  // then the group's commits and the PRs they belong to, then the check.
  expect(github.calls()).toEqual([`GET ${POLICY}`, "POST /graphql", `GET ${COMPARE}`, "POST /graphql", `POST ${REPO}/check-runs`]);
  // the PR named in head_ref is the one read
  const query = github.requests.find((r) => r.path === "/graphql")!.body as { query: string; variables: Record<string, unknown> };
  expect(query.query).toContain("authorCanPushToRepository");
  expect(query.variables).toMatchObject({ owner: "octo-org", repo: "octo-repo", number: 104 });
  const check = groupCheck();
  expect(check).toMatchObject({ name: "Change Policy", head_sha: HEAD_SHA, conclusion: "success" });
  expect(check.output.title).toBe("Merge group: #104 compliant");
  expect(check.output.summary).toContain("### ✅ #104 Queued change 104 — Standard change: all requirements met");
  expect(recorded).toEqual([expect.objectContaining({ headSha: HEAD_SHA, base: "main", conclusion: "success", pulls: [{ number: 104, passed: true, changeClass: "standard", missing: [] }] })]);
});

test("a pull request whose approval was withdrawn after it was queued fails its group, which names it and what it lacks", async () => {
  // bob approved, the PR was queued, then his approval was dismissed: GitHub marks that review DISMISSED.
  // He can still push, so only the withdrawal separates this from the passing group above.
  defaultBranchPolicy();
  github.on("POST", "/graphql", 200, queuedPull(104, { reviews: [{ author: "bob", state: "DISMISSED", canPush: true }] }));
  github.on("GET", COMPARE, 200, { status: "ahead", total_commits: 1, commits: [{ sha: C104 }] });
  github.on("POST", "/graphql", 200, groupCommits([{ sha: C104, pulls: [104] }]));
  github.on("POST", `${REPO}/check-runs`, 201, { id: 91 });

  await probot.receive(checksRequested());

  const check = groupCheck();
  expect(check.conclusion).toBe("failure");
  expect(check.output.title).toBe("Merge group: #104 not compliant");
  expect(check.output.summary).toContain("### ❌ #104 Queued change 104 — Standard change: 1 of 2 requirements missing\n\n- ❌ **1 peer approval**: has 0 of 1");
  expect(recorded).toEqual([expect.objectContaining({ conclusion: "failure", pulls: [expect.objectContaining({ number: 104, passed: false, changeClass: "standard" })] })]);
});

test("a pull request into a branch other than the default one is judged by its base branch's policy", async () => {
  // The default branch (develop) has a broken policy; main's is valid. Judged by develop's, the group would fail.
  defaultBranchPolicy("approvals:\n  stale: never\n");
  github.on("POST", "/graphql", 200, queuedPull(104, { defaultBranch: "develop" }));
  github.file("octo-org", "octo-repo", ".github/change-policy.yml", "", "main");
  github.on("GET", COMPARE, 200, { status: "ahead", total_commits: 1, commits: [{ sha: C104 }] });
  github.on("POST", "/graphql", 200, groupCommits([{ sha: C104, pulls: [104] }]));
  github.on("POST", `${REPO}/check-runs`, 201, { id: 98 });

  await probot.receive(checksRequested());

  expect(github.calls()).toEqual([`GET ${POLICY}`, "POST /graphql", `GET ${POLICY_AT_MAIN}`, `GET ${COMPARE}`, "POST /graphql", `POST ${REPO}/check-runs`]);
  expect(groupCheck()).toMatchObject({ head_sha: HEAD_SHA, conclusion: "success", output: { title: "Merge group: #104 compliant" } });
});

test("a group of several pull requests counts each one whose changes it carries: all compliant", async () => {
  defaultBranchPolicy();
  github.on("POST", "/graphql", 200, queuedPull(104));
  github.on("GET", COMPARE, 200, { status: "ahead", total_commits: 2, commits: [{ sha: C103 }, { sha: C104 }] });
  // a commit may also belong to a closed PR or one into another branch: those are not in the group
  github.on("POST", "/graphql", 200, groupCommits([{ sha: C103, pulls: [103] }, { sha: C104, pulls: [104] }]));
  defaultBranchPolicy();
  github.on("POST", "/graphql", 200, queuedPull(103, { files: ["docs/other.md"] }));
  github.on("POST", `${REPO}/check-runs`, 201, { id: 92 });

  await probot.receive(checksRequested());

  expect(github.calls()).toEqual([`GET ${POLICY}`, "POST /graphql", `GET ${COMPARE}`, "POST /graphql", `GET ${POLICY}`, "POST /graphql", `POST ${REPO}/check-runs`]);
  // each member's own query: #104 (named in head_ref) first, then #103 found among the group's commits
  const pullQueries = github.requests.filter((r) => r.path === "/graphql").map((r) => (r.body as { variables: Record<string, unknown> }).variables.number);
  expect(pullQueries).toEqual([104, undefined, 103]);
  const check = groupCheck();
  expect(check.conclusion).toBe("success");
  expect(check.output.title).toBe("Merge group: all 2 pull requests compliant");
});

test("a group of several pull requests fails when one of them does, naming that one", async () => {
  defaultBranchPolicy();
  github.on("POST", "/graphql", 200, queuedPull(104));
  github.on("GET", COMPARE, 200, { status: "ahead", total_commits: 2, commits: [{ sha: C103 }, { sha: C104 }] });
  github.on("POST", "/graphql", 200, groupCommits([{ sha: C103, pulls: [103] }, { sha: C104, pulls: [104] }]));
  defaultBranchPolicy();
  github.on("POST", "/graphql", 200, queuedPull(103, { files: ["src/payments.ts"], reviews: [] }));
  github.on("POST", `${REPO}/check-runs`, 201, { id: 93 });

  await probot.receive(checksRequested());

  const check = groupCheck();
  expect(check.conclusion).toBe("failure");
  expect(check.output.title).toBe("Merge group: #103 not compliant");
  const summary = check.output.summary;
  expect(summary).toContain("### ❌ #103 Queued change 103 — Normal change: ");
  expect(summary).toContain("- ❌ **Impact analysis**: add a `## Impact analysis` heading");
  expect(summary).toContain("### ✅ #104 Queued change 104 — Standard change: all requirements met");
  expect(summary.indexOf("#103")).toBeLessThan(summary.indexOf("#104"));
});

test("a repository without a policy gets no check", async () => {
  defaultBranchPolicy(null);
  github.file("octo-org", ".github", ".github/change-policy.yml", null);
  github.on("POST", "/graphql", 200, queuedPull(104));

  await probot.receive(checksRequested());

  // The query still runs: it tells whether the PR's base is the default branch (it is: no second read).
  expect(github.calls()).toEqual([`GET ${POLICY}`, "GET /repos/octo-org/.github/contents/.github%2Fchange-policy.yml", "POST /graphql"]);
});

test("merge_group destroyed: nothing to do", async () => {
  await probot.receive(checksRequested("destroyed"));
  expect(github.calls()).toEqual([]);
});

describe("fail closed", () => {
  test("the pull request cannot be read: the group fails, saying why", async () => {
    defaultBranchPolicy();
    github.on("POST", "/graphql", 502, { message: "Server Error" });
    github.on("GET", COMPARE, 200, { status: "ahead", total_commits: 1, commits: [{ sha: C104 }] });
    github.on("POST", "/graphql", 200, groupCommits([{ sha: C104, pulls: [104] }]));
    github.on("POST", `${REPO}/check-runs`, 201, { id: 94 });

    await probot.receive(checksRequested());

    const check = groupCheck();
    expect(check.conclusion).toBe("failure");
    expect(check.output.title).toBe("Merge group: #104 not compliant");
    expect(check.output.summary).toContain("### ❌ #104 — could not be evaluated\n\nGitHub had an internal error (502).");
  });

  test("the group's commits cannot be read: failure, never a pass", async () => {
    defaultBranchPolicy();
    github.on("POST", "/graphql", 200, queuedPull(104));
    github.on("GET", COMPARE, 500, { message: "Server Error" });
    github.on("POST", `${REPO}/check-runs`, 201, { id: 95 });

    await probot.receive(checksRequested());

    const check = groupCheck();
    expect(check).toMatchObject({ head_sha: HEAD_SHA, conclusion: "failure" });
    expect(check.output.title).toBe("Merge group: could not evaluate, the check fails until it can");
    expect(check.output.summary).toContain("GitHub had an internal error (500).");
  });

  test("an invalid policy fails the group with its problems", async () => {
    defaultBranchPolicy("approvals:\n  stale: never\n");
    github.on("POST", "/graphql", 200, queuedPull(104));
    github.on("GET", COMPARE, 200, { status: "ahead", total_commits: 1, commits: [{ sha: C104 }] });
    github.on("POST", "/graphql", 200, groupCommits([{ sha: C104, pulls: [104] }]));
    github.on("POST", `${REPO}/check-runs`, 201, { id: 96 });

    await probot.receive(checksRequested());

    const check = groupCheck();
    expect(check.conclusion).toBe("failure");
    expect(check.output.summary).toContain("The policy of its base branch is invalid (1 problem): `octo-org/octo-repo:.github/change-policy.yml:2: approvals.stale:");
  });
});

test("Re-run on a merge group's check evaluates the group again (the entry's parent commit bounds its changes)", async () => {
  const payload = examplePayload("check_run", "rerequested");
  payload.repository = structuredClone(EXAMPLE.repository);
  payload.check_run.name = "Change Policy";
  payload.check_run.app.id = 1;
  payload.check_run.head_sha = HEAD_SHA;
  payload.check_run.pull_requests = [];
  payload.check_run.check_suite.head_branch = `gh-readonly-queue/main/pr-104-${PARENT_SHA}`;
  payload.check_run.check_suite.pull_requests = [];
  defaultBranchPolicy();
  github.on("POST", "/graphql", 200, queuedPull(104));
  const compare = `${REPO}/compare/${PARENT_SHA}...${HEAD_SHA}?per_page=100&page=1`;
  github.on("GET", compare, 200, { status: "ahead", total_commits: 1, commits: [{ sha: C104 }] });
  github.on("POST", "/graphql", 200, groupCommits([{ sha: C104, pulls: [104] }]));
  github.on("POST", `${REPO}/check-runs`, 201, { id: 97 });

  await probot.receive({ id: "rerun-1", name: "check_run", payload: payload as never });

  // Only the group is evaluated: the pull request handler leaves Re-run on a queue branch alone
  // (no lookup of the PRs at that head, no second check).
  expect(github.calls()).toEqual([`GET ${POLICY}`, "POST /graphql", `GET ${compare}`, "POST /graphql", `POST ${REPO}/check-runs`]);
  expect(groupCheck()).toMatchObject({ head_sha: HEAD_SHA, conclusion: "success", output: { title: "Merge group: #104 compliant" } });
});
