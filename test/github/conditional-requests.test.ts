// Conditional requests through the real app: the policy file is re-read with If-None-Match, and so
// are the members of a team too big for the evaluation's query (more than 100: read over REST and
// cached); a 304 reuses the remembered answer and is not counted against the rate limit. A removed
// CTO stops counting at the next evaluation (the query returns the team's members each time), or,
// for a team read over REST, once the membership cache expires (5 minutes).
import nock from "nock";
import { etagCache } from "../../src/github/conditional-requests.js";
import { clearMembershipCaches, membershipClock } from "../../src/github/membership.js";
import { API, expectGitHubSettled, examplePayload, FakeGitHub, testApp, type TestApp } from "../helpers/app.js";
import { COMPLETE_BODY, graphqlPull } from "../helpers/graphql-pull.js";

const CONFIG = "groups:\n  cto-ciso: { users: [], teams: [Codertocat/security-leads] }\n";
const CONFIG_URL = "/repos/Codertocat/Hello-World/contents/.github%2Fchange-policy.yml?ref=master";
const TEAM_URL = "/orgs/codertocat/teams/security-leads/members?per_page=100";
const RAW = { "content-type": "application/vnd.github.raw; charset=utf-8" };
const limits = (remaining: number) => ({ "x-ratelimit-limit": "5000", "x-ratelimit-remaining": String(remaining), "x-ratelimit-reset": "4102444800", "x-ratelimit-resource": "core" });

let t: TestApp;
let github: FakeGitHub;

beforeAll(async () => {
  nock.disableNetConnect();
  t = await testApp();
});
beforeEach(() => {
  github = new FakeGitHub();
  clearMembershipCaches();
  etagCache.clear();
  membershipClock.offsetMs = 0;
});
afterEach(expectGitHubSettled);
afterAll(() => {
  membershipClock.offsetMs = 0;
  nock.enableNetConnect();
});

async function evaluate() {
  const before = { ...t.budget.totals };
  await t.probot.receive({ id: "d", name: "pull_request", payload: examplePayload("pull_request", "opened") as never });
  await t.app.background.idle();
  return { requests: t.budget.totals.requests - before.requests, counted: t.budget.totals.counted - before.counted, notModified: t.budget.totals.notModified - before.notModified };
}

/**
 * A normal change with everything, approved by a peer and by carol; the CTO team's members as the
 * query returns them (default: carol; `bigTeam`: cut at 100, the rest is read over REST).
 */
function pull(check: { title: string; summary: string; conclusion: string } | null = null, team: { members?: string[]; bigTeam?: boolean } = {}) {
  return graphqlPull({
    files: ["package.json"],
    body: COMPLETE_BODY,
    reviews: [
      { author: "bob", state: "APPROVED" },
      { author: "carol", state: "APPROVED" },
    ],
    check: check ? { id: 7, ...check } : null,
    teams: [team.members ?? ["carol"]],
    teamsHasNextPage: team.bigTeam ?? false,
  });
}

const HUNDRED = Array.from({ length: 100 }, (_, i) => ({ login: `member${i}` }));
const TEAM_PAGE_2 = `${TEAM_URL}&page=2`;
const nextPage = { link: `<${API}${TEAM_PAGE_2}>; rel="next"` };

function lastCheck() {
  return github.requests.filter((r) => r.path.includes("/check-runs")).at(-1)!.body;
}

test("a warm re-evaluation sends the policy file's ETag back; the 304 is free, so it costs 1 counted request", async () => {
  github.on("GET", CONFIG_URL, 200, CONFIG, { ...RAW, etag: '"config-v1"', ...limits(4990) });
  github.on("POST", "/graphql", 200, pull());
  github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
  const cold = await evaluate();
  const first = lastCheck();
  expect(first.conclusion).toBe("success");
  // Every request answered (the installation token's included, on the first delivery) was counted.
  expect(cold).toEqual({ requests: github.requests.length, counted: github.requests.length, notModified: 0 });
  expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql", "POST /repos/Codertocat/Hello-World/check-runs"]);
  expect(t.budget.snapshot()).toContainEqual(expect.objectContaining({ installation: "2", resource: "core", remaining: 4990, limit: 5000 }));

  github = new FakeGitHub();
  github.scope.get(CONFIG_URL).matchHeader("if-none-match", '"config-v1"').reply(304, "", limits(4989));
  github.on("POST", "/graphql", 200, pull({ conclusion: "SUCCESS", title: first.output.title, summary: first.output.summary }));
  const evaluationsBefore = structuredClone(t.budget.evaluations);
  const warm = await evaluate();
  expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql"]);
  expect(warm).toEqual({ requests: 2, counted: 1, notModified: 1 });
  // The same numbers are what the evaluation reports as its own spending (for logs and metrics).
  expect(t.budget.evaluations.count - evaluationsBefore.count).toBe(1);
  expect(t.budget.evaluations.spent.counted - evaluationsBefore.spent.counted).toBe(1);
  expect(t.budget.evaluations.spent.writes - evaluationsBefore.spent.writes).toBe(0);
});

test("a changed policy file is read in full despite the remembered ETag", async () => {
  github.on("GET", CONFIG_URL, 200, "classes:\n  standard:\n    approvals: []\n", { ...RAW, etag: '"v1"' });
  github.on("POST", "/graphql", 200, graphqlPull({ files: ["docs/a.md"], body: "## Summary\nA documentation only change here." }));
  github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
  await evaluate();
  expect(lastCheck().output.title).toBe("Standard change: all requirements met");

  github = new FakeGitHub();
  github.scope.get(CONFIG_URL).matchHeader("if-none-match", '"v1"').reply(200, "classes:\n  standard:\n    approvals: [{ count: 1 }]\n", { ...RAW, etag: '"v2"' });
  github.on("POST", "/graphql", 200, graphqlPull({ files: ["docs/a.md"], body: "## Summary\nA documentation only change here." }));
  github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 8 });
  await evaluate();
  expect(lastCheck().output.title).toBe("Standard change: 1 of 2 requirements missing");
});

test("a CTO removed from the team stops counting at the next evaluation: the query returns the team's members every time", async () => {
  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
  github.on("POST", "/graphql", 200, pull());
  github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
  await evaluate();
  const passed = lastCheck();
  expect(passed.conclusion).toBe("success");

  // Carol leaves the team; a minute later the PR is evaluated again. No cache stands in the way.
  membershipClock.offsetMs = 60_000;
  github = new FakeGitHub();
  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
  github.on("POST", "/graphql", 200, pull({ conclusion: "SUCCESS", title: passed.output.title, summary: passed.output.summary }, { members: [] }));
  github.on("PATCH", "/repos/Codertocat/Hello-World/check-runs/7", 200, { id: 7 });
  await evaluate();
  expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql", "PATCH /repos/Codertocat/Hello-World/check-runs/7"]);
  const after = lastCheck();
  expect(after.conclusion).toBe("failure");
  expect(after.output.summary).toContain("- ❌ **1 approval from cto-ciso**: has 0 of 1");
});

test("a CTO removed from a team of more than 100 (read over REST) stops counting once the 5-minute cache expires", async () => {
  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
  github.on("POST", "/graphql", 200, pull(null, { members: HUNDRED.map((m) => m.login), bigTeam: true }));
  github.on("GET", TEAM_URL, 200, HUNDRED, { ...nextPage, etag: '"team-v1"' });
  github.on("GET", TEAM_PAGE_2, 200, [{ login: "carol" }], { etag: '"team-v1-p2"' });
  github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
  await evaluate();
  const passed = lastCheck();
  expect(passed.conclusion).toBe("success");

  // Carol leaves the team. Within the cache's lifetime the cached list is used (no request)...
  membershipClock.offsetMs = 4 * 60_000;
  github = new FakeGitHub();
  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
  github.on("POST", "/graphql", 200, pull({ conclusion: "SUCCESS", title: passed.output.title, summary: passed.output.summary }, { members: HUNDRED.map((m) => m.login), bigTeam: true }));
  await evaluate();
  expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql"]);

  // ... and after 5 minutes the list is asked again (conditionally); GitHub answers with the new one.
  membershipClock.offsetMs = 5 * 60_000 + 1_000;
  github = new FakeGitHub();
  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
  github.on("POST", "/graphql", 200, pull({ conclusion: "SUCCESS", title: passed.output.title, summary: passed.output.summary }, { members: HUNDRED.map((m) => m.login), bigTeam: true }));
  github.scope.get(TEAM_URL).matchHeader("if-none-match", '"team-v1"').reply(200, HUNDRED, { ...nextPage, etag: '"team-v2"' });
  github.scope.get(TEAM_PAGE_2).matchHeader("if-none-match", '"team-v1-p2"').reply(200, [{ login: "erin" }], { etag: '"team-v2-p2"' });
  github.on("PATCH", "/repos/Codertocat/Hello-World/check-runs/7", 200, { id: 7 });
  await evaluate();
  expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql", `GET ${TEAM_URL}`, `GET ${TEAM_PAGE_2}`, "PATCH /repos/Codertocat/Hello-World/check-runs/7"]);
  const after = lastCheck();
  expect(after.conclusion).toBe("failure");
  expect(after.output.summary).toContain("- ❌ **1 approval from cto-ciso**: has 0 of 1");
});

test("answers are remembered per installation and media type", async () => {
  expect(API).toBe("https://api.github.com");
  github.on("POST", "/graphql", 200, graphqlPull({ files: ["docs/a.md"] }));
  github.on("GET", CONFIG_URL, 200, "classes:\n  standard:\n    approvals: []\n", { ...RAW, etag: '"v1"' });
  github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
  await evaluate();
  expect([...etagCache.keys()]).toEqual([`2|application/vnd.github.raw|${API}${CONFIG_URL}`]);
});
