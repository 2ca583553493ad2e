// The membership caches' lifetime and the ETag cache's budget are set by the server from its parsed
// settings (MEMBERSHIP_CACHE_SECONDS, ETAG_CACHE_MB); commands and tests that never set them get the
// defaults (300 s, 64 MB). Nothing is read from the environment when the modules load.
import nock from "nock";
import { ProbotOctokit } from "probot";
import { configureConditionalRequests, DEFAULT_ETAG_CACHE_MB, useConditionalRequests } from "../../src/github/conditional-requests.js";
import { clearMembershipCaches, configureMembershipCache, DEFAULT_MEMBERSHIP_CACHE_SECONDS, memberCache, membershipClock } from "../../src/github/membership.js";
import { expectGitHubSettled, FakeGitHub } from "../helpers/app.js";

const FILE_URL = "/repos/acme/app/contents/big.txt";

beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  clearMembershipCaches();
  membershipClock.offsetMs = 0;
});
afterEach(() => {
  configureMembershipCache(DEFAULT_MEMBERSHIP_CACHE_SECONDS);
  configureConditionalRequests(DEFAULT_ETAG_CACHE_MB);
  clearMembershipCaches();
  membershipClock.offsetMs = 0;
});
afterAll(() => nock.enableNetConnect());

describe("the membership caches' lifetime", () => {
  test("is 5 minutes until configured", () => {
    memberCache.set("acme/leads", ["carol"]);
    membershipClock.offsetMs = 299_000;
    expect(memberCache.get("acme/leads")).toEqual(["carol"]);
    membershipClock.offsetMs = 301_000;
    expect(memberCache.get("acme/leads")).toBeUndefined();
  });

  test("follows configureMembershipCache(seconds)", () => {
    configureMembershipCache(60);
    memberCache.set("acme/leads", ["carol"]);
    membershipClock.offsetMs = 59_000;
    expect(memberCache.get("acme/leads")).toEqual(["carol"]);
    membershipClock.offsetMs = 61_000;
    expect(memberCache.get("acme/leads")).toBeUndefined();
  });

  test("0 seconds caches nothing: a removed member stops counting at once", () => {
    configureMembershipCache(0);
    memberCache.set("acme/leads", ["carol"]);
    membershipClock.offsetMs = 2;
    expect(memberCache.get("acme/leads")).toBeUndefined();
  });
});

describe("the ETag cache's budget", () => {
  afterEach(expectGitHubSettled);

  /** Reads a 1.5 MB file twice; says whether the second read was conditional (If-None-Match sent). */
  async function secondReadIsConditional(): Promise<boolean> {
    const octokit = new ProbotOctokit({ auth: { token: "t" }, retry: { enabled: false }, throttle: { enabled: false } });
    useConditionalRequests(octokit, "1");
    const big = "x".repeat(1.5 * 1024 * 1024);
    const github = new FakeGitHub();
    github.on("GET", FILE_URL, 200, big, { "content-type": "text/plain", etag: '"v1"' });
    await octokit.request(`GET ${FILE_URL}`);
    let conditional = false;
    github.scope
      .get(FILE_URL)
      .reply(function () {
        conditional = this.req.headers["if-none-match"] === '"v1"';
        return conditional ? [304, ""] : [200, big, { "content-type": "text/plain" }];
      });
    const second = await octokit.request(`GET ${FILE_URL}`);
    expect(second.data).toBe(big);
    return conditional;
  }

  test("64 MB until configured: a 1.5 MB answer is remembered and asked for again with its ETag", async () => {
    expect(await secondReadIsConditional()).toBe(true);
  });

  test("follows configureConditionalRequests(mb): with 1 MB, a 1.5 MB answer is not remembered", async () => {
    configureConditionalRequests(1);
    expect(await secondReadIsConditional()).toBe(false);
  });
});
