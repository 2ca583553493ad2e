// A policy change re-evaluates every open PR it governs, paced; so does installing the app.
import { jest } from "@jest/globals";
import nock from "nock";
import { clearMembershipCaches } from "../../src/github/membership.js";
import { pushTouchesPolicy } from "../../src/services/policy-change.js";
import { etagCache } from "../../src/github/conditional-requests.js";
import { expectGitHubSettled, examplePayload, FakeGitHub, testApp, type TestApp } from "../helpers/app.js";
import { graphqlPull } from "../helpers/graphql-pull.js";

const CONFIG = "classes:\n  standard:\n    approvals: []\n";
const OPEN_INTO_MASTER = "/repos/Codertocat/Hello-World/pulls?state=open&base=master&per_page=100";
/** Fake clocks for the pacing tests (the spacing is asserted to the millisecond); the microtask and I/O hooks stay real so that nock and Probot answer. */
const useFakeClock = () => jest.useFakeTimers({ doNotFake: ["setImmediate", "nextTick", "queueMicrotask"] });
/** With the fake clock standing still, lets real I/O (nock's answers) and due timers run until `done()` (bounded). */
async function settle(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 500 && !done(); turn++) {
    await jest.advanceTimersByTimeAsync(0);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
/** The background work's idle, reached under the fake clock without moving it. */
async function idleWithoutTime(t: TestApp): Promise<void> {
  let finished = false;
  const idle = t.app.background.idle().finally(() => (finished = true));
  await settle(() => finished);
  await idle;
}

let github: FakeGitHub;

beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  github = new FakeGitHub();
  clearMembershipCaches();
  etagCache.clear();
});
afterEach(expectGitHubSettled);
afterEach(() => jest.useRealTimers());
afterAll(() => nock.enableNetConnect());

function push(changes: { modified?: string[]; added?: string[]; removed?: string[] }[], repo = "Hello-World") {
  const payload = examplePayload("push", undefined, 4) as any; // refs/heads/master
  payload.before = BEFORE;
  ignored = incidentReads(repo);
  payload.repository.name = repo;
  payload.repository.full_name = `Codertocat/${repo}`;
  payload.commits = changes.map((c, i) => ({ ...payload.head_commit, id: `c${i}`, added: c.added ?? [], modified: c.modified ?? [], removed: c.removed ?? [] }));
  return { id: "push-1", name: "push" as const, payload };
}

const BEFORE = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
/** The incidents handler (src/handlers/incidents.ts) also reads the policy on every push; not ours to count. */
function incidentReads(repo: string): string[] {
  const urls = [`/repos/Codertocat/${repo}/contents/.github%2Fchange-policy.yml?ref=${BEFORE}`];
  if (repo !== ".github") urls.push("/repos/Codertocat/.github/contents/.github%2Fchange-policy.yml");
  for (const url of urls) github.scope.get(url).optionally().reply(404, { message: "Not Found" });
  return urls.map((u) => `GET ${u}`);
}
let ignored: string[] = [];
const ourCalls = () => github.calls().filter((c) => !ignored.includes(c));

const pullSummary = (number: number, base = "master") => ({ number, state: "open", head: { sha: `sha${number}` }, base: { ref: base } });

/** Answers the PR query for whichever PR is asked, and records which ones were evaluated. */
function evaluationsOf(repo: string, count: number): number[] {
  const asked: number[] = [];
  github.scope
    .post("/graphql")
    .times(count)
    .reply(200, (_uri: string, body: any) => {
      asked.push(body.variables.number);
      return graphqlPull({ number: body.variables.number, headSha: `sha${body.variables.number}`.padEnd(40, "0"), files: ["docs/a.md"], body: "## Summary\nA documentation only change here." });
    });
  github.scope.get(`/repos/Codertocat/${repo}/contents/.github%2Fchange-policy.yml?ref=master`).times(count).reply(200, CONFIG, { "content-type": "application/vnd.github.raw; charset=utf-8" });
  github.scope.post(`/repos/Codertocat/${repo}/check-runs`).times(count).reply(201, { id: 9 });
  return asked;
}

describe("which pushes change the policy", () => {
  test.each([
    ["a commit modifies it", [{ modified: [".github/change-policy.yml"] }], "yes"],
    ["a later commit removes it", [{ added: ["README.md"] }, { removed: [".github/change-policy.yml"] }], "yes"],
    ["only other files change", [{ modified: ["src/index.ts", ".github/workflows/ci.yml"] }], "no"],
    ["no commits listed (force push)", [], "unknown"],
    ["20 commits listed (maybe cut)", Array.from({ length: 20 }, () => ({ modified: ["src/index.ts"] })), "unknown"],
  ] as const)("%s → %s", (_label, commits, expected) => {
    expect(pushTouchesPolicy(commits as never)).toBe(expected);
  });
});

describe("a push that changes the policy file", () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await testApp({ spacingMs: 60 });
  });

  test("re-evaluates every open PR into that branch, one after the other, spaced", async () => {
    useFakeClock();
    const t0 = Date.now();
    github.on("GET", OPEN_INTO_MASTER, 200, [pullSummary(11), pullSummary(12), pullSummary(13)]);
    const asked = evaluationsOf("Hello-World", 3);
    const writes: number[] = [];
    github.scope.on("request", (req: { path: string }) => req.path.endsWith("/check-runs") && writes.push(Date.now() - t0));

    await t.probot.receive(push([{ modified: [".github/change-policy.yml"] }]) as never);
    await settle(() => github.calls().includes(`GET ${OPEN_INTO_MASTER}`));
    // The fake clock moves 10 ms at a time, real I/O running in between: an evaluation takes a few fake
    // milliseconds of its own, so the spacing (60 ms, from the end of one job to the start of the next) is a lower bound.
    for (let step = 0; step < 40 && writes.length < 3; step++) {
      await jest.advanceTimersByTimeAsync(10);
      await settle(() => false);
    }
    await idleWithoutTime(t);

    expect(asked).toEqual([11, 12, 13]);
    expect(github.calls().filter((c) => c.includes("check-runs"))).toHaveLength(3);
    // Listing the PRs is a job of the same paced queue: the first evaluation waits the spacing after it too.
    expect(writes[0]).toBeGreaterThanOrEqual(60);
    expect(writes[1]! - writes[0]!).toBeGreaterThanOrEqual(60);
    expect(writes[2]! - writes[1]!).toBeGreaterThanOrEqual(60);
  });

  test("a push that does not touch it costs no request", async () => {
    await t.probot.receive(push([{ modified: ["src/index.ts"] }]) as never);
    await t.app.background.idle();
    expect(ourCalls()).toEqual([]);
  });

  test("when the payload may not list every commit, GitHub's comparison decides", async () => {
    const many = Array.from({ length: 20 }, () => ({ modified: ["src/index.ts"] }));
    github.on("GET", "/repos/Codertocat/Hello-World/compare/6113728f27ae82c7b1a177c8d03f9e96e0adf246...0000000000000000000000000000000000000000?per_page=1", 200, {
      files: [{ filename: "src/index.ts" }, { filename: ".github/change-policy.yml" }],
    });
    const payload = push(many);
    payload.payload.after = "0000000000000000000000000000000000000000";
    github.on("GET", OPEN_INTO_MASTER, 200, [pullSummary(11)]);
    const asked = evaluationsOf("Hello-World", 1);
    await t.probot.receive(payload as never);
    await t.app.background.idle();
    expect(asked).toEqual([11]);
  });

  test("on the organisation's .github default branch: the PRs of every repository it governs", async () => {
    github.on("GET", "/repos/Codertocat/.github/pulls?state=open&base=master&per_page=100", 200, []);
    github.on("GET", "/installation/repositories?per_page=100", 200, {
      total_count: 3,
      repositories: [
        { name: ".github", owner: { login: "Codertocat" }, archived: false },
        { name: "Hello-World", owner: { login: "Codertocat" }, archived: false },
        { name: "Own-Policy", owner: { login: "Codertocat" }, archived: false },
      ],
    });
    // Hello-World has no file of its own: the organisation's governs it.
    github.on("GET", "/repos/Codertocat/Hello-World/pulls?state=open&per_page=100", 200, [pullSummary(21)]);
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", null, "master");
    github.file("Codertocat", ".github", ".github/change-policy.yml", CONFIG);
    // Own-Policy has its own file that does not extend it: untouched.
    github.on("GET", "/repos/Codertocat/Own-Policy/pulls?state=open&per_page=100", 200, [pullSummary(31)]);
    github.file("Codertocat", "Own-Policy", ".github/change-policy.yml", CONFIG, "master");
    // The evaluation of Hello-World#21 (its config lookup falls back to the organisation's file).
    github.scope.post("/graphql").reply(200, graphqlPull({ number: 21, files: ["docs/a.md"], body: "## Summary\nA documentation only change here." }));
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", null, "master");
    github.file("Codertocat", ".github", ".github/change-policy.yml", CONFIG);
    github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 9 });

    await t.probot.receive(push([{ modified: [".github/change-policy.yml"] }], ".github") as never);
    await t.app.background.idle();

    const evaluated = github.requests.filter((r) => r.path === "/graphql").map((r) => `${r.body.variables.repo}#${r.body.variables.number}`);
    expect(evaluated).toEqual(["Hello-World#21"]);
    expect(github.calls().filter((c) => c.includes("Own-Policy"))).toEqual([
      "GET /repos/Codertocat/Own-Policy/pulls?state=open&per_page=100",
      "GET /repos/Codertocat/Own-Policy/contents/.github%2Fchange-policy.yml?ref=master",
    ]);
  });
});

test("installing the app on a repository evaluates its open PRs", async () => {
  const t = await testApp();
  const payload = examplePayload("installation_repositories", "added") as any; // Codertocat/Space
  github.on("GET", "/repos/Codertocat/Space/pulls?state=open&per_page=100", 200, [pullSummary(5), pullSummary(6)]);
  github.file("Codertocat", "Space", ".github/change-policy.yml", CONFIG, "master");
  const asked = evaluationsOf("Space", 2);
  await t.probot.receive({ id: "inst-1", name: "installation_repositories", payload } as never);
  await t.app.background.idle();
  expect(asked).toEqual([5, 6]);
});

test("a repository without any policy costs 3 requests (its PR list, the policy looked up in the repository then the organisation), and nothing is evaluated", async () => {
  const t = await testApp();
  const payload = examplePayload("installation", "created", 0) as any;
  payload.repositories = [{ full_name: "Codertocat/Hello-World", name: "Hello-World" }];
  github.on("GET", "/repos/Codertocat/Hello-World/pulls?state=open&per_page=100", 200, [pullSummary(5)]);
  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", null, "master");
  github.file("Codertocat", ".github", ".github/change-policy.yml", null);
  await t.probot.receive({ id: "inst-2", name: "installation", payload } as never);
  await t.app.background.idle();
  expect(github.calls()).toHaveLength(3);
});

test("with the budget low, the re-evaluation queue waits for the reset instead of failing checks", async () => {
  let now = Date.now();
  const t = await testApp({ spacingMs: 0, maxPauseMs: 40 }, () => now);
  const warnings: string[] = [];
  t.app.background.log = { info: () => undefined, error: () => undefined, warn: (_o, m) => void warnings.push(m) };
  t.budget.record("2", { "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "12", "x-ratelimit-reset": String(Math.floor(now / 1000) + 3600), "x-ratelimit-resource": "core" });

  github.on("GET", OPEN_INTO_MASTER, 200, [pullSummary(11)]);
  const asked = evaluationsOf("Hello-World", 1);
  useFakeClock();
  await t.probot.receive(push([{ modified: [".github/change-policy.yml"] }]) as never);
  await settle(() => warnings.length > 0);
  await jest.advanceTimersByTimeAsync(200); // five re-checks of the budget (every maxPauseMs)
  await settle(() => false);
  expect(ourCalls()).toEqual([]); // paused: not even the PR list
  expect(warnings).toEqual([expect.stringContaining("GitHub API budget is low")]);

  now += 3_601_000; // the limit has reset
  await jest.advanceTimersByTimeAsync(40); // the next re-check finds it
  await idleWithoutTime(t);
  expect(asked).toEqual([11]);
  expect(warnings).toHaveLength(1);
});
