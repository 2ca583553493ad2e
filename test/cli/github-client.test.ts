import { generateKeyPairSync } from "node:crypto";
import nock from "nock";
import { apiBaseUrl, createGitHubClient, CredentialsError } from "../../src/cli/github-client.js";
import { FaultyFetch, ManualClock, settle } from "../helpers/fault-clock.js";
import { memoryIO } from "./memory-io.js";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PEM = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const repo = { full_name: "acme/api" };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("GitHub client of the CLI", () => {
  it("sends --token (or GITHUB_TOKEN) as `authorization: token ...` to api.github.com", async () => {
    const scope = nock("https://api.github.com", { reqheaders: { authorization: "token ghp_from_env" } })
      .get("/repos/acme/api")
      .reply(200, repo);
    const octokit = await createGitHubClient(memoryIO({ env: { GITHUB_TOKEN: "ghp_from_env" } }));
    await octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "api" });
    expect(scope.isDone()).toBe(true);

    const flag = nock("https://api.github.com", { reqheaders: { authorization: "token ghp_flag" } }).get("/repos/acme/api").reply(200, repo);
    const withFlag = await createGitHubClient(memoryIO({ env: { GITHUB_TOKEN: "ghp_from_env" } }), { token: "ghp_flag" });
    await withFlag.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "api" });
    expect(flag.isDone()).toBe(true);
  });

  it("uses the GitHub Enterprise Server API from GHE_HOST and GHE_PROTOCOL", async () => {
    expect(apiBaseUrl({ GHE_HOST: "github.acme.test" })).toBe("https://github.acme.test/api/v3");
    expect(apiBaseUrl({})).toBeUndefined();
    const scope = nock("http://github.acme.test", { reqheaders: { authorization: "token ghp_x" } })
      .get("/api/v3/repos/acme/api")
      .reply(200, repo);
    const octokit = await createGitHubClient(memoryIO({ env: { GITHUB_TOKEN: "ghp_x", GHE_HOST: "github.acme.test", GHE_PROTOCOL: "http" } }));
    await octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "api" });
    expect(scope.isDone()).toBe(true);
  });

  it("acts as the app's installation, looked up for the repository with the app's JWT", async () => {
    const scope = nock("https://github.acme.test/api/v3")
      .get("/repos/acme/api/installation")
      .matchHeader("authorization", /^bearer [\w-]+\.[\w-]+\.[\w-]+$/)
      .reply(200, { id: 77, account: { login: "acme" } })
      .post("/app/installations/77/access_tokens")
      .matchHeader("authorization", /^bearer /)
      .reply(201, { token: "ghs_installation", expires_at: "2099-01-01T00:00:00Z", permissions: {}, repository_selection: "all" })
      .get("/repos/acme/api")
      .matchHeader("authorization", "token ghs_installation")
      .reply(200, repo);
    const env = { APP_ID: "123", PRIVATE_KEY: PEM.replace(/\n/g, "\\n"), GHE_HOST: "github.acme.test" };
    const octokit = await createGitHubClient(memoryIO({ env }), { owner: "acme", repo: "api" });
    await octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "api" });
    expect(scope.isDone()).toBe(true);
  });

  it("uses a given installation id without looking it up", async () => {
    const scope = nock("https://api.github.com")
      .post("/app/installations/99/access_tokens")
      .reply(201, { token: "ghs_99", expires_at: "2099-01-01T00:00:00Z", permissions: {}, repository_selection: "all" })
      .get("/repos/acme/api")
      .matchHeader("authorization", "token ghs_99")
      .reply(200, repo);
    const octokit = await createGitHubClient(memoryIO({ env: { APP_ID: "123", PRIVATE_KEY: PEM } }), { installationId: 99 });
    await octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "api" });
    expect(scope.isDone()).toBe(true);
  });

  it("says plainly when the app is not installed on the repository", async () => {
    nock("https://api.github.com").get("/repos/acme/api/installation").reply(404, { message: "Not Found" });
    await expect(createGitHubClient(memoryIO({ env: { APP_ID: "123", PRIVATE_KEY: PEM } }), { owner: "acme", repo: "api" })).rejects.toThrow(
      new CredentialsError("The app (APP_ID 123) is not installed on acme/api; install it there or pass --token."),
    );
  });

  it("says which credentials are missing", async () => {
    await expect(createGitHubClient(memoryIO({ env: {} }))).rejects.toThrow(
      "No GitHub credentials: pass --token (or set GITHUB_TOKEN), or set APP_ID and PRIVATE_KEY / PRIVATE_KEY_PATH to act as the app.",
    );
    await expect(createGitHubClient(memoryIO({ env: { APP_ID: "1" } }))).rejects.toThrow("APP_ID is set but neither PRIVATE_KEY nor PRIVATE_KEY_PATH is.");
  });

  it("waits out a rate limit and retries, telling the user on stderr", async () => {
    const clock = new ManualClock();
    const faults = new FaultyFetch();
    const reset = Math.ceil(clock.now() / 1000) + 1;
    const scope = nock("https://api.github.com")
      .get("/repos/acme/api")
      .reply(403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) })
      .get("/repos/acme/api")
      .reply(200, repo);
    const io = memoryIO({ env: { GITHUB_TOKEN: "ghp_x" } });
    const octokit = await createGitHubClient(io, { resilience: { clock }, request: { fetch: faults.fetch } });
    const res = await settle(octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "api" }), clock, faults);
    expect(res.data).toEqual(repo);
    expect(scope.isDone()).toBe(true);
    expect(io.stderr[0]).toMatch(/^GitHub rate limit reached \(GET \/repos\/{owner}\/{repo}\); waiting \d+ s before retrying\.$/);
  });

  it("retries a server error", async () => {
    const clock = new ManualClock();
    const faults = new FaultyFetch();
    const scope = nock("https://api.github.com").get("/repos/acme/api").reply(502, "bad gateway").get("/repos/acme/api").reply(200, repo);
    const io = memoryIO({ env: { GITHUB_TOKEN: "ghp_x" } });
    const octokit = await createGitHubClient(io, { resilience: { clock }, request: { fetch: faults.fetch } });
    const res = await settle(octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "api" }), clock, faults);
    expect(res.data).toEqual(repo);
    expect(scope.isDone()).toBe(true);
    expect(io.stderr).toEqual(["GitHub answered 502 (GET /repos/{owner}/{repo}); retrying in 1 s."]);
  });

  describe("long runs (audit, sweep) survive hung requests and long rate limits", () => {
    it("a request GitHub does not answer is abandoned after 15 s and retried, saying so on stderr", async () => {
      const clock = new ManualClock();
      const faults = new FaultyFetch().hang("GET", "/repos/acme/api");
      const scope = nock("https://api.github.com").get("/repos/acme/api").reply(200, repo);
      const io = memoryIO({ env: { GITHUB_TOKEN: "ghp_x" } });
      const octokit = await createGitHubClient(io, { resilience: { clock }, request: { fetch: faults.fetch } });
      const res = await settle(octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "api" }), clock, faults);
      expect(res.data).toEqual(repo);
      expect(scope.isDone()).toBe(true);
      expect(io.stderr).toEqual(["GitHub did not answer in time (GET /repos/{owner}/{repo}); retrying in 1 s."]);
    });

    it("waits 50 minutes for the hourly limit to reset (the server would fail closed instead)", async () => {
      const clock = new ManualClock();
      const faults = new FaultyFetch();
      const reset = Math.floor(clock.now() / 1000) + 50 * 60;
      const scope = nock("https://api.github.com")
        .get("/repos/acme/api")
        .reply(403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) })
        .get("/repos/acme/api")
        .reply(200, repo);
      const io = memoryIO({ env: { GITHUB_TOKEN: "ghp_x" } });
      const octokit = await createGitHubClient(io, { resilience: { clock }, request: { fetch: faults.fetch } });
      await settle(octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "api" }), clock, faults);
      expect(scope.isDone()).toBe(true);
      expect(io.stderr).toEqual(["GitHub rate limit reached (GET /repos/{owner}/{repo}); waiting 50 min before retrying."]);
    });

    it("fails with the reset time when even the CLI's wait (65 min) is too short", async () => {
      const clock = new ManualClock();
      const faults = new FaultyFetch();
      const reset = Math.floor(clock.now() / 1000) + 3 * 3600;
      nock("https://api.github.com").get("/repos/acme/api").reply(403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) });
      const octokit = await createGitHubClient(memoryIO({ env: { GITHUB_TOKEN: "ghp_x" } }), { resilience: { clock }, request: { fetch: faults.fetch } });
      await expect(settle(octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "api" }), clock, faults)).rejects.toThrow(
        "GitHub's primary rate limit asks to wait 3 h (until 2026-11-24T15:00:01.000Z), longer than the 65 min the app waits",
      );
    });
  });
});
