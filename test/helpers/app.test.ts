// FakeGitHub checks every request it answers against GitHub's API description: requests sent by a
// real Octokit, headers included, and fakes a test replaced midway are not forgotten.
import nock from "nock";
import { API, apiProblemsOfEveryFake, FakeGitHub, TestOctokit } from "./app.js";

const octokit = new TestOctokit({ auth: "ghs_test" });

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  apiProblemsOfEveryFake();
});
afterAll(() => nock.enableNetConnect());

test("a conformant request leaves no problem, and its headers are recorded", async () => {
  const github = new FakeGitHub().on("POST", "/repos/o/r/check-runs", 201, { id: 7 });
  await octokit.request("POST /repos/{owner}/{repo}/check-runs", { owner: "o", repo: "r", name: "Change Policy", head_sha: "abc" });
  expect(github.requests[0]?.headers?.["content-type"]).toMatch(/^application\/json/);
  expect(github.apiProblems()).toEqual([]);
});

test("non-conformant requests the fake answered are reported, from every fake made since the last check", async () => {
  // Octokit's types reject "passed" at compile time, but not bodies built loosely or routes as text.
  const first = new FakeGitHub().on("PATCH", "/repos/o/r/check-runs/7", 200, { id: 7 });
  await octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", { owner: "o", repo: "r", check_run_id: 7, conclusion: "passed" as never });
  const second = new FakeGitHub().on("GET", "/repos/o/r/check-run/7", 200, {});
  await octokit.request(`GET ${API}/repos/o/r/check-run/7`);

  expect(first.apiProblems()).toEqual([
    'PATCH /repos/o/r/check-runs/7: body/conclusion must be equal to one of the allowed values ("action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out")',
  ]);
  expect(second.apiProblems()).toEqual(["GET /repos/o/r/check-run/7: no such route in GitHub's REST API description"]);
  expect(apiProblemsOfEveryFake()).toEqual([...first.apiProblems(), ...second.apiProblems()]);
  expect(apiProblemsOfEveryFake()).toEqual([]);
});

test("a GraphQL query with an unknown field is reported", async () => {
  const github = new FakeGitHub().on("POST", "/graphql", 200, { data: { viewer: { login: "x" } } });
  await octokit.graphql("query { viewer { login nickname } }");
  expect(github.apiProblems()).toEqual(['POST /graphql: query: Cannot query field "nickname" on type "User". Did you mean "name"?']);
});
