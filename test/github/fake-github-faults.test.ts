// The loopback fake GitHub of the benchmark (bench/fake-github.mjs) answers chosen requests with a
// 502, with nothing at all, or with a 429 and retry-after — over real HTTP, as the end-to-end tests
// of the server process need it. Driven here by the app's resilient client on a manual clock.
import { ProbotOctokit } from "probot";
import { startFakeGitHub, type FakeGitHub } from "../../bench/fake-github.mjs";
import { withResilience } from "../../src/github/resilience.js";
import { FaultyFetch, ManualClock, settle } from "../helpers/fault-clock.js";

let github: FakeGitHub;
let clock: ManualClock;
let requests: FaultyFetch;

beforeEach(async () => {
  github = await startFakeGitHub();
  clock = new ManualClock();
  requests = new FaultyFetch(); // no faults of its own: it counts the requests on their way
});
afterEach(() => github.close());

function client() {
  const Octokit = withResilience(ProbotOctokit, { clock });
  return new Octokit({ auth: { token: "t" }, baseUrl: `http://127.0.0.1:${github.port}/api/v3`, throttle: { enabled: false }, request: { fetch: requests.fetch } });
}
// Time moves on only when every request on its way is one the fake GitHub holds (counted from the
// client's side: the server learns of an abort a moment later).
const holding = () => github.faultLog.filter((f) => f.answer === "hang").length - requests.aborted;
const run = <T>(work: Promise<T>) => settle(work, clock, { busy: () => requests.inFlight > holding() });
const checkWrite = { owner: "bench", repo: "typical", name: "Change Policy", head_sha: "abc", status: "completed" as const, conclusion: "success" as const, output: { title: "Standard change: all requirements met", summary: "ok" } };

it("502 on a check update: the fake answers 502 once, the retry writes the check", async () => {
  github.currentPr.set("typical", 1);
  github.fail({ method: "PATCH", path: /\/check-runs\/7$/, answer: { status: 502 } });
  await run(client().request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", { ...checkWrite, check_run_id: 7 }));
  expect(github.faultLog).toEqual([{ request: "PATCH /repos/bench/typical/check-runs/7", answer: 502 }]);
  expect(github.checks.get("typical#1")).toMatchObject({ conclusion: "SUCCESS", title: "Standard change: all requirements met" });
});

it("a hung GraphQL query (GitHub Enterprise Server URL): the fake holds the connection until the client gives up, then answers the retry", async () => {
  github.fail({ method: "POST", path: "/api/graphql", answer: { hang: true } });
  const data = await run(client().graphql<{ repository: { pullRequest: { number: number } } }>("query($owner: String!, $repo: String!, $number: Int!) { x }", { owner: "bench", repo: "typical", number: 3 }));
  expect(data.repository.pullRequest.number).toBe(3);
  expect(github.faultLog).toEqual([{ request: "POST /api/graphql", answer: "hang" }]);
  expect(github.requests.filter((r) => r === "POST /api/graphql")).toHaveLength(2);
  expect(github.hanging()).toBe(0);
});

it("429 with retry-after: 2 on creating a check: waited out, one check created", async () => {
  github.currentPr.set("typical", 1);
  github.fail({ method: "POST", path: /\/check-runs$/, answer: { status: 429, headers: { "retry-after": "2" } } });
  await run(client().request("POST /repos/{owner}/{repo}/check-runs", checkWrite));
  expect(clock.scheduled).toContain(2_500);
  expect(github.requests.filter((r) => r.endsWith("/check-runs"))).toHaveLength(2);
  expect(github.checks.size).toBe(1);
});

it("a create written and answered 502 (a registered PR): the fake keeps the run, and the lookup of our runs on the commit finds it", async () => {
  github.pulls.set("typical#4", { head: "abc", reviews: [] });
  github.fail({ method: "POST", path: /\/check-runs$/, answer: { status: 502, applied: true } });
  await expect(run(client().request("POST /repos/{owner}/{repo}/check-runs", checkWrite))).rejects.toMatchObject({ status: 502 });
  const { data } = await run(client().request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { owner: "bench", repo: "typical", ref: "abc", check_name: "Change Policy", app_id: 1 }));
  expect(github.faultLog).toEqual([{ request: "POST /repos/bench/typical/check-runs", answer: "502 after writing" }]);
  expect(data).toMatchObject({ total_count: 1, check_runs: [{ name: "Change Policy", head_sha: "abc", status: "completed", conclusion: "success", output: { title: "Standard change: all requirements met" }, app: { id: 1 } }] });
  expect(data.check_runs[0]!.id).toBe(github.checkWrites[0]!.id);
});
