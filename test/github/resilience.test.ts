// The resilience plugin (src/github/resilience.ts) on Probot's client: hung requests are abandoned,
// what is safe to repeat is retried with backoff, rate limits are waited out within bounds, and
// nothing is ever turned into a success. Time is a ManualClock: a 15 s timeout costs nothing.
import nock from "nock";
import { ProbotOctokit } from "probot";
import { describeFailure } from "../../src/github/client.js";
import { isTransientFailure } from "../../src/github/transient-errors.js";
import { GitHubRateLimitError, GitHubTimeoutError, resilienceFromEnv, withResilience, type ResilienceOptions, type RetryNotice } from "../../src/github/resilience.js";
import { registry } from "../../src/metrics.js";
import { FaultyFetch, ManualClock, settle } from "../helpers/fault-clock.js";

const API = "https://api.github.com";
const repo = { owner: "acme", repo: "api" };

let clock: ManualClock;
let faults: FaultyFetch;
let warnings: string[];

beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  clock = new ManualClock();
  faults = new FaultyFetch();
  warnings = [];
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
  expect(faults.unusedFaults()).toBe(0);
});
afterAll(() => nock.enableNetConnect());

function client(options: Partial<ResilienceOptions> = {}, instance: Record<string, unknown> = {}) {
  const Octokit = withResilience(ProbotOctokit, { clock, ...options });
  return new Octokit({
    auth: { token: "ghs_test" },
    throttle: { enabled: false },
    request: { fetch: faults.fetch },
    log: { debug: () => undefined, info: () => undefined, warn: (m: string) => warnings.push(m), error: () => undefined },
    ...instance,
  });
}

const run = <T>(work: Promise<T>) => settle(work, clock, faults);
const attempts = (request: string) => faults.log.filter((l) => l.request === request).length;

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))?.value ?? 0;
}

describe("a request GitHub does not answer", () => {
  it("is abandoned after 15 s, retried 3 times with growing backoff, then fails saying GitHub did not answer", async () => {
    faults.hang("GET", "/repos/acme/api", 4);
    const timeoutsBefore = await counter("change_policy_github_timeouts_total", { route: "/repos/{owner}/{repo}" });
    const retriesBefore = await counter("change_policy_github_retries_total", { reason: "timeout" });
    const error = await run(client().request("GET /repos/{owner}/{repo}", repo)).catch((e: unknown) => e);

    expect(attempts("GET /repos/acme/api")).toBe(4);
    // Each attempt's 15 s timeout, and between them backoffs of 1, 2, 4 s jittered to 75 % (random 0.5).
    expect(clock.scheduled).toEqual([15_000, 750, 15_000, 1_500, 15_000, 3_000, 15_000]);
    expect(describeFailure(error)).toEqual({
      reason: "GitHub did not answer within 15 s; the check will be retried.",
      remedy: expect.stringContaining("the app evaluates again by itself"),
    });
    expect(error).toMatchObject({ status: 500, cause: expect.any(GitHubTimeoutError) });
    expect(await counter("change_policy_github_timeouts_total", { route: "/repos/{owner}/{repo}" })).toBe(timeoutsBefore + 4);
    expect(await counter("change_policy_github_retries_total", { reason: "timeout" })).toBe(retriesBefore + 3);
    expect(warnings[0]).toBe("GitHub did not answer in time on GET /repos/{owner}/{repo}: retrying in 1 s (retry 1 of 3)");
  });

  it("answers once GitHub does: a hang, then the answer", async () => {
    faults.hang("GET", "/repos/acme/api");
    nock(API).get("/repos/acme/api").reply(200, { full_name: "acme/api" });
    const res = await run(client().request("GET /repos/{owner}/{repo}", repo));
    expect(res.data).toEqual({ full_name: "acme/api" });
    expect(clock.now() - new ManualClock().now()).toBe(15_750);
  });

  it("a body that stops half-way is a timeout, not an empty answer", async () => {
    faults.stallBody("GET", "/repos/acme/api");
    nock(API).get("/repos/acme/api").reply(200, { full_name: "acme/api" });
    const res = await run(client().request("GET /repos/{owner}/{repo}", repo));
    expect(res.data).toEqual({ full_name: "acme/api" });
    expect(attempts("GET /repos/acme/api")).toBe(2);
  });

  it("is not retried when it created something (a POST): the work's own retry decides, so nothing is created twice", async () => {
    faults.hang("POST", "/repos/acme/api/issues");
    const error = await run(client().request("POST /repos/{owner}/{repo}/issues", { ...repo, title: "x" })).catch((e: unknown) => e);
    expect(attempts("POST /repos/acme/api/issues")).toBe(1);
    expect(describeFailure(error).reason).toBe("GitHub did not answer within 15 s; the check will be retried.");
  });

  it("uses the configured timeout (GITHUB_REQUEST_TIMEOUT_MS) and retries (GITHUB_RETRIES)", async () => {
    faults.hang("GET", "/repos/acme/api", 2);
    const error = await run(client(resilienceFromEnv({ GITHUB_REQUEST_TIMEOUT_MS: "5000", GITHUB_RETRIES: "1" })).request("GET /repos/{owner}/{repo}", repo)).catch((e: unknown) => e);
    expect(clock.scheduled).toEqual([5_000, 750, 5_000]);
    expect(describeFailure(error).reason).toBe("GitHub did not answer within 5 s; the check will be retried.");
  });

  it("a caller's own abort is final, not retried", async () => {
    faults.hang("GET", "/repos/acme/api");
    const controller = new AbortController();
    const pending = client().request("GET /repos/{owner}/{repo}", { ...repo, request: { signal: controller.signal } });
    controller.abort(Object.assign(new Error("stopped by the caller"), { name: "AbortError" }));
    await expect(run(pending)).rejects.toMatchObject({ name: "AbortError" });
    expect(attempts("GET /repos/acme/api")).toBe(1);
  });
});

describe("server errors", () => {
  it("a 502 on a read is retried and the answer returned", async () => {
    nock(API).get("/repos/acme/api").reply(502, "Bad Gateway").get("/repos/acme/api").reply(200, { ok: true });
    const res = await run(client().request("GET /repos/{owner}/{repo}", repo));
    expect(res.data).toEqual({ ok: true });
    expect(clock.scheduled).toEqual([15_000, 750, 15_000]);
  });

  it("a 502 on updating a check run (PATCH sets its state) is retried", async () => {
    const bodies: unknown[] = [];
    nock(API)
      .patch("/repos/acme/api/check-runs/7")
      .reply(502, "Bad Gateway")
      .patch("/repos/acme/api/check-runs/7")
      .reply(200, (_uri, body) => {
        bodies.push(body);
        return { id: 7 };
      });
    await run(client().request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", { ...repo, check_run_id: 7, conclusion: "failure" }));
    expect(bodies).toEqual([{ conclusion: "failure" }]);
  });

  it("a 502 on creating an issue or comment is not sent again (it may have been created)", async () => {
    nock(API).post("/repos/acme/api/issues/1/comments").reply(502, "Bad Gateway");
    await expect(run(client().request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { ...repo, issue_number: 1, body: "x" }))).rejects.toMatchObject({ status: 502 });
  });

  it("GraphQL: a query is retried after a 502 or GitHub's 'Something went wrong' (status 200); a mutation is not", async () => {
    nock(API)
      .post("/graphql")
      .reply(502, "Bad Gateway")
      .post("/graphql")
      .reply(200, { data: null, errors: [{ message: "Something went wrong while executing your query. Please include `ABCD` when reporting this issue." }] })
      .post("/graphql")
      .reply(200, { data: { viewer: { login: "app" } } });
    const octokit = client();
    expect(await run(octokit.graphql("query { viewer { login } }"))).toEqual({ viewer: { login: "app" } });

    nock(API).post("/graphql").reply(502, "Bad Gateway");
    await expect(run(octokit.graphql("mutation { addStar(input: {starrableId: \"x\"}) { clientMutationId } }"))).rejects.toMatchObject({ status: 502 });
  });

  it("gives up after the retries with GitHub's own error (a 5xx stays a failure)", async () => {
    nock(API).get("/repos/acme/api").times(4).reply(503, { message: "Service Unavailable" });
    const error = await run(client().request("GET /repos/{owner}/{repo}", repo)).catch((e: unknown) => e);
    expect(describeFailure(error).reason).toBe("GitHub had an internal error (503).");
  });

  it("a network failure of a read is retried", async () => {
    let calls = 0;
    const refusing: typeof fetch = async (input, init) => {
      if (++calls === 1) throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") });
      return faults.fetch(input, init);
    };
    nock(API).get("/repos/acme/api").reply(200, { ok: true });
    const res = await run(client({}, { request: { fetch: refusing } }).request("GET /repos/{owner}/{repo}", repo));
    expect(res.data).toEqual({ ok: true });
    expect(calls).toBe(2);
  });
});

describe("rate limits", () => {
  const secondary = { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." };

  it("a 429 with retry-after: 2 is waited out (2 s plus up to 1 s of jitter) and retried, once", async () => {
    nock(API).post("/repos/acme/api/check-runs").reply(429, { message: "Too many requests" }, { "retry-after": "2" });
    nock(API).post("/repos/acme/api/check-runs").reply(201, { id: 9 });
    const res = await run(client().request("POST /repos/{owner}/{repo}/check-runs", { ...repo, name: "Change Policy", head_sha: "abc" }));
    expect(res.data).toEqual({ id: 9 });
    expect(clock.scheduled).toEqual([15_000, 2_500, 15_000]); // a rejected request was not made, so a POST is safe to resend
    expect(attempts("POST /repos/acme/api/check-runs")).toBe(2);
  });

  it("a secondary limit without retry-after waits a minute, as GitHub asks", async () => {
    nock(API).get("/repos/acme/api").reply(403, secondary).get("/repos/acme/api").reply(200, {});
    await run(client().request("GET /repos/{owner}/{repo}", repo));
    expect(clock.scheduled).toEqual([15_000, 60_500, 15_000]);
  });

  it("the primary limit (x-ratelimit-remaining: 0) is waited out until 1 s after its reset", async () => {
    const reset = Math.floor(clock.now() / 1000) + 30;
    nock(API)
      .get("/repos/acme/api")
      .reply(403, { message: "API rate limit exceeded for installation ID 2." }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) })
      .get("/repos/acme/api")
      .reply(200, {});
    await run(client().request("GET /repos/{owner}/{repo}", repo));
    expect(clock.scheduled).toEqual([15_000, 31_500, 15_000]);
  });

  it("a limit that resets in 2 h is not waited for: the request fails closed at once, saying until when", async () => {
    const reset = Math.floor(clock.now() / 1000) + 7200;
    nock(API).get("/repos/acme/api").reply(403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) });
    const before = await counter("change_policy_github_rate_limit_failures_total", { kind: "primary" });
    const error = await run(client().request("GET /repos/{owner}/{repo}", repo)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubRateLimitError);
    expect(error).toMatchObject({ status: 403, kind: "primary" });
    expect(describeFailure(error)).toEqual({
      reason: "GitHub's API rate limit for this installation is used up: it asks to wait 2 h, until 2026-11-24T14:00:01.000Z, longer than the app waits during an evaluation (60 s). The check will be retried.",
      remedy: "Nothing to do: the app evaluates again after the limit resets; Re-run after 2026-11-24T14:00:01.000Z evaluates at once.",
    });
    expect(await counter("change_policy_github_rate_limit_failures_total", { kind: "primary" })).toBe(before + 1);
  });

  it("a limit hit again after every wait fails after 3 waits, each at least 1 s (never a tight loop), even with retry-after: 0", async () => {
    nock(API).get("/repos/acme/api").times(4).reply(429, { message: "Too many requests" }, { "retry-after": "0" });
    const waitsBefore = await counter("change_policy_github_rate_limit_waits_total", { kind: "secondary" });
    const error = await run(client().request("GET /repos/{owner}/{repo}", repo)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubRateLimitError);
    expect(clock.scheduled.filter((ms) => ms !== 15_000)).toEqual([1_500, 1_500, 1_500]);
    expect(await counter("change_policy_github_rate_limit_waits_total", { kind: "secondary" })).toBe(waitsBefore + 3);
  });

  it("a GraphQL RATE_LIMITED answer (status 200) is waited out until the reset", async () => {
    const reset = Math.floor(clock.now() / 1000) + 10;
    nock(API)
      .post("/graphql")
      .reply(200, { errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded" }] }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) })
      .post("/graphql")
      .reply(200, { data: { viewer: { login: "app" } } });
    expect(await run(client().graphql("query { viewer { login } }"))).toEqual({ viewer: { login: "app" } });
    expect(clock.scheduled).toEqual([15_000, 11_500, 15_000]);
  });

  it("a 403 that is not a rate limit (a missing permission) is neither waited for nor retried", async () => {
    nock(API).get("/repos/acme/api").reply(403, { message: "Resource not accessible by integration" });
    const error = await run(client().request("GET /repos/{owner}/{repo}", repo)).catch((e: unknown) => e);
    expect(describeFailure(error).reason).toMatch(/^GitHub refused a request the evaluation needs \(403/);
  });

  it("with throttling on, the plugin (not throttling) waits, once", async () => {
    nock(API).get("/repos/acme/api").reply(403, secondary, { "retry-after": "5" }).get("/repos/acme/api").reply(200, {});
    const notices: RetryNotice[] = [];
    const octokit = client({ onWait: (n) => notices.push(n) }, { throttle: { id: "resilience-throttled" } });
    await run(octokit.request("GET /repos/{owner}/{repo}", repo));
    expect(attempts("GET /repos/acme/api")).toBe(2);
    expect(notices).toEqual([{ reason: "rate_limit", route: "GET /repos/{owner}/{repo}", attempt: 1, waitMs: 5_500, rateLimit: "secondary", status: 403 }]);
  });
});

describe("plugging it in", () => {
  it("keeps the defaults of the class it wraps (the server's own), with one timeout per request", async () => {
    const Server = ProbotOctokit.defaults((o: Record<string, unknown>) => ({ ...o, userAgent: "change-policy-test" }));
    const octokit = new (withResilience(Server, { clock }))({ auth: { token: "t" }, throttle: { enabled: false }, request: { fetch: faults.fetch } });
    nock(API, { reqheaders: { "user-agent": (v: string) => v.startsWith("change-policy-test") } }).get("/repos/acme/api").times(2).reply(200, {});
    await run(octokit.request("GET /repos/{owner}/{repo}", repo));
    await run(octokit.request("GET /repos/{owner}/{repo}", repo));
    expect(clock.scheduled).toEqual([15_000, 15_000]);
  });

  it("says which failures are worth running the work again for (timeouts, rate limits, 5xx) and which are not (4xx)", async () => {
    faults.hang("GET", "/repos/acme/api", 4);
    nock(API).get("/repos/acme/api/pulls").reply(403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.floor(clock.now() / 1000) + 7200) });
    nock(API).get("/repos/acme/api/issues").times(4).reply(502, "Bad Gateway");
    nock(API).get("/repos/acme/api/labels").reply(404, { message: "Not Found" });
    const octokit = client();
    const failures = await Promise.all(
      ["/repos/{owner}/{repo}", "/repos/{owner}/{repo}/pulls", "/repos/{owner}/{repo}/issues", "/repos/{owner}/{repo}/labels"].map((route) =>
        run(octokit.request(`GET ${route}`, repo)).catch((e: unknown) => e),
      ),
    );
    expect(failures.map(isTransientFailure)).toEqual([true, true, true, false]);
  });

  it("rejects settings that are not numbers, naming them", () => {
    expect(() => resilienceFromEnv({ GITHUB_REQUEST_TIMEOUT_MS: "soon" })).toThrow("GITHUB_REQUEST_TIMEOUT_MS: must be a number from 1000 to 600000");
    expect(resilienceFromEnv({ GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS: "300" }).maxRateLimitWaitMs).toBe(300_000);
  });
});
