// A check write that fails in a way GitHub may still have carried out (502 or no answer after the
// request arrived), through a real evaluation (Probot, our app, the resilience plugin as the server
// plugs it in) against a GitHub that keeps its check runs: the commit ends with exactly ONE
// `Change Policy` run, showing the fail-closed failure — never a stale `success` beside it — and the
// next evaluation (the durable work's retry, or any event: the same evaluatePullRequest) updates that
// run to the verdict instead of creating another.
import nock from "nock";
import { ProbotOctokit } from "probot";
import { clearMembershipCaches } from "../../src/github/membership.js";
import { withResilience } from "../../src/github/resilience.js";
import { expectGitHubSettled, examplePayload, FakeGitHub, testApp, type TestApp } from "../helpers/app.js";
import { CheckRunStore } from "../helpers/check-run-store.js";
import { FaultyFetch, ManualClock, settle } from "../helpers/fault-clock.js";
import { COMPLETE_BODY, graphqlPull, HEAD, type PullFixture } from "../helpers/graphql-pull.js";

const CONFIG = "groups:\n  cto-ciso: { users: [alice] }\n";
const REPO = "/repos/Codertocat/Hello-World";
const CONFIG_URL = `${REPO}/contents/.github%2Fchange-policy.yml?ref=master`;
const CHECKS = `${REPO}/check-runs`;
const OUR_RUNS = `${REPO}/commits/${HEAD}/check-runs?check_name=Change%20Policy&app_id=1`;
const FAILED = "Could not evaluate: the check fails until it can";
const PASSED = "Standard change: all requirements met";

let clock: ManualClock;
let faults: FaultyFetch;
let github: FakeGitHub;
let runs: CheckRunStore;
let test: TestApp;

beforeAll(() => nock.disableNetConnect());
beforeEach(async () => {
  clock = new ManualClock();
  faults = new FaultyFetch();
  github = new FakeGitHub();
  runs = new CheckRunStore(github);
  clearMembershipCaches();
  // The server's client: throttling off here only because its write spacing runs on real time.
  const Base = ProbotOctokit.defaults((o: Record<string, unknown>) => ({ ...o, throttle: { ...(o.throttle as object), enabled: false } }));
  test = await testApp({}, Date.now, {}, { Octokit: withResilience(Base, { clock }), request: { fetch: faults.fetch } });
});
afterEach(() => {
  expectGitHubSettled();
  expect(faults.unusedFaults()).toBe(0);
  expect(runs.unusedFaults()).toBe(0);
});
afterAll(() => nock.enableNetConnect());

const approvedDocsChange: PullFixture = { files: ["docs/guide.md"], body: COMPLETE_BODY, reviews: [{ author: "bob", state: "APPROVED" }] };

/** One evaluation's reads: the policy, and the PR query answered with the runs GitHub has at that moment. */
function pullReads(pull: PullFixture = approvedDocsChange): void {
  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
  github.scope.post("/graphql").reply(() => [200, graphqlPull({ ...pull, check: runs.newest(HEAD) })]);
}

/** Delivers `pull_request.opened` and runs the evaluation it schedules to its end. */
async function deliver(id = "delivery-1"): Promise<void> {
  const event = { id, name: "pull_request" as const, payload: examplePayload("pull_request", "opened") as never };
  await settle(
    test.probot.receive(event).then(() => test.app.background.idle()),
    clock,
    faults,
  );
}

/** The check-run requests since `from`, as "METHOD /path". */
const checkCalls = (from = 0) => github.calls().slice(from).filter((c) => c.includes("/check-runs"));

describe("creating the check fails after GitHub wrote it", () => {
  it("502: the failure updates the run the create made (one run, failing), and the retry updates it to the verdict", async () => {
    pullReads();
    runs.failAfterWriting("POST", 502);

    await deliver();

    // The create wrote `success` and was answered 502; the app looks its run up and overwrites it.
    expect(checkCalls()).toEqual([`POST ${CHECKS}`, `GET ${OUR_RUNS}`, `PATCH ${CHECKS}/7`]);
    expect(runs.on(HEAD)).toHaveLength(1);
    expect(runs.on(HEAD)[0]).toMatchObject({ id: 7, name: "Change Policy", status: "completed", conclusion: "failure", title: FAILED });
    expect(runs.on(HEAD)[0]!.summary).toMatch(/^GitHub had an internal error \(502\)\./);

    // The retry: a fresh evaluation reads the run and updates it.
    const before = github.calls().length;
    pullReads();
    await deliver("delivery-2");

    expect(github.calls().slice(before)).toEqual([`GET ${CONFIG_URL}`, "POST /graphql", `PATCH ${CHECKS}/7`]);
    expect(runs.on(HEAD)).toEqual([expect.objectContaining({ id: 7, conclusion: "success", title: PASSED })]);
  });

  it("no answer within the timeout: the failure says GitHub did not answer, on the one run", async () => {
    pullReads();
    faults.hangAfterSending("POST", CHECKS);

    await deliver();

    expect(checkCalls()).toEqual([`POST ${CHECKS}`, `GET ${OUR_RUNS}`, `PATCH ${CHECKS}/7`]);
    expect(runs.on(HEAD)).toEqual([expect.objectContaining({ id: 7, conclusion: "failure", title: FAILED })]);
    expect(runs.on(HEAD)[0]!.summary).toMatch(/^GitHub did not answer within 15 s; the check will be retried\./);
  });
});

describe("creating the check fails before GitHub wrote it", () => {
  it("502 (not written): the lookup finds no run, so the failure is created — one run", async () => {
    pullReads();
    runs.failWithoutWriting("POST", 502);

    await deliver();

    expect(checkCalls()).toEqual([`POST ${CHECKS}`, `GET ${OUR_RUNS}`, `POST ${CHECKS}`]);
    expect(runs.on(HEAD)).toEqual([expect.objectContaining({ id: 7, conclusion: "failure", title: FAILED })]);
  });

  it("422 (GitHub wrote nothing, and said so): the failure is created at once, with no lookup", async () => {
    pullReads();
    runs.failWithoutWriting("POST", 422);

    await deliver();

    expect(checkCalls()).toEqual([`POST ${CHECKS}`, `POST ${CHECKS}`]);
    expect(runs.on(HEAD)).toEqual([expect.objectContaining({ id: 7, conclusion: "failure", title: FAILED })]);
  });
});

describe("updating the check fails after GitHub wrote it", () => {
  it("502 on every attempt: the failure is written over the run again (never a stale success beside or instead of it), with no lookup", async () => {
    // The run exists from an earlier evaluation; this one's `success` is written and answered 502, 4 times.
    runs.runs.push({ id: 3, name: "Change Policy", head_sha: HEAD, status: "completed", conclusion: "failure", title: "Standard change: 1 of 2 requirements missing", summary: "old" });
    pullReads();
    runs.failAfterWriting("PATCH", 502, 4);

    await deliver();

    expect(checkCalls()).toEqual(Array(5).fill(`PATCH ${CHECKS}/3`));
    expect(github.requests.filter((r) => r.method === "PATCH").map((r) => r.body.conclusion)).toEqual(["success", "success", "success", "success", "failure"]);
    expect(runs.on(HEAD)).toEqual([expect.objectContaining({ id: 3, conclusion: "failure", title: FAILED })]);
  });
});

describe("the pull request cannot be read", () => {
  it("GitHub hangs on the query every time: the failure updates the run already there instead of adding one", async () => {
    runs.runs.push({ id: 3, name: "Change Policy", head_sha: HEAD, status: "completed", conclusion: "success", title: PASSED, summary: "earlier" });
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
    faults.hang("POST", "/graphql", 4);

    await deliver();

    expect(checkCalls()).toEqual([`GET ${OUR_RUNS}`, `PATCH ${CHECKS}/3`]);
    expect(runs.on(HEAD)).toEqual([expect.objectContaining({ id: 3, conclusion: "failure", title: FAILED })]);
  });
});
