// The deployment gate end to end (SPEC §8): a `deployment_protection_rule.requested` delivery
// through Probot, GitHub faked with nock (every request checked against GitHub's API description),
// and what the deployer sees: the review's state and comment on the workflow run.
import { readFileSync } from "node:fs";
import nock from "nock";
import type { Probot } from "probot";
import { commitDetailsQuery } from "../../src/github/commit-pulls.js";
import { DecisionMemory } from "../../src/services/deployment-gate.js";
import { expectGitHubSettled, FakeGitHub, testProbot } from "../helpers/app.js";
import { payloadProblems } from "../helpers/github-api-description.js";
import { validate } from "@octokit/graphql-schema";

const FIXTURE = JSON.parse(readFileSync(new URL("../fixtures/deployment_protection_rule.requested.json", import.meta.url), "utf8"));
const REPO = "/repos/octo-org/octo-repo";
const S = FIXTURE.deployment.sha as string;
const PREVIOUS = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c";
const A = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
const POLICY_PATH = `${REPO}/contents/.github%2Fchange-policy.yml?ref=main`;
const REVIEW = `${REPO}/actions/runs/7001/deployment_protection_rule`;
const ON_MAIN = `${REPO}/compare/main...${S}?per_page=1`;
const BROUGHT = `${REPO}/compare/${PREVIOUS}...${S}?per_page=100&page=1`;

let probot: Probot;
let github: FakeGitHub;
let delivery = 0;
let freezes: { name: string; until: string }[] = [];
const recorded: unknown[] = [];

beforeAll(async () => {
  nock.disableNetConnect();
  probot = await testProbot({
    deploymentGate: {
      activeFreezes: () => freezes,
      record: (decision) => void recorded.push(decision),
      // a fresh memory per file keeps the redelivery tests independent of other files
      memory: new DecisionMemory(),
    },
  });
});
beforeEach(() => {
  github = new FakeGitHub();
  freezes = [];
  recorded.length = 0;
});
afterEach(expectGitHubSettled);
afterAll(() => nock.enableNetConnect());

/** The fixture as a delivery; each call is a new deployment (id, run) unless `same` repeats one. */
function deploymentDelivery(changes: { deploymentId?: number; runId?: number; id?: string; creator?: string; environment?: string } = {}) {
  const payload = structuredClone(FIXTURE);
  const deploymentId = changes.deploymentId ?? 5001 + ++delivery;
  const runId = changes.runId ?? 7001;
  payload.deployment.id = deploymentId;
  payload.deployment_callback_url = `https://api.github.com/repos/octo-org/octo-repo/actions/runs/${runId}/deployment_protection_rule`;
  if (changes.creator) payload.deployment.creator.login = changes.creator;
  if (changes.environment) payload.environment = payload.deployment.environment = changes.environment;
  return { id: changes.id ?? `deploy-${deploymentId}`, name: "deployment_protection_rule" as const, payload: payload as never };
}

function history(options: { previous?: string | null; tags?: { name: string; oid: string; annotated?: boolean }[] } = {}) {
  const previous = options.previous === undefined ? PREVIOUS : options.previous;
  const nodes = [
    // this very deployment, waiting for us
    { databaseId: 9999, commitOid: S, statuses: { nodes: [{ state: "WAITING" }] } },
    { databaseId: 4990, commitOid: "1111111111111111111111111111111111111111", statuses: { nodes: [{ state: "QUEUED" }, { state: "FAILURE" }] } },
    ...(previous ? [{ databaseId: 4980, commitOid: previous, statuses: { nodes: [{ state: "IN_PROGRESS" }, { state: "SUCCESS" }, { state: "INACTIVE" }] } }] : []),
  ];
  const repository: Record<string, unknown> = { deployments: { pageInfo: { hasNextPage: false, endCursor: null }, nodes } };
  if (options.tags) {
    repository.refs = {
      nodes: options.tags.map((t) => ({ name: t.name, target: t.annotated ? { oid: "7777777777777777777777777777777777777777", target: { oid: t.oid } } : { oid: t.oid } })),
    };
  }
  return { data: { repository } };
}

interface PullFixture {
  number: number;
  title?: string;
  merged?: boolean;
  base?: string;
  conclusion?: string | null;
  checkTitle?: string;
}

function commitDetails(commits: { sha: string; message?: string; author?: string; pulls: PullFixture[] }[]) {
  const repository: Record<string, unknown> = {};
  commits.forEach((c, i) => {
    repository[`c${i}`] = {
      oid: c.sha,
      messageHeadline: c.message ?? `Commit ${c.sha.slice(0, 4)}`,
      author: { name: c.author ?? "Alice Doe", user: { login: (c.author ?? "alice").toLowerCase().split(" ")[0] } },
      associatedPullRequests: {
        nodes: c.pulls.map((p) => {
          const head = `${String(p.number).padStart(4, "0")}${"e".repeat(36)}`;
          const conclusion = p.conclusion === undefined ? "SUCCESS" : p.conclusion;
          const runs = conclusion === null ? [] : [{ checkRuns: { nodes: [{ databaseId: p.number * 10, status: "COMPLETED", conclusion, title: p.checkTitle ?? "Normal change: all requirements met" }] } }];
          return {
            number: p.number,
            merged: p.merged ?? true,
            state: (p.merged ?? true) ? "MERGED" : "OPEN",
            title: p.title ?? `Change ${p.number}`,
            baseRefName: p.base ?? "main",
            headRefOid: head,
            mergeCommit: (p.merged ?? true) ? { oid: c.sha } : null,
            commits: { nodes: [{ commit: { oid: head, checkSuites: { nodes: runs } } }] },
          };
        }),
      },
    };
  });
  return { data: { repository } };
}

/** The answers of a deployment whose every fact is fine; tests change one thing. */
function compliantDeployment(policy = "deployments: {}\n") {
  github.file("octo-org", "octo-repo", ".github/change-policy.yml", policy, "main");
  github.on("POST", "/graphql", 200, history());
  github.on("GET", ON_MAIN, 200, { status: "behind", ahead_by: 0, behind_by: 3, total_commits: 0, commits: [] });
  github.on("GET", BROUGHT, 200, { status: "ahead", ahead_by: 2, behind_by: 0, total_commits: 2, commits: [{ sha: A }, { sha: S }] });
}

function review() {
  const calls = github.requests.filter((r) => r.method === "POST" && r.path === REVIEW);
  expect(calls).toHaveLength(1);
  return calls[0]!.body as { environment_name: string; state: string; comment: string };
}

test("the fixture is a deployment_protection_rule payload as GitHub's webhook schema describes it", () => {
  expect(payloadProblems("webhook-deployment-protection-rule-requested", FIXTURE)).toEqual([]);
});

test("the commit query is valid GraphQL for GitHub's schema", () => {
  expect(validate(commitDetailsQuery(2))).toEqual([]);
});

test("compliant changes by anyone: approved in 6 requests, the comment names each change", async () => {
  compliantDeployment();
  github.on("POST", "/graphql", 200, commitDetails([
    { sha: A, pulls: [{ number: 12, title: "Use idempotent charges" }] },
    { sha: S, pulls: [{ number: 13, title: "Document the API", checkTitle: "Standard change: all requirements met" }] },
  ]));
  github.on("POST", REVIEW, 204, "");

  await probot.receive(deploymentDelivery());

  expect(github.calls()).toEqual([`GET ${POLICY_PATH}`, "POST /graphql", `GET ${ON_MAIN}`, `GET ${BROUGHT}`, "POST /graphql", `POST ${REVIEW}`]);
  expect(review()).toEqual({
    environment_name: "production",
    state: "approved",
    comment: [
      "✅ change-policy approved deploying f95f852 to production: 2 compliant changes since the last successful deployment (0d1a26e):",
      "- #12 Normal change: Use idempotent charges",
      "- #13 Standard change: Document the API",
    ].join("\n"),
  });
  const historyQuery = github.requests.filter((r) => r.path === "/graphql")[0]!.body;
  expect(historyQuery.variables).toMatchObject({ owner: "octo-org", repo: "octo-repo", environment: "production", withTags: false });
  const commitQuery = github.requests.filter((r) => r.path === "/graphql")[1]!.body;
  expect(commitQuery.variables).toEqual({ owner: "octo-org", repo: "octo-repo", checkName: "Change Policy", appId: 1, c0: A, c1: S });
  expect(recorded).toEqual([expect.objectContaining({ state: "approved", repository: "octo-org/octo-repo", deploymentId: expect.any(Number), runId: 7001, commits: [{ sha: A, pull: 12 }, { sha: S, pull: 13 }] })]);
});

test("the first deployment to an environment checks the deployed commit alone", async () => {
  github.file("octo-org", "octo-repo", ".github/change-policy.yml", "", "main");
  github.on("POST", "/graphql", 200, history({ previous: null }));
  github.on("GET", ON_MAIN, 200, { status: "identical", ahead_by: 0, behind_by: 0, total_commits: 0, commits: [] });
  github.on("POST", "/graphql", 200, commitDetails([{ sha: S, pulls: [{ number: 12 }] }]));
  github.on("POST", REVIEW, 204, "");

  await probot.receive(deploymentDelivery());

  expect(github.calls()).toEqual([`GET ${POLICY_PATH}`, "POST /graphql", `GET ${ON_MAIN}`, "POST /graphql", `POST ${REVIEW}`]);
  expect(review().state).toBe("approved");
  expect(review().comment).toContain("(no earlier successful deployment: the deployed commit alone was checked):\n- #12 Normal change: Change 12");
});

describe("rejected, one reason each", () => {
  test("1: the commit is on no allowed branch", async () => {
    github.file("octo-org", "octo-repo", ".github/change-policy.yml", "", "main");
    github.on("POST", "/graphql", 200, history());
    github.on("GET", ON_MAIN, 200, { status: "diverged", ahead_by: 1, behind_by: 2, total_commits: 1, commits: [{ sha: S }] });
    github.on("GET", BROUGHT, 200, { status: "ahead", total_commits: 1, commits: [{ sha: S }] });
    github.on("POST", "/graphql", 200, commitDetails([{ sha: S, pulls: [{ number: 12 }] }]));
    github.on("POST", REVIEW, 204, "");

    await probot.receive(deploymentDelivery());

    expect(review()).toEqual({
      environment_name: "production",
      state: "rejected",
      comment: [
        "❌ change-policy rejected deploying f95f852 to production: it breaks the Change Management Policy (1 reason).",
        "- Commit f95f852 is not on a branch that may be deployed: it is neither the head nor an ancestor of `main` (`deployments.branches`).",
        "Fix what is listed, then re-run the deployment.",
      ].join("\n"),
    });
  });

  test("2: a commit no merged, compliant pull request accounts for is named with its author and message", async () => {
    compliantDeployment();
    github.on("POST", "/graphql", 200, commitDetails([
      { sha: A, pulls: [{ number: 12 }] },
      { sha: S, message: "Hotfix straight on main", author: "Mallory", pulls: [] },
    ]));
    github.on("POST", REVIEW, 204, "");

    await probot.receive(deploymentDelivery());

    expect(review().state).toBe("rejected");
    expect(review().comment.split("\n")[1]).toBe('- Commit f95f852 by Mallory (@mallory), "Hotfix straight on main": no pull request accounts for it.');
  });

  test("2: a pull request merged while its check failed (a bypass) does not account for its commits", async () => {
    compliantDeployment();
    github.on("POST", "/graphql", 200, commitDetails([
      { sha: A, pulls: [{ number: 14, conclusion: "FAILURE", checkTitle: "Normal change: 1 of 7 requirements missing" }] },
      { sha: S, pulls: [{ number: 14, conclusion: "FAILURE", checkTitle: "Normal change: 1 of 7 requirements missing" }] },
    ]));
    github.on("POST", REVIEW, 204, "");

    await probot.receive(deploymentDelivery());

    expect(review().comment).toContain('- Commit 6113728 by Alice Doe (@alice), "Commit 6113": it belongs to #14, which had its `Change Policy` check at failure when it merged and is not an emergency change.');
  });

  test("2: an emergency change merged before its check passed is let through (it has its follow-up)", async () => {
    compliantDeployment();
    github.on("POST", "/graphql", 200, commitDetails([
      { sha: A, pulls: [{ number: 15, conclusion: "FAILURE", checkTitle: "Emergency change: 1 of 2 requirements missing" }] },
      { sha: S, pulls: [{ number: 15, conclusion: "FAILURE", checkTitle: "Emergency change: 1 of 2 requirements missing" }] },
    ]));
    github.on("POST", REVIEW, 204, "");

    await probot.receive(deploymentDelivery());

    expect(review().state).toBe("approved");
    expect(review().comment).toContain("- #15 Emergency change: Change 15");
  });

  test("3: require_tag and the commit carries no matching tag (only tags starting like the pattern are asked for)", async () => {
    github.file("octo-org", "octo-repo", ".github/change-policy.yml", "deployments:\n  require_tag: true\n", "main");
    github.on("POST", "/graphql", 200, history({ tags: [{ name: "v1.3.0", oid: PREVIOUS }, { name: "v1.4.0-rc", oid: A, annotated: true }] }));
    github.on("GET", ON_MAIN, 200, { status: "behind", total_commits: 0, commits: [] });
    github.on("GET", BROUGHT, 200, { status: "ahead", total_commits: 1, commits: [{ sha: S }] });
    github.on("POST", "/graphql", 200, commitDetails([{ sha: S, pulls: [{ number: 12 }] }]));
    github.on("POST", REVIEW, 204, "");

    await probot.receive(deploymentDelivery());

    expect(github.requests.filter((r) => r.path === "/graphql")[0]!.body.variables).toMatchObject({ withTags: true, tagQuery: "v" });
    expect(review().state).toBe("rejected");
    expect(review().comment.split("\n")[1]).toBe("- Commit f95f852 carries no tag matching `v*`; `deployments.require_tag` asks for one: tag the release, then deploy the tag.");
  });

  test("3: an annotated tag on the commit satisfies require_tag", async () => {
    github.file("octo-org", "octo-repo", ".github/change-policy.yml", "deployments:\n  require_tag: true\n", "main");
    github.on("POST", "/graphql", 200, history({ tags: [{ name: "v1.4.0", oid: S, annotated: true }] }));
    github.on("GET", ON_MAIN, 200, { status: "behind", total_commits: 0, commits: [] });
    github.on("GET", BROUGHT, 200, { status: "ahead", total_commits: 1, commits: [{ sha: S }] });
    github.on("POST", "/graphql", 200, commitDetails([{ sha: S, pulls: [{ number: 12 }] }]));
    github.on("POST", REVIEW, 204, "");

    await probot.receive(deploymentDelivery());

    expect(review().state).toBe("approved");
  });

  test("4: a deployer outside the deployers group (its team expanded)", async () => {
    compliantDeployment("groups:\n  release-managers: { users: [carol], teams: [octo-org/releasers] }\ndeployments:\n  deployers: release-managers\n");
    github.on("POST", "/graphql", 200, commitDetails([{ sha: A, pulls: [{ number: 12 }] }, { sha: S, pulls: [{ number: 12 }] }]));
    github.on("GET", "/orgs/octo-org/teams/releasers/members?per_page=100", 200, [{ login: "erin" }]);
    github.on("POST", REVIEW, 204, "");

    await probot.receive(deploymentDelivery({ creator: "mallory" }));

    expect(review().state).toBe("rejected");
    expect(review().comment.split("\n")[1]).toBe(
      "- @mallory, who started this deployment, is not in the `release-managers` group (`deployments.deployers`); a member of it must start the deployment.",
    );
  });

  test("5: a change freeze in force stops anything but emergency changes", async () => {
    freezes = [{ name: "Year-end freeze", until: "2027-01-04T00:00:00Z" }];
    compliantDeployment();
    github.on("POST", "/graphql", 200, commitDetails([{ sha: A, pulls: [{ number: 12 }] }, { sha: S, pulls: [{ number: 12 }] }]));
    github.on("POST", REVIEW, 204, "");

    await probot.receive(deploymentDelivery());

    expect(review().state).toBe("rejected");
    expect(review().comment.split("\n")[1]).toBe(
      '- Change freeze "Year-end freeze" is in force until 2027-01-04T00:00:00Z: only emergency changes may be deployed to production; this deployment brings #12 (normal change).',
    );
  });
});

test("the ledger's merge entry, when there is one, says what was true at merge (over today's check run)", async () => {
  const asked: unknown[] = [];
  const withLedger = await testProbot({
    deploymentGate: {
      memory: new DecisionMemory(),
      mergeEntryOf: async (pull) => {
        asked.push(pull);
        return pull.number === 12 ? { conclusion: "failure", changeClass: "normal" } : null;
      },
    },
  });
  compliantDeployment();
  github.on("POST", "/graphql", 200, commitDetails([{ sha: A, pulls: [{ number: 12 }] }, { sha: S, pulls: [{ number: 13 }] }]));
  github.on("POST", REVIEW, 204, "");

  await withLedger.receive(deploymentDelivery());

  expect(asked).toEqual([{ owner: "octo-org", repo: "octo-repo", number: 12 }, { owner: "octo-org", repo: "octo-repo", number: 13 }]);
  expect(review().state).toBe("rejected");
  expect(review().comment).toContain("it belongs to #12, which had its `Change Policy` check at failure when it merged");
  expect(review().comment).not.toContain("#13");
});

test("several reasons at once are all listed", async () => {
  freezes = [{ name: "Year-end freeze", until: "2027-01-04T00:00:00Z" }];
  github.file("octo-org", "octo-repo", ".github/change-policy.yml", "groups:\n  release-managers: { users: [carol] }\ndeployments:\n  deployers: release-managers\n  require_tag: true\n", "main");
  github.on("POST", "/graphql", 200, history({ tags: [] }));
  github.on("GET", ON_MAIN, 200, { status: "ahead", total_commits: 1, commits: [{ sha: S }] });
  github.on("GET", BROUGHT, 200, { status: "ahead", total_commits: 2, commits: [{ sha: A }, { sha: S }] });
  github.on("POST", "/graphql", 200, commitDetails([{ sha: A, pulls: [{ number: 12 }] }, { sha: S, message: "Quick fix", pulls: [] }]));
  github.on("POST", REVIEW, 204, "");

  await probot.receive(deploymentDelivery());

  const lines = review().comment.split("\n");
  expect(review().state).toBe("rejected");
  expect(lines[0]).toBe("❌ change-policy rejected deploying f95f852 to production: it breaks the Change Management Policy (5 reasons).");
  expect(lines.slice(1, 6).map((l) => l.slice(0, 30))).toEqual([
    "- Commit f95f852 is not on a b",
    "- Commit f95f852 by Alice Doe ",
    "- Commit f95f852 carries no ta",
    "- @dora, who started this depl",
    '- Change freeze "Year-end free',
  ]);
});

test("a comment longer than 1,024 characters is cut at a reason and says how many more there are", async () => {
  const shas = Array.from({ length: 30 }, (_, i) => `${String(i).padStart(2, "0")}${"c".repeat(38)}`);
  github.file("octo-org", "octo-repo", ".github/change-policy.yml", "", "main");
  github.on("POST", "/graphql", 200, history());
  github.on("GET", ON_MAIN, 200, { status: "behind", total_commits: 0, commits: [] });
  github.on("GET", BROUGHT, 200, { status: "ahead", total_commits: 30, commits: shas.map((sha) => ({ sha })) });
  github.on("POST", "/graphql", 200, commitDetails(shas.map((sha, i) => ({ sha, message: `Unreviewed change number ${i} straight to main`, author: "Mallory", pulls: [] }))));
  github.on("POST", REVIEW, 204, "");

  await probot.receive(deploymentDelivery());

  const { comment, state } = review();
  expect(state).toBe("rejected");
  expect(comment.length).toBeLessThanOrEqual(1024);
  const lines = comment.split("\n");
  const reasons = lines.filter((l) => l.startsWith("- "));
  expect(reasons.length).toBeGreaterThan(3);
  reasons.forEach((line, i) => expect(line).toBe(`- Commit ${shas[i]!.slice(0, 7)} by Mallory (@mallory), "Unreviewed change number ${i} straight to main": no pull request accounts for it.`));
  expect(lines.at(-2)).toBe(`… and ${30 - reasons.length} more`);
  expect(lines.at(-1)).toBe("Fix what is listed, then re-run the deployment.");
});

test("150 commits: two compare pages and two commit queries (100 + 50), each commit accounted for", async () => {
  const shas = Array.from({ length: 150 }, (_, i) => i.toString(16).padStart(40, "d"));
  github.file("octo-org", "octo-repo", ".github/change-policy.yml", "", "main");
  github.on("POST", "/graphql", 200, history());
  github.on("GET", ON_MAIN, 200, { status: "behind", total_commits: 0, commits: [] });
  github.on("GET", BROUGHT, 200, { status: "ahead", total_commits: 150, commits: shas.slice(0, 100).map((sha) => ({ sha })) });
  github.on("GET", `${REPO}/compare/${PREVIOUS}...${S}?per_page=100&page=2`, 200, { status: "ahead", total_commits: 150, commits: shas.slice(100).map((sha) => ({ sha })) });
  github.on("POST", "/graphql", 200, commitDetails(shas.slice(0, 100).map((sha, i) => ({ sha, pulls: [{ number: 100 + Math.floor(i / 10) }] }))));
  github.on("POST", "/graphql", 200, commitDetails(shas.slice(100).map((sha) => ({ sha, pulls: [{ number: 200 }] }))));
  github.on("POST", REVIEW, 204, "");

  await probot.receive(deploymentDelivery());

  const queries = github.requests.filter((r) => r.path === "/graphql").slice(1);
  expect(queries.map((q) => Object.keys(q.body.variables).filter((k) => /^c\d+$/.test(k)).length)).toEqual([100, 50]);
  expect(review().state).toBe("approved");
  expect(review().comment.split("\n")[0]).toBe("✅ change-policy approved deploying f95f852 to production: 11 compliant changes since the last successful deployment (0d1a26e):");
});

describe("one decision per request", () => {
  test("a redelivered event makes no second review call and no error", async () => {
    compliantDeployment();
    github.on("POST", "/graphql", 200, commitDetails([{ sha: A, pulls: [{ number: 12 }] }, { sha: S, pulls: [{ number: 12 }] }]));
    github.on("POST", REVIEW, 204, "");
    const event = deploymentDelivery({ deploymentId: 6100, id: "same-delivery" });

    await probot.receive(event);
    await probot.receive(event);

    expect(github.calls().filter((c) => c === `POST ${REVIEW}`)).toHaveLength(1);
    expect(github.calls()).toHaveLength(6);
    expect(recorded).toHaveLength(1);
  });

  test("a re-run of the job is a new event for the same run: decided again", async () => {
    compliantDeployment();
    github.on("POST", "/graphql", 200, commitDetails([{ sha: A, pulls: [{ number: 12 }] }, { sha: S, pulls: [{ number: 12 }] }]));
    github.on("POST", REVIEW, 204, "");
    compliantDeployment();
    github.on("POST", "/graphql", 200, commitDetails([{ sha: A, pulls: [{ number: 12 }] }, { sha: S, pulls: [{ number: 12 }] }]));
    github.on("POST", REVIEW, 204, "");

    await probot.receive(deploymentDelivery({ deploymentId: 6150, id: "first-attempt" }));
    await probot.receive(deploymentDelivery({ deploymentId: 6150, id: "re-run" }));

    expect(github.calls().filter((c) => c === `POST ${REVIEW}`)).toHaveLength(2);
  });

  test("another replica that already answered: GitHub refuses the second review (422), taken as decided, nothing more sent", async () => {
    const replica = await testProbot({ deploymentGate: { memory: new DecisionMemory() } });
    compliantDeployment();
    github.on("POST", "/graphql", 200, commitDetails([{ sha: A, pulls: [{ number: 12 }] }, { sha: S, pulls: [{ number: 12 }] }]));
    github.on("POST", REVIEW, 422, { message: "No pending custom deployment protection rule for this run", documentation_url: "https://docs.github.com/rest" });

    await expect(replica.receive(deploymentDelivery({ deploymentId: 6200 }))).resolves.toBeUndefined();

    expect(github.calls().filter((c) => c === `POST ${REVIEW}`)).toHaveLength(1);
  });
});

describe("fail closed", () => {
  test("GitHub failing: rejected, saying why and that the deployment can be re-run", async () => {
    github.file("octo-org", "octo-repo", ".github/change-policy.yml", "", "main");
    github.on("POST", "/graphql", 502, { message: "Server Error" });
    github.on("POST", REVIEW, 204, "");

    await probot.receive(deploymentDelivery());

    expect(review()).toEqual({
      environment_name: "production",
      state: "rejected",
      comment: [
        "❌ change-policy could not decide on deploying f95f852 to production, so it rejects it (fail closed):",
        "- GitHub had an internal error (502).",
        "Nothing was deployed. Re-run the deployment (Re-run jobs on this workflow run) to try again once this is fixed.",
      ].join("\n"),
    });
  });

  test("the last successful deployment's commit is gone from the repository: rejected, saying so", async () => {
    github.file("octo-org", "octo-repo", ".github/change-policy.yml", "", "main");
    github.on("POST", "/graphql", 200, history());
    github.on("GET", ON_MAIN, 200, { status: "behind", total_commits: 0, commits: [] });
    github.on("GET", BROUGHT, 404, { message: "Not Found" });
    github.on("POST", REVIEW, 204, "");

    await probot.receive(deploymentDelivery());

    expect(review().state).toBe("rejected");
    expect(review().comment.split("\n")[1]).toBe(
      "- GitHub cannot compare the last successful deployment's commit 0d1a26e with f95f852: one of them is not in the repository (was its history rewritten?), so the app cannot tell which commits this deployment brings.",
    );
  });

  test("an approval GitHub does not take is followed by a rejection that says so", async () => {
    compliantDeployment();
    github.on("POST", "/graphql", 200, commitDetails([{ sha: A, pulls: [{ number: 12 }] }, { sha: S, pulls: [{ number: 12 }] }]));
    github.on("POST", REVIEW, 500, { message: "Server Error" });
    github.on("POST", REVIEW, 204, "");

    await probot.receive(deploymentDelivery());

    const reviews = github.requests.filter((r) => r.path === REVIEW).map((r) => r.body);
    expect(reviews.map((r) => r.state)).toEqual(["approved", "rejected"]);
    expect(reviews[1].comment).toContain("- Sending the decision to GitHub failed: GitHub had an internal error (500).");
    expect(reviews[1].comment).toContain("Re-run the deployment");
  });

  test("an invalid policy rejects and lists the problems", async () => {
    github.file("octo-org", "octo-repo", ".github/change-policy.yml", "deployments:\n  deployers: nobody\n", "main");
    github.on("POST", REVIEW, 204, "");

    await probot.receive(deploymentDelivery());

    expect(review().state).toBe("rejected");
    expect(review().comment.split("\n")[1]).toBe(
      '- The policy file is invalid (1 problem): octo-org/octo-repo:.github/change-policy.yml:2: deployments.deployers: unknown group "nobody" (known: cto-ciso, compliance, emergency-declarers). Fix it on `main` (`change-policy validate` checks it).',
    );
  });

  test("no policy anywhere: rejected, saying how to add one", async () => {
    github.file("octo-org", "octo-repo", ".github/change-policy.yml", null, "main");
    github.file("octo-org", ".github", ".github/change-policy.yml", null);
    github.on("POST", REVIEW, 204, "");

    await probot.receive(deploymentDelivery());

    expect(review().state).toBe("rejected");
    expect(review().comment).toContain("No change policy applies to octo-org/octo-repo: add `.github/change-policy.yml`");
  });

  test("an environment the policy does not guard is rejected with how to fix it, not silently approved", async () => {
    github.file("octo-org", "octo-repo", ".github/change-policy.yml", "deployments:\n  environments: [production]\n", "main");
    github.on("POST", REVIEW, 204, "");

    await probot.receive(deploymentDelivery({ environment: "staging" }));

    expect(review()).toMatchObject({ environment_name: "staging", state: "rejected" });
    expect(review().comment).toContain("The environment `staging` asks change-policy to decide, but `deployments.environments` (`production`) does not include it.");
  });
});
