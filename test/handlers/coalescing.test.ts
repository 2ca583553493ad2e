// A burst of deliveries for one PR through the real Probot webhook handling: the first event is
// evaluated at once, the rest of the burst once after it (at most two evaluations, and here one
// check write because the verdict did not change); deliveries are answered before any evaluation;
// a low budget slows down.
import { Redis } from "ioredis";
import nock from "nock";
import { clearMembershipCaches } from "../../src/github/membership.js";
import { expectGitHubSettled, examplePayload, FakeGitHub, testApp, type TestApp } from "../helpers/app.js";
import { graphqlPull, HEAD } from "../helpers/graphql-pull.js";
import { startRedis, type RedisProcess } from "../helpers/redis.js";

const CONFIG = "classes:\n  standard:\n    approvals: []\n";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits (up to 5 s) until the fake GitHub has answered `count` requests: the first run's pace is the machine's. */
async function answered(count: number) {
  for (let waited = 0; github.calls().length < count && waited < 5_000; waited += 10) await sleep(10);
}

let github: FakeGitHub;

beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  github = new FakeGitHub();
  clearMembershipCaches();
});
afterEach(expectGitHubSettled);
afterAll(() => nock.enableNetConnect());

/** Opening a PR with three labels and two requested reviewers: six deliveries. */
function burst() {
  const events = [
    ["pull_request", "opened"],
    ["pull_request", "labeled"],
    ["pull_request", "labeled"],
    ["pull_request", "labeled"],
    ["pull_request", "review_requested"],
    ["pull_request", "review_requested"],
  ] as const;
  return events.map(([name, action], i) => {
    const payload = examplePayload(name, action) as any;
    payload.repository = examplePayload("pull_request", "opened").repository;
    payload.pull_request.number = 2;
    payload.pull_request.state = "open";
    return { id: `burst-${i}`, name, payload };
  });
}

function readsAndWrite(pull = {}, status = 201) {
  github.on("POST", "/graphql", 200, graphqlPull({ files: ["docs/a.md"], body: "## Summary\nA documentation only change here.", ...pull }));
  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
  if (status) github.on("POST", "/repos/Codertocat/Hello-World/check-runs", status, { id: 7 });
}

async function deliver(t: TestApp, deliveries: ReturnType<typeof burst>, gapMs = 5) {
  for (const d of deliveries) {
    await t.probot.receive(d as never);
    await sleep(gapMs);
  }
}

const ROUND = [
  "GET /repos/Codertocat/Hello-World/contents/.github%2Fchange-policy.yml?ref=master",
  "POST /graphql",
  "POST /repos/Codertocat/Hello-World/check-runs",
];

/** The reads of a later evaluation, which finds the check the first one wrote: nothing to write. */
function readsFindingTheCheck() {
  const written = github.requests.find((r) => r.path.endsWith("/check-runs"))!.body;
  readsAndWrite({ check: { id: 7, conclusion: written.conclusion.toUpperCase(), title: written.output.title, summary: written.output.summary } }, 0);
}

test("six deliveries: the first evaluated at once, the other five in one evaluation after the burst; one check write", async () => {
  const t = await testApp({ windowMs: 100, maxWaitMs: 5_000 });
  readsAndWrite();
  const [first, ...rest] = burst();
  await deliver(t, [first!], 0);
  // A lone event does not wait for a window (100 ms here): it is evaluated while the others come in.
  await answered(3);
  expect(github.calls()).toEqual(ROUND);

  readsFindingTheCheck();
  await deliver(t, rest);
  // Answered, nothing read yet: the rest of the burst waits for the burst to end.
  expect(github.calls()).toEqual(ROUND);
  expect(t.app.pending()).toBe(1);

  await sleep(250); // the window (100 ms after the last delivery) ends on its own
  expect(github.calls()).toEqual([...ROUND, ...ROUND.slice(0, 2)]);
  expect(t.app.pending()).toBe(0);
});

test("graceful shutdown: drain() evaluates what waits for its window now, then nothing is pending", async () => {
  const t = await testApp({ windowMs: 60_000, maxWaitMs: 600_000 });
  readsAndWrite();
  const deliveries = burst().slice(0, 3);
  await deliver(t, deliveries.slice(0, 1), 0);
  await answered(3); // the window is a minute: only a lone event's immediate run can answer this
  expect(github.calls()).toEqual(ROUND);
  readsFindingTheCheck();
  await deliver(t, deliveries.slice(1));
  expect(t.app.pending()).toBe(1);
  const started = Date.now();
  await t.app.drain();
  expect(Date.now() - started).toBeLessThan(2_000);
  expect(github.calls()).toEqual([...ROUND, ...ROUND.slice(0, 2)]);
  expect(t.app.pending()).toBe(0);
});

test("an unchanged re-evaluation writes nothing", async () => {
  const t = await testApp({ windowMs: 20 });
  readsAndWrite();
  await deliver(t, burst().slice(0, 1));
  await t.app.background.idle();
  const written = github.requests.find((r) => r.path.endsWith("/check-runs"))!.body;

  github = new FakeGitHub();
  readsAndWrite({ check: { id: 7, conclusion: "SUCCESS", title: written.output.title, summary: written.output.summary } }, 0);
  await deliver(t, burst().slice(1, 3));
  await t.app.background.idle();
  expect(github.calls().filter((c) => !c.startsWith("GET") && c !== "POST /graphql")).toEqual([]);
  expect(github.calls()).toHaveLength(2);
});

test("with the budget low, the window grows and the app says so once in its logs", async () => {
  const t = await testApp({ windowMs: 30, maxWaitMs: 60 });
  const warnings: string[] = [];
  const log = t.app.background.log;
  t.app.background.log = { info: () => undefined, error: () => undefined, warn: (_o, m) => void warnings.push(m) };
  const reset = String(Math.floor(Date.now() / 1000) + 600);
  t.budget.record("2", { "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "120", "x-ratelimit-reset": reset, "x-ratelimit-resource": "core" });
  readsAndWrite();
  const [first, second] = burst();
  await deliver(t, [first!], 0); // a lone event costs one evaluation whenever it runs: at once
  await answered(3);
  expect(github.calls()).toEqual(ROUND);
  readsFindingTheCheck();
  await deliver(t, [second!]);
  await sleep(150); // twice the normal maximum wait: still waiting
  expect(github.calls()).toEqual(ROUND);
  await sleep(500); // 10 x the window
  expect(github.calls()).toEqual([...ROUND, ...ROUND.slice(0, 2)]);
  expect(warnings).toEqual([expect.stringContaining("GitHub API budget is low")]);
  await t.app.background.idle();
  t.app.background.log = log;
});

test("an evaluation that fails in the background still fails the check (closed)", async () => {
  const t = await testApp({ windowMs: 10 });
  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
  github.on("POST", "/graphql", 502, { message: "Bad Gateway" });
  github.on("GET", `/repos/Codertocat/Hello-World/commits/${HEAD}/check-runs?check_name=Change%20Policy&app_id=1`, 200, { total_count: 0, check_runs: [] });
  github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
  await deliver(t, burst().slice(0, 1));
  await t.app.background.idle();
  const check = github.requests.find((r) => r.path.endsWith("/check-runs"))!.body;
  expect(check.conclusion).toBe("failure");
  expect(check.output.summary).toContain("GitHub had an internal error (502).");
});

describe("two replicas sharing Redis", () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  test("a burst whose deliveries land on both replicas: the first evaluated at once, the rest once by one of them", async () => {
    const clients = [new Redis(redis.url), new Redis(redis.url)];
    await Promise.all(clients.map((c) => c.ping()));
    const replicas = await Promise.all(clients.map((client) => testApp({ windowMs: 100, maxWaitMs: 5_000, redis: client })));
    readsAndWrite();
    // Each replica asks for its own installation token (FakeGitHub answers one).
    github.scope.post("/app/installations/2/access_tokens").optionally().reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z" });
    const [first, ...rest] = burst();
    await replicas[0]!.probot.receive(first as never);
    await answered(3);
    expect(github.calls()).toEqual(ROUND);
    readsFindingTheCheck();
    for (const [i, d] of rest.entries()) {
      await replicas[(i + 1) % 2]!.probot.receive(d as never);
      await sleep(5);
    }
    expect(github.calls()).toEqual(ROUND);
    // Both replicas' windows end; Redis lets exactly one of them evaluate (no flushing here).
    await sleep(400);
    expect(replicas.map((r) => r.app.pending())).toEqual([0, 0]);
    expect(github.calls()).toEqual([...ROUND, ...ROUND.slice(0, 2)]);
    await Promise.all(replicas.map((r) => r.app.drain()));
    await Promise.all(clients.map((c) => c.quit()));
  });
});
