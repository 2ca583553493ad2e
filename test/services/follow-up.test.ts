import nock from "nock";
import type { Probot } from "probot";
import { parseConfigText } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { clearMembershipCaches } from "../../src/github/membership.js";
import { openPostImplementationReview } from "../../src/services/follow-up.js";
import type { MergedPullContext } from "../../src/services/merged-pull-context.js";
import { evaluatePull } from "../../src/policy/evaluate.js";
import type { PullSnapshot } from "../../src/policy/snapshot.js";
import { expectGitHubSettled, examplePayload, FakeGitHub, NOW, TestOctokit, testProbot } from "../helpers/app.js";
import { graphqlPull } from "../helpers/graphql-pull.js";
import { IssueStore } from "../helpers/issue-store.js";

const CONFIG = `
groups:
  cto-ciso: { users: [alice, dave], teams: [Codertocat/security-leads] }
  emergency-declarers: { users: [oncall] }
`;
const CONFIG_URL = "/repos/Codertocat/Hello-World/contents/.github%2Fchange-policy.yml";
const LIST_FOLLOW_UPS = "/repos/Codertocat/Hello-World/issues?state=all&labels=post-implementation-review&sort=created&direction=desc&per_page=100&page=1";
const MARKER = "<!-- change-policy:follow-up Codertocat/Hello-World#2 -->";
const EMERGENCY_BODY = "## Description\nHotfix: stop the payment worker from double-charging.\n\n## Rollback plan\nRevert this commit and redeploy the previous image.";

let probot: Probot;
let github: FakeGitHub;
let store: IssueStore;

beforeAll(async () => {
  nock.disableNetConnect();
  probot = await testProbot();
});
beforeEach(() => {
  github = new FakeGitHub();
  store = new IssueStore(github);
  clearMembershipCaches();
});
afterEach(expectGitHubSettled);
afterAll(() => nock.enableNetConnect());

function config(text = CONFIG): Config {
  const parsed = parseConfigText(text, "test");
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
}

function mergedSnapshot(overrides: Partial<PullSnapshot> = {}): PullSnapshot {
  return {
    repository: { owner: "Codertocat", name: "Hello-World", private: true },
    number: 2,
    title: "Stop double charges",
    body: EMERGENCY_BODY,
    author: "codertocat",
    draft: false,
    state: "merged",
    headSha: "abc",
    baseRef: "master",
    labels: ["emergency"],
    labelEvents: [{ label: "emergency", actor: "oncall", createdAt: "2026-11-24T09:00:00Z" }],
    files: ["src/payments.ts"],
    reviews: [],
    assignees: [],
    permissions: {},
    groups: { "cto-ciso": ["alice", "dave", "carol"], "emergency-declarers": ["oncall"] },
    mergedAt: "2026-11-24T10:00:00Z",
    mergedBy: "bob",
    ...overrides,
  };
}

function mergedContext(cfg: Config, snapshot = mergedSnapshot(), now = NOW): MergedPullContext {
  const silent = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {}, child: () => silent };
  return { config: cfg, snapshot, verdict: evaluatePull(cfg, snapshot), check: null, now, log: silent as never };
}

const octokit = () => new TestOctokit({ auth: { token: "ghs_test" } } as never);

describe("declaring an emergency (the check)", () => {
  function labeledDelivery() {
    return { id: "d-label", name: "pull_request" as const, payload: examplePayload("pull_request", "labeled") as never };
  }

  test("a label added by a member of emergency-declarers makes it an emergency change, and the check says a review follows", async () => {
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
    github.on("POST", "/graphql", 200, graphqlPull({ body: EMERGENCY_BODY, labels: ["emergency"], labelEvents: [{ label: "emergency", actor: "oncall" }], teams: [["carol"]] }));
    github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
    await probot.receive(labeledDelivery());
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}?ref=master`, "POST /graphql", "POST /repos/Codertocat/Hello-World/check-runs"]);
    const check = github.requests.find((r) => r.path.endsWith("/check-runs"))!.body;
    expect(check.output.title).toMatch(/^Emergency change: /);
    expect(check.output.summary).toContain("label `emergency` (added by @oncall)");
    expect(check.output.summary).toContain("A post-implementation review by `cto-ciso` follows within 48 hours of the merge, documenting `impact`, `rollback`.");
  });

  test("a label added by someone outside emergency-declarers is ignored, and the check names who added it", async () => {
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
    github.on("POST", "/graphql", 200, graphqlPull({ body: EMERGENCY_BODY, files: ["src/payments.ts"], labels: ["emergency"], labelEvents: [{ label: "emergency", actor: "Mallory" }], teams: [["carol"]] }));
    github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
    await probot.receive(labeledDelivery());
    const check = github.requests.find((r) => r.path.endsWith("/check-runs"))!.body;
    expect(check.output.title).toMatch(/^Normal change: /);
    expect(check.conclusion).toBe("failure");
    expect(check.output.summary).toContain("The label `emergency` was ignored: it was added by @mallory, who is not in the `emergency-declarers` group.");
  });
});

describe("merging an emergency change opens one post-implementation review", () => {
  function mergedDelivery(id = "d-merge") {
    const payload = examplePayload("pull_request", "closed");
    payload.pull_request.merged = true;
    payload.pull_request.merged_at = "2026-11-24T10:00:00Z";
    return { id, name: "pull_request" as const, payload: payload as never };
  }
  /** The policy at the merged PR's base (from the payload), then the query with the CTO team's members. */
  function mergeReads() {
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
    github.on("POST", "/graphql", 200, graphqlPull({
      title: "Stop double charges",
      body: EMERGENCY_BODY,
      state: "MERGED",
      mergedAt: "2026-11-24T10:00:00Z",
      mergedBy: "bob",
      labels: ["emergency"],
      labelEvents: [{ label: "emergency", actor: "oncall" }],
      check: { id: 7, conclusion: "success", title: "Emergency change: all requirements met", summary: "" },
      teams: [["carol"]],
    }));
  }

  test("a webhook delivered twice opens exactly one issue with the right title, assignees, labels and due time, and one PR comment", async () => {
    mergeReads();
    await probot.receive(mergedDelivery("d-1"));
    mergeReads();
    await probot.receive(mergedDelivery("d-2"));

    expect(github.calls()).toEqual([
      `GET ${CONFIG_URL}?ref=master`,
      "POST /graphql",
      `GET ${LIST_FOLLOW_UPS}`,
      "POST /repos/Codertocat/Hello-World/issues",
      `GET ${LIST_FOLLOW_UPS}`,
      "GET /repos/Codertocat/Hello-World/issues/2/comments?per_page=100",
      "POST /repos/Codertocat/Hello-World/issues/2/comments",
      // second delivery: finds the marker, creates nothing
      `GET ${CONFIG_URL}?ref=master`,
      "POST /graphql",
      `GET ${LIST_FOLLOW_UPS}`,
      "GET /repos/Codertocat/Hello-World/issues/2/comments?per_page=100",
    ]);
    const created = github.requests.find((r) => r.method === "POST" && r.path === "/repos/Codertocat/Hello-World/issues")!.body;
    expect(created.title).toBe("Post-implementation review: Stop double charges (#2)");
    expect(created.assignees).toEqual(["alice", "dave"]);
    expect(created.labels).toEqual(["post-implementation-review"]);
    expect(created.body).toContain(MARKER);
    expect(created.body).toContain("| **Due** | **2026-11-26T10:00:00Z** |");
    expect(created.body).toContain("| Emergency declared by | @oncall |");
    expect(created.body).toContain("| Merged by | @bob |");
    expect(created.body).toContain("| Merged at | 2026-11-24T10:00:00Z |");
    expect(created.body).toContain("[Stop double charges](https://github.com/Codertocat/Hello-World/pull/2) (Codertocat/Hello-World#2)");
    expect(created.body).toContain("- [ ] Impact analysis: missing from the pull request description; write it here");
    expect(created.body).toContain("- [x] Rollback plan: present in the pull request description");
    expect(created.body).toContain("- [ ] Actual vs. expected results\n- [ ] Any incidents or downtime\n- [ ] Lessons learned or preventive measures");
    expect(store.list("Codertocat", "Hello-World")).toHaveLength(1);
    expect(store.commentsOn("Codertocat", "Hello-World", 2)).toEqual([
      "<!-- change-policy:follow-up-link Codertocat/Hello-World#10 -->\nThis emergency change needs a post-implementation review by **2026-11-26T10:00:00Z**: Codertocat/Hello-World#10 (https://github.com/Codertocat/Hello-World/issues/10).",
    ]);
  });

  test("a central repository (post_review.repository: owner/repo) gets the issue; the PR still gets the link", async () => {
    const cfg = config(`${CONFIG}\nclasses:\n  emergency:\n    post_review: { repository: acme-ops/change-reviews, assignees: [ciso], labels: [pir, emergency-review] }\n`);
    await openPostImplementationReview(octokit(), mergedContext(cfg));
    expect(github.calls()).toEqual([
      "GET /repos/acme-ops/change-reviews/issues?state=all&labels=pir&sort=created&direction=desc&per_page=100&page=1",
      "POST /repos/acme-ops/change-reviews/issues",
      "GET /repos/acme-ops/change-reviews/issues?state=all&labels=pir&sort=created&direction=desc&per_page=100&page=1",
      "GET /repos/Codertocat/Hello-World/issues/2/comments?per_page=100",
      "POST /repos/Codertocat/Hello-World/issues/2/comments",
    ]);
    const [issue] = store.list("acme-ops", "change-reviews");
    expect(issue).toMatchObject({ assignees: ["ciso"], labels: ["pir", "emergency-review"], title: "Post-implementation review: Stop double charges (#2)" });
    expect(issue!.body).toContain(MARKER);
    expect(store.commentsOn("Codertocat", "Hello-World", 2)[0]).toContain("acme-ops/change-reviews#10");
  });

  test("post_review.repository without an owner means a repository of the PR's owner", async () => {
    const cfg = config(`${CONFIG}\nclasses:\n  emergency:\n    post_review: { repository: reviews }\n`);
    await openPostImplementationReview(octokit(), mergedContext(cfg));
    expect(store.list("Codertocat", "reviews")).toHaveLength(1);
  });

  test("a merge dated in the past: the issue opens with a due time already passed, and says so", async () => {
    const snapshot = mergedSnapshot({ mergedAt: "2026-10-01T08:30:00Z" });
    await openPostImplementationReview(octokit(), mergedContext(config(), snapshot));
    const [issue] = store.list("Codertocat", "Hello-World");
    expect(issue!.body).toContain("| **Due** | **2026-10-03T08:30:00Z** (already passed when this issue was opened) |");
    expect(issue!.body).toContain("<!-- change-policy:post-review due=2026-10-03T08:30:00Z from=cto-ciso remind-before-hours=12 -->");
  });

  test("two replicas racing: the newer duplicate is closed and unmarked, the older one wins", async () => {
    // The other replica's issue appears between our look-up and our re-check.
    const other = { title: "Post-implementation review: Stop double charges (#2)", body: `${MARKER}\nother replica`, labels: ["post-implementation-review"] };
    let raced = false;
    store.beforeCreate = (owner, repo) => {
      if (!raced) store.add(owner, repo, other); // #10, created first by the other replica
      raced = true;
    };
    await openPostImplementationReview(octokit(), mergedContext(config()));
    const [winner, loser] = store.list("Codertocat", "Hello-World");
    expect(winner).toMatchObject({ number: 10, state: "open" });
    expect(loser).toMatchObject({ number: 11, state: "closed", state_reason: "not_planned" });
    expect(loser!.body.startsWith("Duplicate of #10")).toBe(true);
    expect(loser!.body).not.toContain("change-policy:");
    expect(store.commentsOn("Codertocat", "Hello-World", 2)[0]).toContain("Codertocat/Hello-World#10");
  });
});

describe("closing the follow-up issue", () => {
  const TERMS = "<!-- change-policy:post-review due=2026-11-26T10:00:00Z from=cto-ciso remind-before-hours=12 -->";
  function closedBy(login: string, closedAt: string, number = 10) {
    const payload = examplePayload("issues", "reopened"); // the examples have no "closed"; same shape
    payload.action = "closed";
    payload.issue.number = number;
    payload.issue.state = "closed";
    payload.issue.closed_at = closedAt;
    payload.issue.body = `${MARKER}\n${TERMS}\nbody`;
    payload.sender.login = login;
    return { id: `d-close-${login}`, name: "issues" as const, payload: payload as never };
  }
  function openIssue() {
    store.add("Codertocat", "Hello-World", { title: "Post-implementation review: Stop double charges (#2)", body: `${MARKER}\n${TERMS}`, state: "closed" });
  }

  test("someone outside the group closes it: the app reopens it and names who may close it", async () => {
    openIssue();
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG);
    github.on("GET", "/orgs/codertocat/teams/security-leads/members?per_page=100", 200, [{ login: "carol" }]);
    await probot.receive(closedBy("Codertocat", "2026-11-25T09:00:00Z"));
    expect(github.calls()).toEqual([
      `GET ${CONFIG_URL}`,
      "GET /orgs/codertocat/teams/security-leads/members?per_page=100",
      "PATCH /repos/Codertocat/Hello-World/issues/10",
      "GET /repos/Codertocat/Hello-World/issues/10/comments?per_page=100",
      "POST /repos/Codertocat/Hello-World/issues/10/comments",
    ]);
    expect(store.get("Codertocat", "Hello-World", 10).state).toBe("open");
    expect(store.commentsOn("Codertocat", "Hello-World", 10)).toEqual([
      "<!-- change-policy:reopened 2026-11-25T09:00:00Z -->\nReopened: @codertocat closed this issue, but only a member of `cto-ciso`: @alice, @dave, team @codertocat/security-leads may complete a post-implementation review (policy §9). Ask one of them to review the change and close the issue.",
    ]);
  });

  test("a group member (via team) closes it before the due time: recorded as on time", async () => {
    openIssue();
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG);
    github.on("GET", "/orgs/codertocat/teams/security-leads/members?per_page=100", 200, [{ login: "carol" }]);
    await probot.receive(closedBy("carol", "2026-11-26T06:40:00Z"));
    expect(store.get("Codertocat", "Hello-World", 10).state).toBe("closed");
    expect(store.commentsOn("Codertocat", "Hello-World", 10)).toEqual([
      "<!-- change-policy:completed 2026-11-26T06:40:00Z -->\nPost-implementation review completed by @carol at 2026-11-26T06:40:00Z: on time (3 h 20 min before the due time 2026-11-26T10:00:00Z).",
    ]);
    expect(github.calls()).not.toContain("PATCH /repos/Codertocat/Hello-World/issues/10");
  });

  test("a listed user closes it late: the comment says how late, once even if delivered twice; a listed user needs no team read", async () => {
    openIssue();
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG);
    await probot.receive(closedBy("alice", "2026-11-26T13:20:00Z"));
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG);
    await probot.receive(closedBy("alice", "2026-11-26T13:20:00Z"));
    expect(store.commentsOn("Codertocat", "Hello-World", 10)).toEqual([
      "<!-- change-policy:completed 2026-11-26T13:20:00Z -->\nPost-implementation review completed by @alice at 2026-11-26T13:20:00Z: late: completed 3 h 20 min after the due time 2026-11-26T10:00:00Z.",
    ]);
    // alice is in the group's `users`: the group's team (security-leads) need not be, and is not, read.
    expect(github.calls()).toEqual([
      `GET ${CONFIG_URL}`,
      "GET /repos/Codertocat/Hello-World/issues/10/comments?per_page=100",
      "POST /repos/Codertocat/Hello-World/issues/10/comments",
      `GET ${CONFIG_URL}`,
      "GET /repos/Codertocat/Hello-World/issues/10/comments?per_page=100",
    ]);
  });

  test("when the policy cannot be read, a close is not accepted (fail closed)", async () => {
    openIssue();
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", "groups: [oops");
    await probot.receive(closedBy("alice", "2026-11-26T08:00:00Z"));
    expect(store.get("Codertocat", "Hello-World", 10).state).toBe("open");
    expect(store.commentsOn("Codertocat", "Hello-World", 10)[0]).toContain("could not verify that they may complete the review (the policy of Codertocat/Hello-World is invalid)");
  });

  test("an ordinary issue being closed costs no API call", async () => {
    const payload = examplePayload("issues", "reopened");
    payload.action = "closed";
    await probot.receive({ id: "d-plain", name: "issues", payload: payload as never });
    expect(github.calls()).toEqual([]);
  });
});
