// SPEC §9 "Register" end to end: editing a register issue re-evaluates the open pull requests whose
// description links it; an issue that cannot be a register issue costs no request.
import nock from "nock";
import type { Probot } from "probot";
import { clearMembershipCaches } from "../../src/github/membership.js";
import { expectGitHubSettled, examplePayload, FakeGitHub, testProbot } from "../helpers/app.js";
import { graphqlPull, HEAD } from "../helpers/graphql-pull.js";

const REPO = "/repos/Codertocat/Hello-World";
const CONFIG_URL = `${REPO}/contents/.github%2Fchange-policy.yml?ref=master`;
const POLICY = "register:\n  labels: [RFC]\n";
const RAW = { "content-type": "application/vnd.github.raw; charset=utf-8" };
const LINKED_BODY = "## Summary\nA documentation only change here.\n\nChange request: #1";
const ISSUE_BODY = "## Impact analysis\nNone: only the guide changes.\n";

let probot: Probot;
let github: FakeGitHub;

beforeAll(async () => {
  nock.disableNetConnect();
  probot = await testProbot();
});
beforeEach(() => {
  github = new FakeGitHub();
  clearMembershipCaches();
});
afterEach(expectGitHubSettled);
afterAll(() => nock.enableNetConnect());

function issueEdited(labels: string[], changes: Record<string, unknown> = { body: { from: "old" } }) {
  const payload = examplePayload("issues", "edited");
  payload.issue.labels = labels.map((name, i) => ({ id: i + 1, node_id: `L${i}`, url: "", name, color: "ededed", default: false, description: null }));
  payload.issue.body = ISSUE_BODY;
  payload.changes = changes;
  return { id: "issue-edit", name: "issues" as const, payload: payload as never };
}

const source = (number: number, body: string, state = "OPEN") => ({
  source: { number, state, body, baseRefName: "master", headRefOid: HEAD, repository: { name: "Hello-World", owner: { login: "Codertocat" } } },
});

function references() {
  const query = github.requests.find((r) => r.path === "/graphql");
  if (!query) throw new Error(`no query; requests: ${github.calls().join(", ")}`);
  return query.body as { query: string; variables: Record<string, unknown> };
}

test("an edited register issue: the open PR that links it is re-evaluated; mentions, closed PRs and issues are not", async () => {
  github.on("GET", CONFIG_URL, 200, POLICY, { ...RAW, etag: '"policy-r1"' });
  github.on("POST", "/graphql", 200, {
    data: {
      repository: {
        issue: {
          timelineItems: {
            pageInfo: { hasNextPage: false, endCursor: null },
            nodes: [source(2, LINKED_BODY), source(3, "Fixes #1 and more."), source(4, LINKED_BODY, "CLOSED"), { source: { number: 5 } }, {}],
          },
        },
      },
    },
  });
  // The evaluation of #2: the policy (a free 304), the PR, its register issue, the check.
  github.on("GET", CONFIG_URL, 304, "");
  github.on("POST", "/graphql", 200, graphqlPull({ files: ["docs/a.md"], body: LINKED_BODY, reviews: [{ author: "bob", state: "APPROVED" }] }));
  github.on("GET", `${REPO}/issues/1`, 200, {
    number: 1,
    title: "RFC: the guide",
    html_url: "https://github.com/Codertocat/Hello-World/issues/1",
    repository_url: "https://api.github.com/repos/Codertocat/Hello-World",
    state: "open",
    state_reason: null,
    labels: [{ name: "RFC" }],
    body: ISSUE_BODY,
    user: { login: "Codertocat", type: "User" },
  });
  github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });

  await probot.receive(issueEdited(["RFC"]));

  expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql", `GET ${CONFIG_URL}`, "POST /graphql", `GET ${REPO}/issues/1`, `POST ${REPO}/check-runs`]);
  const { query, variables } = references();
  expect(query).toContain("timelineItems(first: 100, after: $cursor, itemTypes: [CROSS_REFERENCED_EVENT])");
  expect(variables).toEqual({ owner: "Codertocat", repo: "Hello-World", number: 1, cursor: null });
  const evaluation = github.requests.filter((r) => r.path === "/graphql")[1]!.body as { variables: Record<string, unknown> };
  expect(evaluation.variables).toMatchObject({ number: 2 });
  const check = github.requests.find((r) => r.path.endsWith("/check-runs"))!.body as { conclusion: string; output: { summary: string } };
  expect(check.conclusion).toBe("success");
  expect(check.output.summary).toContain("[Codertocat/Hello-World#1](https://github.com/Codertocat/Hello-World/issues/1)");
});

test("an issue without any label, or an edit that leaves the body alone, costs no request", async () => {
  await probot.receive(issueEdited([]));
  await probot.receive(issueEdited(["RFC"], { title: { from: "Old title" } }));
  expect(github.calls()).toEqual([]);
});

test("an issue whose labels are not the register's costs only the policy read (a 304 when unchanged)", async () => {
  github.on("GET", CONFIG_URL, 304, "");
  await probot.receive(issueEdited(["bug"]));
  expect(github.calls()).toEqual([`GET ${CONFIG_URL}`]);
});

test("a register issue no open PR links: the timeline query and nothing else", async () => {
  github.on("GET", CONFIG_URL, 304, "");
  github.on("POST", "/graphql", 200, { data: { repository: { issue: { timelineItems: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [source(3, "See #1.")] } } } } });
  await probot.receive(issueEdited(["rfc"]));
  expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql"]);
});
