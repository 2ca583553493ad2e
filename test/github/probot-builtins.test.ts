// What Probot 14's own client (ProbotOctokit: @octokit/plugin-retry 8 and @octokit/plugin-throttling
// 11, with Probot's default handlers) does about hung requests, server errors and rate limits — the
// facts src/github/resilience.ts is built on. Delays are scaled to milliseconds with the plugins'
// `retryAfterBaseValue` (their unit: 1 s by default; here 1 ms for retries and 10 µs per second of a
// rate limit), so the counts are real and nothing waits.
import { jest } from "@jest/globals";
import nock from "nock";
import { ProbotOctokit } from "probot";

const API = "https://api.github.com";
let testId = 0;

/** Probot's client as Probot builds it, with its delays in ms instead of s. */
function probotClient(extra: Record<string, unknown> = {}) {
  const throttle = (extra.throttle ?? {}) as Record<string, unknown>;
  return new ProbotOctokit({
    auth: { token: "ghs_test" },
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    retry: { retryAfterBaseValue: 1 },
    ...extra,
    // A limiter of its own per test: plugin-throttling's limiter groups are global.
    throttle: { id: `builtins-${++testId}`, retryAfterBaseValue: 0.01, ...throttle },
  });
}

const repo = { owner: "acme", repo: "api" };

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});
afterAll(() => nock.enableNetConnect());

describe("no timeout", () => {
  it("Octokit gives fetch no AbortSignal: nothing ever abandons a request GitHub does not answer", async () => {
    nock(API).get("/repos/acme/api").reply(200, {});
    const signals: unknown[] = [];
    const octokit = probotClient({
      request: {
        fetch: (url: string, init: RequestInit) => {
          signals.push(init.signal);
          return globalThis.fetch(url, init);
        },
      },
    });
    await octokit.request("GET /repos/{owner}/{repo}", repo);
    expect(signals).toEqual([undefined]);
  });
});

describe("@octokit/plugin-retry", () => {
  it("sends a GET that keeps failing with 502 four times (3 retries), then fails", async () => {
    const scope = nock(API).get("/repos/acme/api").times(4).reply(502, { message: "Bad Gateway" });
    await expect(probotClient().request("GET /repos/{owner}/{repo}", repo)).rejects.toMatchObject({ status: 502 });
    expect(scope.isDone()).toBe(true);
  });

  it("sends a POST that creates an issue again after a 502: a second issue if GitHub had created the first", async () => {
    const created: unknown[] = [];
    nock(API)
      .post("/repos/acme/api/issues")
      .reply(502, { message: "Bad Gateway" })
      .post("/repos/acme/api/issues")
      .reply(201, (_uri, body) => {
        created.push(body);
        return { number: 2 };
      });
    // (Throttling off: it would space the two writes 3 s apart, which is not what is shown here.)
    await probotClient({ throttle: { enabled: false } }).request("POST /repos/{owner}/{repo}/issues", { ...repo, title: "Post-implementation review" });
    expect(created).toHaveLength(1); // the retry was sent: plugin-retry does not ask whether POST is safe to repeat
  });

  it("does not retry a request that an AbortSignal ended (a timeout would be final)", async () => {
    let calls = 0;
    const octokit = probotClient({
      request: {
        fetch: () => {
          calls++;
          // What fetch throws when its signal aborts (a DOMException named AbortError in Node).
          return Promise.reject(Object.assign(new Error("This operation was aborted"), { name: "AbortError" }));
        },
      },
    });
    await expect(octokit.request("GET /repos/{owner}/{repo}", repo)).rejects.toMatchObject({ name: "AbortError" });
    expect(calls).toBe(1);
  });

  it("retries a network failure (a refused or reset connection) like a 5xx", async () => {
    let calls = 0;
    const octokit = probotClient({
      request: {
        fetch: () => {
          calls++;
          return Promise.reject(new TypeError("fetch failed", { cause: new Error("ECONNRESET") }));
        },
      },
    });
    await expect(octokit.request("GET /repos/{owner}/{repo}", repo)).rejects.toMatchObject({ status: 500, message: "ECONNRESET" });
    expect(calls).toBe(4);
  });
});

describe("@octokit/plugin-throttling with Probot's handlers", () => {
  const secondary = { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." };

  it("waits out a secondary rate limit however long retry-after is: Probot's handler always retries", async () => {
    const onSecondaryRateLimit = jest.fn(() => true); // what Probot's default handler returns, whatever the wait
    const scope = nock(API).get("/repos/acme/api").reply(403, secondary, { "retry-after": "3600" }).get("/repos/acme/api").reply(200, {});
    await probotClient({ throttle: { onSecondaryRateLimit, onRateLimit: () => true } }).request("GET /repos/{owner}/{repo}", repo);
    expect(scope.isDone()).toBe(true);
    expect(onSecondaryRateLimit).toHaveBeenCalledWith(3600, expect.anything(), expect.anything(), 0);
  });

  it("with Probot's own handlers, retries a secondary rate limit without a bound on the count", async () => {
    const scope = nock(API).get("/repos/acme/api").times(6).reply(403, secondary, { "retry-after": "1" }).get("/repos/acme/api").reply(200, {});
    await probotClient().request("GET /repos/{owner}/{repo}", repo);
    expect(scope.isDone()).toBe(true); // 7 requests: it would go on as long as GitHub says no
  });

  it("waits for the primary limit until x-ratelimit-reset (up to an hour)", async () => {
    const onRateLimit = jest.fn(() => true);
    const reset = Math.floor(Date.now() / 1000) + 3000;
    nock(API)
      .get("/repos/acme/api")
      .reply(403, { message: "API rate limit exceeded for installation ID 2." }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) })
      .get("/repos/acme/api")
      .reply(200, {});
    await probotClient({ throttle: { onRateLimit, onSecondaryRateLimit: () => true } }).request("GET /repos/{owner}/{repo}", repo);
    const [seconds] = onRateLimit.mock.calls[0] as unknown as [number];
    expect(seconds).toBeGreaterThan(2990);
  });

  it("ignores a 429 with retry-after whose message does not say 'secondary rate'; plugin-retry then resends it without reading retry-after", async () => {
    const onSecondaryRateLimit = jest.fn(() => true);
    const onRateLimit = jest.fn(() => true);
    const scope = nock(API).get("/repos/acme/api").times(4).reply(429, { message: "Too many requests" }, { "retry-after": "3600" });
    await expect(probotClient({ throttle: { onSecondaryRateLimit, onRateLimit } }).request("GET /repos/{owner}/{repo}", repo)).rejects.toMatchObject({ status: 429 });
    expect(scope.isDone()).toBe(true); // 4 requests, 1-9 ms apart here (1-9 s by default), not 3,600 s
    expect(onSecondaryRateLimit).not.toHaveBeenCalled();
    expect(onRateLimit).not.toHaveBeenCalled();
  });

  it("does not wait at all for a 403 with retry-after whose message does not say 'secondary rate'", async () => {
    nock(API).get("/repos/acme/api").reply(403, { message: "Forbidden" }, { "retry-after": "2" });
    await expect(probotClient().request("GET /repos/{owner}/{repo}", repo)).rejects.toMatchObject({ status: 403 });
  });

  it("when a handler declines a 429 secondary limit, plugin-retry still resends it three times", async () => {
    const scope = nock(API).get("/repos/acme/api").times(4).reply(429, secondary, { "retry-after": "60" });
    const declined = { onSecondaryRateLimit: () => false, onRateLimit: () => false };
    await expect(probotClient({ throttle: declined }).request("GET /repos/{owner}/{repo}", repo)).rejects.toMatchObject({ status: 429 });
    expect(scope.isDone()).toBe(true);
  });
});
