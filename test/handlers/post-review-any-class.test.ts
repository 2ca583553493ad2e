// Post-implementation review of any class (SPEC §9): a normal class with `post_review` gets the same
// follow-up issue, deadline, reminders, escalation and closing rule as an emergency change.
import nock from "nock";
import type { Probot } from "probot";
import { parseConfigText } from "../../src/config/load.js";
import { clearMembershipCaches } from "../../src/github/membership.js";
import { sweepRepository } from "../../src/services/sweep.js";
import { evaluatePull } from "../../src/policy/evaluate.js";
import { readReviewTerms } from "../../src/policy/post-review.js";
import { expectGitHubSettled, examplePayload, FakeGitHub, TestOctokit, testProbot } from "../helpers/app.js";
import { COMPLETE_BODY, graphqlPull } from "../helpers/graphql-pull.js";
import { pullSnapshot } from "../helpers/pull-snapshot.js";
import { IssueStore } from "../helpers/issue-store.js";

const REVIEWED = "groups:\n  cto-ciso: { users: [alice, dave] }\nclasses:\n  normal:\n    post_review: { within_hours: 72, require: [testing] }\n";
const NOT_REVIEWED = "groups:\n  cto-ciso: { users: [alice, dave] }\n";
const CONFIG_URL = "/repos/Codertocat/Hello-World/contents/.github%2Fchange-policy.yml";
const FOLLOW_UPS = "/repos/Codertocat/Hello-World/issues?state=all&labels=post-implementation-review&sort=created&direction=desc&per_page=100&page=1";
const INCIDENTS = "/repos/Codertocat/Hello-World/issues?state=all&labels=security-incident&sort=created&direction=desc&per_page=100&page=1";
const MARKER = "<!-- change-policy:follow-up Codertocat/Hello-World#2 -->";
const TERMS = "<!-- change-policy:post-review due=2026-11-27T10:00:00Z from=cto-ciso remind-before-hours=12 class=normal -->";

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

function merged(id = "d-merge") {
  const payload = examplePayload("pull_request", "closed");
  payload.pull_request.merged = true;
  payload.pull_request.merged_at = "2026-11-24T10:00:00Z";
  return { id, name: "pull_request" as const, payload: payload as never };
}

/** The policy at the merged PR's base (master, from the event), then the one query. */
function mergeReads(config: string, conclusion: "SUCCESS" | "FAILURE" = "SUCCESS") {
  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", config, "master");
  github.on("POST", "/graphql", 200, graphqlPull({
    title: "Partial refunds",
    files: ["package.json"],
    body: COMPLETE_BODY,
    state: "MERGED",
    mergedAt: "2026-11-24T10:00:00Z",
    mergedBy: "bob",
    check: { id: 7, conclusion, title: conclusion === "SUCCESS" ? "Normal change: all requirements met" : "Normal change: 1 of 7 requirements missing", summary: "" },
  }));
}

describe("a merged normal change whose class has post_review", () => {
  test("the check says a review will follow", () => {
    const config = parseConfigText(REVIEWED, "t.yml");
    if (!config.ok) throw new Error("invalid");
    expect(evaluatePull(config.value, pullSnapshot()).notes).toContain(
      "After the merge, a post-implementation review by `cto-ciso` follows within 72 hours (policy §5.6), documenting `testing`.",
    );
  });

  test("gets one follow-up issue with its class, due time and what is still to document, and one PR comment", async () => {
    mergeReads(REVIEWED);
    await probot.receive(merged("d-1"));
    mergeReads(REVIEWED);
    await probot.receive(merged("d-2")); // a redelivery creates nothing

    expect(github.calls()).toEqual([
      `GET ${CONFIG_URL}?ref=master`,
      "POST /graphql",
      `GET ${FOLLOW_UPS}`,
      "POST /repos/Codertocat/Hello-World/issues",
      `GET ${FOLLOW_UPS}`,
      "GET /repos/Codertocat/Hello-World/issues/2/comments?per_page=100",
      "POST /repos/Codertocat/Hello-World/issues/2/comments",
      `GET ${CONFIG_URL}?ref=master`,
      "POST /graphql",
      `GET ${FOLLOW_UPS}`,
      "GET /repos/Codertocat/Hello-World/issues/2/comments?per_page=100",
    ]);
    const [issue] = store.list("Codertocat", "Hello-World");
    expect(issue).toMatchObject({ title: "Post-implementation review: Partial refunds (#2)", labels: ["post-implementation-review"], assignees: ["alice", "dave"] });
    expect(issue!.body).toContain(`${MARKER}\n${TERMS}\n`);
    expect(issue!.body).toContain(
      "Normal change Codertocat/Hello-World#2 was merged. The Change Management Policy (§5.6) and this repository's policy (`classes.normal.post_review`) require a post-implementation review by `cto-ciso` within 72 hours of the merge.",
    );
    expect(issue!.body).toContain("| Class | normal change |");
    expect(issue!.body).not.toContain("Emergency declared by");
    expect(issue!.body).toContain("| **Due** | **2026-11-27T10:00:00Z** |");
    expect(issue!.body).toContain("- [ ] Testing: missing from the pull request description; write it here");
    expect(readReviewTerms(issue!.body)).toEqual({
      pr: { owner: "Codertocat", repo: "Hello-World", number: 2 },
      due: "2026-11-27T10:00:00Z",
      from: "cto-ciso",
      remindBeforeHours: 12,
      changeClass: "normal",
    });
    expect(store.commentsOn("Codertocat", "Hello-World", 2)).toEqual([
      "<!-- change-policy:follow-up-link Codertocat/Hello-World#10 -->\nThis normal change needs a post-implementation review by **2026-11-27T10:00:00Z**: Codertocat/Hello-World#10 (https://github.com/Codertocat/Hello-World/issues/10).",
    ]);
  });

  test("merged without a passing check: the review follows and the bypass is an incident too", async () => {
    mergeReads(REVIEWED, "FAILURE");
    await probot.receive(merged());
    expect(store.list("Codertocat", "Hello-World").map((i) => [i.title, i.labels])).toEqual([
      ["Post-implementation review: Partial refunds (#2)", ["post-implementation-review"]],
      ["Security incident: Codertocat/Hello-World#2 merged without a passing Change Policy check", ["security-incident"]],
    ]);
    expect(github.calls()).toContain(`GET ${INCIDENTS}`);
  });

  test("a class without post_review gets no follow-up (as before)", async () => {
    mergeReads(NOT_REVIEWED);
    await probot.receive(merged());
    expect(github.calls()).toEqual([`GET ${CONFIG_URL}?ref=master`, "POST /graphql"]);
  });
});

describe("its follow-up issue afterwards", () => {
  const open = () =>
    store.add("Codertocat", "Hello-World", {
      title: "Post-implementation review: Partial refunds (#2)",
      body: `${MARKER}\n${TERMS}\nReview it.`,
      labels: ["post-implementation-review"],
      assignees: ["alice", "dave"],
    });
  const octokit = () => new TestOctokit({ auth: { token: "ghs_test" } } as never);

  test("the sweep reminds before the due time and escalates after it, once each", async () => {
    const issue = open();
    const repo = { owner: "Codertocat", repo: "Hello-World" };
    expect(await sweepRepository(octokit(), repo, { now: new Date("2026-11-27T00:00:00Z") })).toMatchObject([{ result: "reminded" }]);
    expect(await sweepRepository(octokit(), repo, { now: new Date("2026-11-27T13:20:00Z") })).toMatchObject([{ result: "escalated", overdue: true }]);
    expect(await sweepRepository(octokit(), repo, { now: new Date("2026-11-28T00:00:00Z") })).toMatchObject([{ result: "not-due" }]);
    expect(store.get("Codertocat", "Hello-World", issue.number).labels).toContain("overdue");
    expect(store.commentsOn("Codertocat", "Hello-World", issue.number)[1]).toBe(
      "<!-- change-policy:overdue 2026-11-27T10:00:00Z -->\n@alice @dave: this post-implementation review is **overdue** — it was due at 2026-11-27T10:00:00Z (3 h 20 min ago). The policy (§5.6) requires the review within the deadline; complete it and close this issue, and record why it was late.",
    );
  });

  test("closed by someone outside the group: reopened, citing the policy's §5.6", async () => {
    const issue = open();
    issue.state = "closed";
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", REVIEWED);
    const payload = examplePayload("issues", "reopened");
    payload.action = "closed";
    payload.issue.number = issue.number;
    payload.issue.state = "closed";
    payload.issue.closed_at = "2026-11-25T09:00:00Z";
    payload.issue.body = issue.body;
    payload.sender.login = "bob";
    await probot.receive({ id: "d-close", name: "issues", payload: payload as never });
    expect(store.get("Codertocat", "Hello-World", issue.number).state).toBe("open");
    expect(store.commentsOn("Codertocat", "Hello-World", issue.number)).toEqual([
      "<!-- change-policy:reopened 2026-11-25T09:00:00Z -->\nReopened: @bob closed this issue, but only a member of `cto-ciso`: @alice, @dave may complete a post-implementation review (policy §5.6). Ask one of them to review the change and close the issue.",
    ]);
  });
});
