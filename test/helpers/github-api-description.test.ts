// The conformance checker must be able to fail: each case is a request GitHub would reject or
// silently mishandle, next to the well-formed request the app actually sends.
import { checkRequest, descriptionLoadMs } from "./github-api-description.js";

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };
const CHECK_RUN = {
  name: "Change Policy",
  head_sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
  status: "completed",
  conclusion: "failure",
  completed_at: "2026-11-24T12:00:00.000Z",
  output: { title: "Normal change: 1 requirement missing", summary: "…" },
  actions: [{ label: "Re-evaluate", description: "Evaluate the policy again now", identifier: "re-evaluate" }],
};
const without = (o: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));
const createCheckRun = (body: unknown) => checkRequest({ method: "POST", path: "/repos/o/r/check-runs", headers: JSON_HEADERS, body });

describe("REST requests", () => {
  test("the requests the app sends conform, and the description loads in reasonable time", () => {
    expect(createCheckRun(CHECK_RUN)).toEqual([]);
    expect(checkRequest({ method: "PATCH", path: "/repos/o/r/check-runs/7", headers: JSON_HEADERS, body: CHECK_RUN })).toEqual([
      "PATCH /repos/o/r/check-runs/7: body/head_sha is not a documented field",
    ]);
    expect(checkRequest({ method: "GET", path: "/repos/o/r/contents/.github%2Fchange-policy.yml?ref=main" })).toEqual([]);
    expect(checkRequest({ method: "GET", path: "/repos/o/r/contents/.github/change-policy.yml" })).toEqual([]);
    expect(checkRequest({ method: "GET", path: "/orgs/o/teams/t/members?per_page=100" })).toEqual([]);
    expect(checkRequest({ method: "GET", path: "/repos/o/r/collaborators/bob/permission" })).toEqual([]);
    expect(checkRequest({ method: "POST", path: "/app/installations/2/access_tokens" })).toEqual([]);
    // Literal segments win over parameters: this is "list review comments", not pull number "comments".
    expect(checkRequest({ method: "GET", path: "/repos/o/r/pulls/comments?sort=created" })).toEqual([]);
    expect(descriptionLoadMs()).toBeGreaterThan(0);
    expect(descriptionLoadMs()).toBeLessThan(5000);
  });

  test("an unknown route or method is reported", () => {
    expect(checkRequest({ method: "GET", path: "/repos/o/r/check-run/7" })).toEqual([
      "GET /repos/o/r/check-run/7: no such route in GitHub's REST API description",
    ]);
    expect(checkRequest({ method: "PUT", path: "/repos/o/r/check-runs/7" })).toEqual([
      "PUT /repos/o/r/check-runs/7: /repos/{owner}/{repo}/check-runs/{check_run_id} has no PUT operation (documented: GET, PATCH)",
    ]);
  });

  test("bad path and query parameters are reported", () => {
    expect(checkRequest({ method: "GET", path: "/repos/o/r/check-runs/seven" })).toEqual([
      'GET /repos/o/r/check-runs/seven: path parameter check_run_id="seven" must be integer',
    ]);
    expect(checkRequest({ method: "GET", path: "/orgs/o/teams/t/members?per_page=500&role=boss&page_size=1" })).toEqual([
      "GET /orgs/o/teams/t/members?per_page=500&role=boss&page_size=1: query parameter per_page=500 is over GitHub's maximum of 100",
      'GET /orgs/o/teams/t/members?per_page=500&role=boss&page_size=1: query parameter role="boss" must be equal to one of the allowed values ("member", "maintainer", "all")',
      "GET /orgs/o/teams/t/members?per_page=500&role=boss&page_size=1: query parameter page_size is not documented for GET /orgs/{org}/teams/{team_slug}/members",
    ]);
    expect(checkRequest({ method: "GET", path: "/search/issues" })).toEqual(["GET /search/issues: required query parameter q is missing"]);
  });

  test("a check run with conclusion `passed` is reported", () => {
    expect(createCheckRun({ ...CHECK_RUN, conclusion: "passed" })).toEqual([
      'POST /repos/o/r/check-runs: body/conclusion must be equal to one of the allowed values ("action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out")',
    ]);
  });

  test("formats are checked: completed_at must be a date-time", () => {
    expect(createCheckRun({ ...CHECK_RUN, completed_at: "yesterday" })).toEqual([
      'POST /repos/o/r/check-runs: body/completed_at must match format "date-time"',
    ]);
  });

  test("check run limits: action label ≤ 20, description ≤ 40, identifier ≤ 20, at most 3 actions", () => {
    const action = { label: "Re-evaluate the policy", description: "Evaluate the policy again now, right away", identifier: "re-evaluate-the-policy" };
    expect(createCheckRun({ ...CHECK_RUN, actions: [action, action, action, action] })).toEqual(
      expect.arrayContaining([
        "POST /repos/o/r/check-runs: body/actions must NOT have more than 3 items",
        "POST /repos/o/r/check-runs: body/actions/0/label must NOT have more than 20 characters",
        "POST /repos/o/r/check-runs: body/actions/0/description must NOT have more than 40 characters",
        "POST /repos/o/r/check-runs: body/actions/0/identifier must NOT have more than 20 characters",
      ]),
    );
    expect(createCheckRun({ ...CHECK_RUN, output: { title: "t", summary: "x".repeat(65536) } })).toEqual([
      "POST /repos/o/r/check-runs: body/output/summary must NOT have more than 65535 characters",
    ]);
  });

  test("missing required fields, undocumented fields, a body GitHub takes none for, and prose-only rules are reported", () => {
    expect(createCheckRun(without(CHECK_RUN, "head_sha"))).toEqual(["POST /repos/o/r/check-runs: body must have required property 'head_sha'"]);
    expect(createCheckRun({ ...CHECK_RUN, output: { ...CHECK_RUN.output, titel: "x" } })).toEqual([
      "POST /repos/o/r/check-runs: body/output/titel is not a documented field",
    ]);
    expect(createCheckRun(without(CHECK_RUN, "conclusion"))).toEqual([
      "POST /repos/o/r/check-runs: body: a check run that is completed (status or completed_at) must have a conclusion",
    ]);
    expect(createCheckRun(undefined)).toEqual(["POST /repos/o/r/check-runs: POST /repos/{owner}/{repo}/check-runs requires a request body, but none was sent"]);
    expect(checkRequest({ method: "GET", path: "/repos/o/r/check-runs/7", body: { x: 1 } })).toEqual([
      "GET /repos/o/r/check-runs/7: GET /repos/{owner}/{repo}/check-runs/{check_run_id} takes no request body, but one was sent",
    ]);
    expect(checkRequest({ method: "POST", path: "/repos/o/r/check-runs", headers: { "content-type": "text/plain" }, body: "hi" })).toEqual([
      "POST /repos/o/r/check-runs: content-type text/plain is not accepted (documented: application/json)",
    ]);
  });

  test("nullable fields accept null (OpenAPI 3.0 `nullable`) and reject other types", () => {
    const issue = (milestone: unknown) => checkRequest({ method: "PATCH", path: "/repos/o/r/issues/1", headers: JSON_HEADERS, body: { milestone } });
    expect(issue(null)).toEqual([]);
    expect(issue(3)).toEqual([]);
    expect(issue(true)).not.toEqual([]);
  });
});

describe("GraphQL requests", () => {
  const QUERY = "query($owner: String!, $name: String!, $number: Int!) { repository(owner: $owner, name: $name) { pullRequest(number: $number) { title } } }";
  const graphql = (body: unknown) => checkRequest({ method: "POST", path: "/graphql", headers: JSON_HEADERS, body });

  test("a valid query with all its variables conforms", () => {
    expect(graphql({ query: QUERY, variables: { owner: "o", name: "r", number: 2 } })).toEqual([]);
  });

  test("an unknown field is reported", () => {
    expect(graphql({ query: QUERY.replace("title", "headline"), variables: { owner: "o", name: "r", number: 2 } })).toEqual([
      'POST /graphql: query: Cannot query field "headline" on type "PullRequest". Did you mean "headRef" or "timeline"?',
    ]);
  });

  test("a non-null variable left out, a variable of the wrong type, and an undeclared variable are reported", () => {
    expect(graphql({ query: QUERY, variables: { owner: "o", number: "2", extra: 1 } })).toEqual([
      "POST /graphql: variable $extra is sent but the query does not declare it",
      'POST /graphql: variables: Variable "$name" of required type "String!" was not provided.',
      'POST /graphql: variables: Variable "$number" got invalid value "2"; Int cannot represent non-integer value: "2"',
    ]);
  });

  test("GitHub's resource limits: first/last on every connection, 1 to 100, at most 500,000 nodes", () => {
    const pull = (connections: string, variables: Record<string, unknown> = {}) =>
      graphql({
        query: `query($owner: String!, $name: String!${connections.includes("$n") ? ", $n: Int" : ""}) { repository(owner: $owner, name: $name) { ${connections} } }`,
        variables: { owner: "o", name: "r", ...variables },
      });
    expect(pull("pullRequests(first: 100) { nodes { files(first: 50) { nodes { path } } } }")).toEqual([]);
    expect(pull("pullRequests { totalCount }")).toEqual(["POST /graphql: connection pullRequests needs a `first` or `last` argument"]);
    expect(pull("pullRequests(first: 101) { totalCount }")).toEqual(["POST /graphql: connection pullRequests asks for 101 records; GitHub allows 1 to 100"]);
    expect(pull("pullRequests(last: $n) { totalCount }", { n: 0 })).toEqual(["POST /graphql: connection pullRequests asks for 0 records; GitHub allows 1 to 100"]);
    expect(pull("pullRequests(first: 100) { nodes { reviews(first: 100) { nodes { comments(first: 100) { nodes { id } } } } } }")).toEqual([
      "POST /graphql: query can return 1010100 nodes; GitHub allows at most 500000",
    ]);
  });

  test("the limits are checked inside named fragments too, where they are spread", () => {
    const query = (inner: string) => ({
      query: `query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { pullRequests(first: 100) { nodes { ...Outer } } } }
        fragment Outer on PullRequest { reviews(first: 100) { nodes { ...Inner } } }
        fragment Inner on PullRequestReview { ${inner} }`,
      variables: { owner: "o", name: "r" },
    });
    expect(graphql(query("comments(first: 1) { nodes { id } }"))).toEqual([]);
    expect(graphql(query("comments { nodes { id } }"))).toContain("POST /graphql: connection comments needs a `first` or `last` argument");
    expect(graphql(query("comments(first: 100) { nodes { id } }"))).toEqual(["POST /graphql: query can return 1010100 nodes; GitHub allows at most 500000"]);
  });

  test("a query that does not parse, or no query at all, is reported", () => {
    expect(graphql({ query: "query { repository(" })).toEqual([expect.stringContaining("POST /graphql: query does not parse: Syntax Error")]);
    expect(graphql({ variables: {} })).toEqual(["POST /graphql: body must be a JSON object with a `query` string"]);
  });
});
