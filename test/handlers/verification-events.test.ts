// SPEC §9 "Verification" end to end: a required check run, check suite or commit status completing
// re-evaluates the PRs at its commit; other apps' unrequired checks cost only the policy read.
import nock from "nock";
import type { Probot } from "probot";
import { clearMembershipCaches } from "../../src/github/membership.js";
import { APP_ID, expectGitHubSettled, examplePayload, FakeGitHub, testProbot } from "../helpers/app.js";
import { graphqlPull, HEAD, type CheckFixture } from "../helpers/graphql-pull.js";

const REPO = "/repos/Codertocat/Hello-World";
const CONFIG_URL = `${REPO}/contents/.github%2Fchange-policy.yml?ref=master`;
const POLICY = "classes:\n  standard:\n    checks: [test, ci/jenkins]\n";
const RAW = { "content-type": "application/vnd.github.raw; charset=utf-8" };

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

/** The policy as the filter reads it (with an ETag), then as the evaluation reads it again: a free 304. */
function policyReadTwice(etag: string) {
  github.on("GET", CONFIG_URL, 200, POLICY, { ...RAW, etag });
  github.on("GET", CONFIG_URL, 304, "");
}

/** A documentation change whose required checks are as given. */
function pullWith(checks: CheckFixture[]) {
  github.on("POST", "/graphql", 200, graphqlPull({ files: ["docs/a.md"], body: "## Summary\nA documentation only change here.", reviews: [{ author: "bob", state: "APPROVED" }], checks }));
}

function checkWrite() {
  const write = github.requests.find((r) => r.path.includes("/check-runs") && r.method !== "GET");
  if (!write) throw new Error(`no check written; requests: ${github.calls().join(", ")}`);
  return write.body as { conclusion: string; output: { title: string; summary: string } };
}

function checkRunCompleted(name: string, appId = 29310) {
  const payload = examplePayload("check_run", "completed");
  payload.check_run.name = name;
  payload.check_run.app.id = appId;
  return { id: `run-${name}`, name: "check_run" as const, payload: payload as never };
}

describe("check_run.completed", () => {
  test("a required check completes: the PR it names is re-evaluated and its check updated", async () => {
    policyReadTwice('"policy-1"');
    pullWith([
      { name: "test", conclusion: "SUCCESS" },
      { context: "ci/jenkins", state: "SUCCESS" },
    ]);
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });

    await probot.receive(checkRunCompleted("test"));

    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, `GET ${CONFIG_URL}`, "POST /graphql", `POST ${REPO}/check-runs`]);
    expect(github.requests[github.requests.length - 3]!.headers?.["if-none-match"]).toBe('"policy-1"');
    const graphql = github.requests.find((r) => r.path === "/graphql")!.body as { variables: Record<string, unknown> };
    expect(graphql.variables).toMatchObject({ owner: "Codertocat", repo: "Hello-World", number: 2 });
    const { conclusion, output } = checkWrite();
    expect(conclusion).toBe("success");
    expect(output.title).toBe("Standard change: all requirements met");
    expect(output.summary).toContain("- ✅ **Check `test`**: success (github-actions)");
  });

  test("a required check that failed: the re-evaluated check fails and says which", async () => {
    policyReadTwice('"policy-1"');
    pullWith([
      { name: "test", conclusion: "FAILURE" },
      { context: "ci/jenkins", state: "SUCCESS" },
    ]);
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(checkRunCompleted("test"));
    expect(checkWrite().conclusion).toBe("failure");
    expect(checkWrite().output.summary).toContain("- ❌ **Check `test`**: failure (github-actions); fix it and run it again");
  });

  test("a check no policy requires costs only the policy read (a 304 when unchanged), nothing else", async () => {
    github.on("GET", CONFIG_URL, 200, POLICY, { ...RAW, etag: '"policy-2"' });
    await probot.receive(checkRunCompleted("Octocoders-linter"));
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`]);

    github = new FakeGitHub();
    github.on("GET", CONFIG_URL, 304, "");
    await probot.receive(checkRunCompleted("Octocoders-linter"));
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`]);
    expect(github.requests[0]!.headers?.["if-none-match"]).toBe('"policy-2"');
  });

  test("a repository without a policy: nothing after the read", async () => {
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", null, "master");
    github.file("Codertocat", ".github", ".github/change-policy.yml", null);
    await probot.receive(checkRunCompleted("test"));
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "GET /repos/Codertocat/.github/contents/.github%2Fchange-policy.yml"]);
  });

  test("our own Change Policy check is ignored without any request, even under another app id", async () => {
    await probot.receive(checkRunCompleted("Change Policy", APP_ID));
    await probot.receive(checkRunCompleted("Change Policy"));
    await probot.receive(checkRunCompleted("test", APP_ID));
    expect(github.calls()).toEqual([]);
  });

  test("a PR from a fork (no pull_requests in the payload) is found through the commit's open PRs", async () => {
    policyReadTwice('"policy-3"');
    github.on("GET", `${REPO}/commits/${HEAD}/pulls`, 200, [{ number: 2, state: "open", head: { sha: HEAD } }, { number: 9, state: "closed", head: { sha: HEAD } }]);
    pullWith([
      { name: "test", conclusion: "SUCCESS" },
      { context: "ci/jenkins", state: "SUCCESS" },
    ]);
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    const event = checkRunCompleted("test");
    (event.payload as { check_run: { pull_requests: unknown[] } }).check_run.pull_requests = [];
    await probot.receive(event);
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, `GET ${REPO}/commits/${HEAD}/pulls`, `GET ${CONFIG_URL}`, "POST /graphql", `POST ${REPO}/check-runs`]);
    expect(checkWrite().conclusion).toBe("success");
  });
});

describe("check_suite.completed", () => {
  const suiteCompleted = (appId = 29310) => {
    const payload = examplePayload("check_suite", "completed");
    payload.check_suite.app.id = appId;
    return { id: "suite-1", name: "check_suite" as const, payload: payload as never };
  };
  const SUITE_RUNS = `${REPO}/check-suites/118578147/check-runs?per_page=100`;

  test("a suite with a required run re-evaluates the PR", async () => {
    policyReadTwice('"policy-4"');
    github.on("GET", SUITE_RUNS, 200, { total_count: 1, check_runs: [{ id: 1, name: "test" }] });
    pullWith([{ name: "test", conclusion: "SUCCESS" }, { context: "ci/jenkins", state: "PENDING" }]);
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(suiteCompleted());
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, `GET ${SUITE_RUNS}`, `GET ${CONFIG_URL}`, "POST /graphql", `POST ${REPO}/check-runs`]);
    expect(checkWrite().output.summary).toContain("- ❌ **Check `ci/jenkins`**: pending (commit status)");
  });

  test("a suite of unrequired runs: no evaluation; our own suite: no request", async () => {
    github.on("GET", CONFIG_URL, 200, POLICY, RAW);
    github.on("GET", SUITE_RUNS, 200, { total_count: 1, check_runs: [{ id: 1, name: "Octocoders-linter" }] });
    await probot.receive(suiteCompleted());
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, `GET ${SUITE_RUNS}`]);

    github = new FakeGitHub();
    await probot.receive(suiteCompleted(APP_ID));
    expect(github.calls()).toEqual([]);
  });
});

describe("status", () => {
  const statusEvent = (context: string) => {
    const payload = examplePayload("status", undefined);
    payload.sha = HEAD;
    payload.context = context;
    return { id: `status-${context}`, name: "status" as const, payload: payload as never };
  };

  test("a required commit status: the open PRs at the commit are found and re-evaluated", async () => {
    policyReadTwice('"policy-5"');
    github.on("GET", `${REPO}/commits/${HEAD}/pulls`, 200, [{ number: 2, state: "open", head: { sha: HEAD } }]);
    pullWith([{ name: "test", conclusion: "SUCCESS" }, { context: "ci/jenkins", state: "ERROR" }]);
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(statusEvent("ci/jenkins"));
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, `GET ${REPO}/commits/${HEAD}/pulls`, `GET ${CONFIG_URL}`, "POST /graphql", `POST ${REPO}/check-runs`]);
    expect(checkWrite().conclusion).toBe("failure");
    expect(checkWrite().output.summary).toContain("- ❌ **Check `ci/jenkins`**: error (commit status); fix it and run it again");
  });

  test("an unrequired status costs only the policy read", async () => {
    github.on("GET", CONFIG_URL, 304, "");
    await probot.receive(statusEvent("default"));
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`]);
  });
});
