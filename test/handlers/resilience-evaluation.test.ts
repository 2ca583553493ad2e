// Hung requests, server errors and rate limits during a real evaluation (Probot, our app, the
// resilience plugin as the server plugs it in): the check ends correct or says plainly that GitHub
// did not answer — never `success` because something failed — and nothing is written twice.
import nock from "nock";
import { ProbotOctokit } from "probot";
import { clearMembershipCaches } from "../../src/github/membership.js";
import { withResilience } from "../../src/github/resilience.js";
import { registry } from "../../src/metrics.js";
import { expectGitHubSettled, examplePayload, FakeGitHub, testApp, type TestApp } from "../helpers/app.js";
import { FaultyFetch, ManualClock, settle } from "../helpers/fault-clock.js";
import { COMPLETE_BODY, graphqlPull, HEAD, type PullFixture } from "../helpers/graphql-pull.js";

const CONFIG = "groups:\n  cto-ciso: { users: [alice] }\n";
const CHECKS = "/repos/Codertocat/Hello-World/check-runs";

let clock: ManualClock;
let faults: FaultyFetch;
let github: FakeGitHub;
let test: TestApp;

beforeAll(() => nock.disableNetConnect());
beforeEach(async () => {
  clock = new ManualClock();
  faults = new FaultyFetch();
  github = new FakeGitHub();
  clearMembershipCaches();
  // The server's client: throttling off here only because its write spacing runs on real time.
  const Base = ProbotOctokit.defaults((o: Record<string, unknown>) => ({ ...o, throttle: { ...(o.throttle as object), enabled: false } }));
  test = await testApp({}, Date.now, {}, { Octokit: withResilience(Base, { clock }), request: { fetch: faults.fetch } });
});
afterEach(() => {
  expectGitHubSettled();
  expect(faults.unusedFaults()).toBe(0);
});
afterAll(() => nock.enableNetConnect());

/** Delivers `pull_request.opened` and runs the evaluation it schedules to its end. */
async function deliver(): Promise<void> {
  const event = { id: "delivery-1", name: "pull_request" as const, payload: examplePayload("pull_request", "opened") as never };
  await settle(
    test.probot.receive(event).then(() => test.app.background.idle()),
    clock,
    faults,
  );
}

const policyFile = () => github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");

function setup(pull: PullFixture) {
  policyFile();
  github.on("POST", "/graphql", 200, graphqlPull(pull));
}

const approvedDocsChange: PullFixture = { files: ["docs/guide.md"], body: COMPLETE_BODY, reviews: [{ author: "bob", state: "APPROVED" }] };
const checkWrites = () => github.requests.filter((r) => r.path.startsWith(CHECKS));

async function timeouts(route: string): Promise<number> {
  const metric = await registry.getSingleMetric("change_policy_github_timeouts_total")?.get();
  return metric?.values.find((v) => v.labels.route === route)?.value ?? 0;
}

describe("GitHub hangs on the GraphQL query", () => {
  it("every time: after 4 attempts the check fails closed saying GitHub did not answer, written once", async () => {
    policyFile();
    faults.hang("POST", "/graphql", 4);
    // The PR (and so our run) could not be read: the run is looked up first; there is none yet.
    github.on("GET", `/repos/Codertocat/Hello-World/commits/${HEAD}/check-runs?check_name=Change%20Policy&app_id=1`, 200, { total_count: 0, check_runs: [] });
    github.on("POST", CHECKS, 201, { id: 7 });
    const before = await timeouts("/graphql");

    await deliver();

    expect(faults.log.filter((l) => l.request === "POST /graphql")).toHaveLength(4);
    expect(github.calls().filter((c) => c.includes("/check-runs"))).toEqual([expect.stringMatching(/^GET \/repos\/Codertocat\/Hello-World\/commits\/\w+\/check-runs\?/), `POST ${CHECKS}`]);
    expect(checkWrites()).toHaveLength(1);
    const check = checkWrites()[0]!.body;
    expect(check).toMatchObject({ name: "Change Policy", status: "completed", conclusion: "failure" });
    expect(check.output.title).toBe("Could not evaluate: the check fails until it can");
    expect(check.output.summary).toMatch(/^GitHub did not answer within 15 s; the check will be retried\./);
    expect(await timeouts("/graphql")).toBe(before + 4);
  });

  it("once: the retry reads the pull request and the check shows the verdict", async () => {
    faults.hang("POST", "/graphql");
    setup(approvedDocsChange);
    github.on("POST", CHECKS, 201, { id: 7 });

    await deliver();

    expect(checkWrites()).toHaveLength(1);
    expect(checkWrites()[0]!.body).toMatchObject({ conclusion: "success", output: { title: "Standard change: all requirements met" } });
  });
});

describe("GitHub fails the check write", () => {
  it("502 on updating the check: sent again, and the check ends correct", async () => {
    setup({ ...approvedDocsChange, check: { id: 7, conclusion: "FAILURE", title: "Standard change: 1 of 2 requirements missing", summary: "old" } });
    github.on("PATCH", `${CHECKS}/7`, 502, { message: "Bad Gateway" });
    github.on("PATCH", `${CHECKS}/7`, 200, { id: 7 });

    await deliver();

    expect(github.calls().filter((c) => c.includes("/check-runs"))).toEqual([`PATCH ${CHECKS}/7`, `PATCH ${CHECKS}/7`]);
    expect(checkWrites()[1]!.body).toMatchObject({ conclusion: "success", output: { title: "Standard change: all requirements met" } });
  });

  it("429 with retry-after: 2 on creating the check: waited out, then one check is created", async () => {
    setup({ files: ["package.json"], body: "## Description\nBump the dependency to fix a bug." });
    github.on("POST", CHECKS, 429, { message: "Too many requests" }, { "retry-after": "2" });
    github.on("POST", CHECKS, 201, { id: 9 });

    await deliver();

    expect(checkWrites()).toHaveLength(2); // the first was refused, not made
    expect(checkWrites()[1]!.body).toMatchObject({ conclusion: "failure", output: { title: expect.stringMatching(/^Normal change: \d of \d requirements missing$/) } });
    expect(clock.scheduled).toContain(2_500); // retry-after 2 s, plus jitter
  });
});
