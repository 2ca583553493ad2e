// Which failed check writes GitHub may have carried out, and how our run on a commit is found.
import nock from "nock";
import { findOurCheckRun, mayHaveBeenWritten } from "../../src/github/check-recovery.js";
import type { GitHubClient } from "../../src/github/client.js";
import { GitHubRateLimitError, GitHubTimeoutError } from "../../src/github/transient-errors.js";
import { expectGitHubSettled, FakeGitHub, TestOctokit } from "../helpers/app.js";

const status = (s: number) => Object.assign(new Error(`HTTP ${s}`), { status: s });
const timeout = new GitHubTimeoutError(15_000, "POST /repos/{owner}/{repo}/check-runs");

test.each<[string, unknown, boolean]>([
  ["502", status(502), true],
  ["500 (Octokit's status for a lost connection)", status(500), true],
  ["a timeout, wrapped as Octokit wraps what fetch throws", Object.assign(new Error("fetch failed"), { status: 500, cause: timeout }), true],
  ["a timeout", timeout, true],
  ["an error without a status", new Error("socket hang up"), true],
  ["422", status(422), false],
  ["403", status(403), false],
  ["404", status(404), false],
  ["a rate limit not waited out (429)", new GitHubRateLimitError("secondary", new Date(), 120_000, 60_000, status(429), 429), false],
])("%s: may have been written = %s", (_name, error, expected) => {
  expect(mayHaveBeenWritten(error)).toBe(expected);
});

describe("findOurCheckRun", () => {
  const SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
  const URL = `/repos/o/r/commits/${SHA}/check-runs?check_name=Change%20Policy&app_id=1`;
  const run = (id: number, appId: number, conclusion: string) => ({
    id, name: "Change Policy", head_sha: SHA, status: "completed", conclusion, app: { id: appId },
    output: { title: `run ${id}`, summary: "s", text: null, annotations_count: 0, annotations_url: "https://api.github.com/x" },
  });
  let github: FakeGitHub;
  beforeAll(() => nock.disableNetConnect());
  beforeEach(() => (github = new FakeGitHub()));
  afterEach(expectGitHubSettled);
  afterAll(() => nock.enableNetConnect());
  const octokit = () => new TestOctokit({ auth: "ghs_test" }) as unknown as GitHubClient;

  test("the newest run of our app, not another app's of the same name", async () => {
    github.on("GET", URL, 200, { total_count: 3, check_runs: [run(5, 1, "success"), run(9, 2, "failure"), run(8, 1, "failure")] });
    expect(await findOurCheckRun(octokit(), { owner: "o", repo: "r", headSha: SHA }, 1)).toEqual({ id: 8, status: "completed", conclusion: "failure", title: "run 8", summary: "s" });
  });

  test("none: null", async () => {
    github.on("GET", URL, 200, { total_count: 0, check_runs: [] });
    expect(await findOurCheckRun(octokit(), { owner: "o", repo: "r", headSha: SHA }, 1)).toBeNull();
  });
});
