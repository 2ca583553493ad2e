// Reading the linked register issue: one conditional REST GET, every answer turned into words.
import nock from "nock";
import { readRegisterIssue } from "../../src/github/register-issue.js";
import { expectGitHubSettled, FakeGitHub, TestOctokit } from "../helpers/app.js";

const REF = { owner: "acme", repo: "changes", number: 45 };
const URL = "/repos/acme/changes/issues/45";
const octokit = () => new TestOctokit({ auth: { token: "ghs_test" } } as never);
const issue = (overrides: Record<string, unknown> = {}) => ({
  number: 45,
  html_url: "https://github.com/acme/changes/issues/45",
  repository_url: "https://api.github.com/repos/acme/changes",
  state: "open",
  state_reason: null,
  labels: [{ name: "change-request" }, "q4"],
  body: "## Impact\nSmall.",
  ...overrides,
});

let github: FakeGitHub;
beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  github = new FakeGitHub();
});
afterEach(expectGitHubSettled);
afterAll(() => nock.enableNetConnect());

test("an issue: its state, labels (objects or names) and body", async () => {
  github.on("GET", URL, 200, issue({ state: "closed", state_reason: "completed" }));
  expect(await readRegisterIssue(octokit(), REF)).toEqual({
    ok: true,
    repository: "acme/changes",
    number: 45,
    url: "https://github.com/acme/changes/issues/45",
    state: "closed",
    stateReason: "completed",
    labels: ["change-request", "q4"],
    body: "## Impact\nSmall.",
    isPullRequest: false,
  });
});

test("a transferred issue answers from its new repository: it says where it went", async () => {
  github.on("GET", URL, 200, issue({ number: 9, repository_url: "https://api.github.com/repos/acme/attic", html_url: "https://github.com/acme/attic/issues/9" }));
  expect(await readRegisterIssue(octokit(), REF)).toMatchObject({ ok: true, repository: "acme/changes", number: 45, movedTo: "acme/attic#9" });
});

test.each([
  [404, { message: "Not Found" }, { ok: false, error: "not_found" }],
  [410, { message: "This issue was deleted" }, { ok: false, error: "not_found" }],
  [403, { message: "Resource not accessible by integration" }, { ok: false, error: "no_access", message: "Resource not accessible by integration" }],
])("%s is read as %j", async (status, body, expected) => {
  github.on("GET", URL, status, body);
  expect(await readRegisterIssue(octokit(), REF)).toMatchObject({ repository: "acme/changes", number: 45, ...expected });
});

test.each([
  [403, { message: "API rate limit exceeded for installation ID 2." }],
  [502, { message: "Bad Gateway" }],
])("%s is not a verdict about the link: it is thrown, and the check fails closed", async (status, body) => {
  github.on("GET", URL, status, body);
  await expect(readRegisterIssue(octokit(), REF)).rejects.toMatchObject({ status });
});
