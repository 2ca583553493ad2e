// SPEC §9 end to end: a real delivery through Probot, GitHub faked with nock (every request checked
// against GitHub's API description), the `Change Policy` check as the author sees it.
import nock from "nock";
import type { Probot } from "probot";
import { clearMembershipCaches } from "../../src/github/membership.js";
import { expectGitHubSettled, examplePayload, FakeGitHub, testProbot } from "../helpers/app.js";
import { BASE, COMPLETE_BODY, graphqlPull, HEAD, type CheckFixture, type PullFixture } from "../helpers/graphql-pull.js";

const REPO = "/repos/Codertocat/Hello-World";
const CONFIG_URL = `${REPO}/contents/.github%2Fchange-policy.yml?ref=master`;
const GROUPS = "groups:\n  cto-ciso: { users: [alice] }\n";
const CHECK_SHA = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";

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

function prOpened(id = "delivery-1") {
  return { id, name: "pull_request" as const, payload: examplePayload("pull_request", "opened") as never };
}

/**
 * The policy at the base the event names (master), then the one query (whose reviews say whether
 * each reviewer can push: `canPush`, true unless a fixture says otherwise), then the check write.
 */
function setup(pull: PullFixture, config: string) {
  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", config, "master");
  github.on("POST", "/graphql", 200, graphqlPull(pull));
}

function check() {
  const write = github.requests.find((r) => r.method !== "GET" && r.path.includes("/check-runs"));
  if (!write) throw new Error(`no check written; requests: ${github.calls().join(", ")}`);
  return write.body as { conclusion: string; output: { title: string; summary: string } };
}

/** A normal change with its Request for Change and a peer's and the CTO's approval. */
const approvedNormal = (overrides: PullFixture = {}): PullFixture => ({
  files: ["package.json"],
  body: COMPLETE_BODY,
  reviews: [
    { author: "bob", state: "APPROVED" },
    { author: "alice", state: "APPROVED" },
  ],
  ...overrides,
});

describe("independent approvals", () => {
  test("the CTO committed to the PR: their approval does not count, and the summary says why", async () => {
    setup(
      approvedNormal({
        commits: [
          { sha: "0".repeat(40), author: "Codertocat" },
          { sha: CHECK_SHA, author: "Codertocat", committer: "alice", parents: ["0".repeat(40)] },
        ],
      }),
      GROUPS,
    );
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(prOpened());

    // Who may push came with the reviews in the query: no permission is asked over REST.
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql", `POST ${REPO}/check-runs`]);
    expect(check().conclusion).toBe("failure");
    expect(check().output.title).toBe("Normal change: 1 of 7 requirements missing");
    expect(check().output.summary).toContain(
      "- @alice's approval does not count: @alice committed 1a2b3c4 to this pull request; an approval must come from someone who neither authored nor committed the change.",
    );
    expect(check().output.summary).toContain("- ❌ **1 approval from cto-ciso**: has 0 of 1; no member of `cto-ciso` other than the author and those who wrote its commits (@alice) can approve (@alice)");
  });

  test("the CTO only pressed “Update branch” (a merge of the base branch): their approval counts", async () => {
    setup(
      approvedNormal({
        commits: [
          { sha: "0".repeat(40), author: "Codertocat" },
          { sha: HEAD, author: "alice", committer: "web-flow", parents: ["0".repeat(40), BASE] },
        ],
      }),
      GROUPS,
    );
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(prOpened());
    expect(check().conclusion).toBe("success");
    expect(check().output.summary).toContain("- ✅ **1 approval from cto-ciso**: approved by @alice");
  });

  test("a PR with more than 100 commits: the older page is one more query, and a co-author found there does not count", async () => {
    const recent = Array.from({ length: 100 }, (_, i) => ({ sha: `${String(i).padStart(2, "0")}${"c".repeat(38)}`, author: "Codertocat" }));
    setup(approvedNormal({ commits: recent, commitCount: 101, commitsStartCursor: "Y3Vyc29yOjE=" }), GROUPS);
    github.on("POST", "/graphql", 200, {
      data: {
        repository: {
          pullRequest: {
            commits: {
              pageInfo: { hasPreviousPage: false, startCursor: "Y3Vyc29yOjA=" },
              nodes: [
                {
                  commit: {
                    oid: "d".repeat(40),
                    author: { name: "Codertocat", email: "c@example.com", user: { login: "Codertocat" } },
                    committer: { name: "Codertocat", email: "c@example.com", user: { login: "Codertocat" } },
                    authors: {
                      totalCount: 2,
                      nodes: [
                        { name: "Codertocat", email: "c@example.com", user: { login: "Codertocat" } },
                        { name: "Alice", email: "alice@example.com", user: { login: "alice" } },
                      ],
                    },
                    parents: { totalCount: 1, nodes: [{ oid: BASE }] },
                  },
                },
              ],
            },
          },
        },
      },
    });
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(prOpened());

    const page = github.requests.filter((r) => r.path === "/graphql")[1]!.body;
    expect(page.query).toContain("query PullCommitsPage");
    expect(page.variables).toEqual({ owner: "Codertocat", repo: "Hello-World", number: 2, before: "Y3Vyc29yOjE=" });
    expect(check().output.summary).toContain("@alice's approval does not count: @alice co-authored ddddddd in this pull request");
  });
});

describe("change freezes", () => {
  const FREEZE = `${GROUPS}freezes:\n  - name: Black Friday freeze\n    from: 2026-11-20T00:00:00Z\n    until: 2026-12-01T00:00:00+01:00\n`;

  test("a normal change that meets every requirement fails during the freeze; the title names it, the summary the way out", async () => {
    setup(approvedNormal(), FREEZE);
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(prOpened());
    expect(check().conclusion).toBe("failure");
    expect(check().output.title).toBe('Normal change: change freeze "Black Friday freeze" until 2026-11-30T23:00:00Z');
    expect(check().output.summary).toContain(
      '**Change freeze "Black Friday freeze"** is active from 2026-11-20T00:00:00Z until 2026-11-30T23:00:00Z: only emergency changes may merge until it ends.',
    );
    expect(check().output.summary).toContain("declare it an emergency (label `emergency`)");
  });

  test("an emergency change passes during the freeze", async () => {
    setup(
      { labels: ["emergency"], labelEvents: [{ label: "emergency", actor: "oncall" }], body: "## Description\nStop the worker from double-charging.", reviews: [{ author: "bob", state: "APPROVED" }] },
      FREEZE,
    );
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(prOpened());
    expect(check().conclusion).toBe("success");
    expect(check().output.title).toBe("Emergency change: all requirements met");
    expect(check().output.summary).toContain('The change freeze "Black Friday freeze" is active until 2026-11-30T23:00:00Z; as an emergency change this pull request may still merge.');
  });

  test("a freeze that has not started yet changes nothing", async () => {
    setup(approvedNormal(), `${GROUPS}freezes:\n  - { name: Year-end freeze, from: 2026-12-20T00:00:00Z, until: 2027-01-04T00:00:00Z }\n`);
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(prOpened());
    expect(check().conclusion).toBe("success");
  });
});

describe("the Change Log Register", () => {
  const REGISTER = `${GROUPS}register:\n  repository: Codertocat/changes\n  required: [normal]\n`;
  const ISSUE_URL = "/repos/Codertocat/changes/issues/45";
  const LINKED_BODY = "## Description\nUpgrade the HTTP client library to the latest minor version.\n\nChange request: Codertocat/changes#45";
  const ISSUE_BODY = [
    "## Impact analysis",
    "Affects every outbound request of the API service; no schema change.",
    "## Rollback plan",
    "Revert this pull request and redeploy the previous image tag.",
    "",
    "Owner: @Codertocat",
    "Target date: 2026-12-01",
  ].join("\n");
  const issue = (overrides: Record<string, unknown> = {}) => ({
    number: 45,
    title: "RFC: upgrade the HTTP client",
    html_url: "https://github.com/Codertocat/changes/issues/45",
    repository_url: "https://api.github.com/repos/Codertocat/changes",
    state: "open",
    state_reason: null,
    labels: [{ name: "change-request" }],
    body: ISSUE_BODY,
    user: { login: "Codertocat", type: "User" },
    ...overrides,
  });

  test("a valid link: the issue's sections and fields count, the summary says where each was found", async () => {
    setup(approvedNormal({ body: LINKED_BODY }), REGISTER);
    github.on("GET", ISSUE_URL, 200, issue());
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(prOpened());

    expect(github.calls()).toEqual([`GET ${CONFIG_URL}`, "POST /graphql", `GET ${ISSUE_URL}`, `POST ${REPO}/check-runs`]);
    const { conclusion, output } = check();
    expect(conclusion).toBe("success");
    expect(output.title).toBe("Normal change: all requirements met");
    const link = "[Codertocat/changes#45](https://github.com/Codertocat/changes/issues/45)";
    expect(output.summary).toContain(`- ✅ **Change request**: ${link} in the Change Log Register`);
    expect(output.summary).toContain("- ✅ **Description**: present in the description");
    expect(output.summary).toContain(`- ✅ **Impact analysis**: present in the change request ${link} (68 characters)`);
    expect(output.summary).toContain(`- ✅ **Owner**: @codertocat in the change request ${link}`);
  });

  test.each<[string, number, unknown, string]>([
    ["not found", 404, { message: "Not Found" }, "Codertocat/changes#45 was not found: it does not exist, was deleted, or the app cannot see Codertocat/changes (install change-policy on it)"],
    [
      "no access",
      403,
      { message: "Resource not accessible by integration" },
      "the app may not read Codertocat/changes#45 (Resource not accessible by integration): give change-policy access to Codertocat/changes with the Issues permission",
    ],
    ["missing label", 200, issue({ labels: [{ name: "question" }] }), "Codertocat/changes#45 does not carry the label `change-request`, so it is not a change request of the register"],
    ["closed as not planned", 200, issue({ state: "closed", state_reason: "not_planned" }), "Codertocat/changes#45 was closed as not planned: a rejected change request does not authorise a change"],
    ["a pull request", 200, issue({ pull_request: { url: "https://api.github.com/repos/Codertocat/changes/pulls/45" } }), "Codertocat/changes#45 is a pull request, not an issue of the Change Log Register"],
  ])("an invalid link (%s) fails and says exactly which", async (_name, status, answer, reason) => {
    setup(approvedNormal({ body: LINKED_BODY }), REGISTER);
    github.on("GET", ISSUE_URL, status, answer);
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(prOpened());
    expect(check().conclusion).toBe("failure");
    expect(check().output.summary).toContain(`- ❌ **Change request**: ${reason}`);
    // Nothing of an invalid issue counts.
    expect(check().output.summary).toContain("- ❌ **Impact analysis**: add a `## Impact analysis` heading");
  });

  test("a link to another repository is refused without reading it", async () => {
    setup(approvedNormal({ body: `${COMPLETE_BODY}\nChange request: #45` }), REGISTER);
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(prOpened());
    expect(github.calls().some((c) => c.includes("/issues/"))).toBe(false);
    expect(check().output.summary).toContain(
      "- ❌ **Change request**: Codertocat/Hello-World#45 is not in the Change Log Register, which is Codertocat/changes: link an issue of Codertocat/changes (`Change request: Codertocat/changes#N`)",
    );
  });

  test("a required class without a link fails and says how to link one", async () => {
    setup(approvedNormal(), REGISTER);
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(prOpened());
    expect(check().output.title).toBe("Normal change: 1 of 8 requirements missing");
    expect(check().output.summary).toContain(
      "- ❌ **Change request**: link the change request: `Change request: Codertocat/changes#N` in the description (an issue of Codertocat/changes labelled `change-request`)",
    );
  });

  test("an unchanged issue costs a free 304; an edit of it changes the verdict on the next evaluation", async () => {
    setup(approvedNormal({ body: LINKED_BODY }), REGISTER);
    github.on("GET", ISSUE_URL, 200, issue(), { etag: '"rfc-v1"' });
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(prOpened("d-1"));
    expect(check().conclusion).toBe("success");

    github = new FakeGitHub();
    setup(approvedNormal({ body: LINKED_BODY }), REGISTER);
    github.on("GET", ISSUE_URL, 304, "");
    github.on("POST", `${REPO}/check-runs`, 201, { id: 8 });
    await probot.receive(prOpened("d-2"));
    const read = github.requests.find((r) => r.path === ISSUE_URL)!;
    expect(read.headers?.["if-none-match"]).toBe('"rfc-v1"');
    expect(check().conclusion).toBe("success");

    github = new FakeGitHub();
    setup(approvedNormal({ body: LINKED_BODY }), REGISTER);
    github.on("GET", ISSUE_URL, 200, issue({ labels: [] }), { etag: '"rfc-v2"' });
    github.on("POST", `${REPO}/check-runs`, 201, { id: 9 });
    await probot.receive(prOpened("d-3"));
    expect(check().conclusion).toBe("failure");
    expect(check().output.summary).toContain("does not carry the label `change-request`");
  });
});

describe("required checks", () => {
  const CHECKS = "classes:\n  standard:\n    checks: [test, CodeQL, ci/jenkins]\n";
  const docs = (checks: CheckFixture[], overrides: PullFixture = {}): PullFixture => ({
    files: ["docs/a.md"],
    body: "## Summary\nA documentation only change here.",
    reviews: [{ author: "bob", state: "APPROVED" }],
    checks,
    ...overrides,
  });

  test("each is listed with its state; a pending one says so, and another app's check counts by name", async () => {
    setup(
      docs([
        { name: "test", status: "IN_PROGRESS", conclusion: null },
        { name: "CodeQL", conclusion: "SUCCESS", app: "github-advanced-security" },
        { context: "ci/jenkins", state: "FAILURE" },
        { name: "Change Policy", conclusion: "FAILURE", app: "change-policy" },
      ]),
      CHECKS,
    );
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(prOpened());
    const { conclusion, output } = check();
    expect(conclusion).toBe("failure");
    expect(output.title).toBe("Standard change: 2 of 5 requirements missing");
    expect(output.summary).toContain("- ❌ **Check `test`**: pending: in progress (github-actions); the check re-evaluates when it completes");
    expect(output.summary).toContain("- ✅ **Check `CodeQL`**: success (github-advanced-security)");
    expect(output.summary).toContain("- ❌ **Check `ci/jenkins`**: failure (commit status); fix it and run it again");
  });

  test("all passed (success, neutral, skipped): the check passes", async () => {
    setup(
      docs([
        { name: "test", conclusion: "SUCCESS" },
        { name: "CodeQL", conclusion: "NEUTRAL", app: "github-advanced-security" },
        { context: "ci/jenkins", state: "SUCCESS" },
      ]),
      CHECKS,
    );
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(prOpened());
    expect(check().conclusion).toBe("success");
  });

  test("nothing reported yet on the head commit: each required check is missing", async () => {
    setup(docs([], { checks: undefined }), CHECKS);
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(prOpened());
    expect(check().output.summary).toContain("- ❌ **Check `test`**: has not reported on the head commit; it must run and pass");
  });

  describe("before an installation accepts the statuses permission, GitHub refuses the rollup", () => {
    const refused = (pull: PullFixture, path: (string | number)[]) => {
      const answer = graphqlPull(pull) as { data: unknown; errors?: unknown[] };
      answer.errors = [{ type: "FORBIDDEN", path, message: "Resource not accessible by integration" }];
      return answer;
    };
    const ROLLUP = ["repository", "pullRequest", "commits", "nodes", 0, "commit", "statusCheckRollup"];

    test("required checks fail and say which permission to accept", async () => {
      github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CHECKS, "master");
      github.on("POST", "/graphql", 200, refused(docs([{ name: "test", conclusion: "SUCCESS" }]), ROLLUP));
      github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
      await probot.receive(prOpened());
      expect(check().conclusion).toBe("failure");
      expect(check().output.summary).toContain(
        '- ❌ **Check `test`**: the app cannot read the head commit\'s checks and statuses (GitHub: Resource not accessible by integration); an organisation owner must accept the app\'s "Commit statuses: read" permission',
      );
    });

    test("a class that requires no checks is evaluated as usual", async () => {
      github.file("Codertocat", "Hello-World", ".github/change-policy.yml", GROUPS, "master");
      github.on("POST", "/graphql", 200, refused(docs([]), ROLLUP));
      github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
      await probot.receive(prOpened());
      expect(check().conclusion).toBe("success");
    });

    test("an error anywhere else still fails the evaluation closed", async () => {
      // The policy is read first; the query then fails on the reviews.
      github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CHECKS, "master");
      github.on("POST", "/graphql", 200, refused(docs([]), ["repository", "pullRequest", "reviews"]));
      // The PR could not be read, so neither could our run: it is looked up before the failure is written.
      github.on("GET", `${REPO}/commits/${HEAD}/check-runs?check_name=Change%20Policy&app_id=1`, 200, { total_count: 0, check_runs: [] });
      github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
      await probot.receive(prOpened());
      expect(check().conclusion).toBe("failure");
      expect(check().output.title).toBe("Could not evaluate: the check fails until it can");
    });
  });

  test("more than 100 checks on the head: the next page is one more query", async () => {
    const many: CheckFixture[] = Array.from({ length: 100 }, (_, i) => ({ name: `matrix (${i})`, conclusion: "SUCCESS" }));
    setup(docs(many, { checksEndCursor: "Y3Vyc29yOjEwMA==" }), CHECKS);
    github.on("POST", "/graphql", 200, {
      data: {
        repository: {
          object: {
            statusCheckRollup: {
              contexts: {
                pageInfo: { hasNextPage: false, endCursor: "Y3Vyc29yOjEwMw==" },
                nodes: [
                  { __typename: "CheckRun", name: "test", status: "COMPLETED", conclusion: "SUCCESS", checkSuite: { app: { slug: "github-actions" } } },
                  { __typename: "CheckRun", name: "CodeQL", status: "COMPLETED", conclusion: "SKIPPED", checkSuite: { app: { slug: "github-advanced-security" } } },
                  { __typename: "StatusContext", context: "ci/jenkins", state: "SUCCESS" },
                ],
              },
            },
          },
        },
      },
    });
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await probot.receive(prOpened());
    const page = github.requests.filter((r) => r.path === "/graphql")[1]!.body;
    expect(page.query).toContain("query HeadChecksPage");
    expect(page.variables).toEqual({ owner: "Codertocat", repo: "Hello-World", sha: HEAD, after: "Y3Vyc29yOjEwMA==" });
    expect(check().conclusion).toBe("success");
  });
});
