import nock from "nock";
import { parseConfigText } from "../../src/config/load.js";
import { openPostImplementationReview } from "../../src/services/follow-up.js";
import { sweepRepository } from "../../src/services/sweep.js";
import { evaluatePull } from "../../src/policy/evaluate.js";
import type { PullSnapshot } from "../../src/policy/snapshot.js";
import { expectGitHubSettled, FakeGitHub, TestOctokit } from "../helpers/app.js";
import { IssueStore } from "../helpers/issue-store.js";

const REPO = { owner: "Codertocat", repo: "Hello-World" };
const LIST_OPEN = "/repos/Codertocat/Hello-World/issues?state=open&labels=post-implementation-review&per_page=100";
const octokit = () => new TestOctokit({ auth: { token: "ghs_test" } } as never);

let github: FakeGitHub;
let store: IssueStore;

beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  github = new FakeGitHub();
  store = new IssueStore(github);
});
afterEach(expectGitHubSettled);
afterAll(() => nock.enableNetConnect());

function followUp(pr: number, due: string, assignees = ["alice", "dave"], labels = ["post-implementation-review"]) {
  return store.add("Codertocat", "Hello-World", {
    title: `Post-implementation review: Fix (#${pr})`,
    body: `<!-- change-policy:follow-up Codertocat/Hello-World#${pr} -->\n<!-- change-policy:post-review due=${due} from=cto-ciso remind-before-hours=12 -->\nReview it.`,
    labels: [...labels],
    assignees,
  });
}

describe("sweeping open follow-up issues", () => {
  test("inside the reminder window: one reminder naming the assignees; a second sweep adds nothing", async () => {
    const issue = followUp(2, "2026-11-26T10:00:00Z");
    const now = new Date("2026-11-25T23:00:00Z");
    const first = await sweepRepository(octokit(), REPO, { now });
    const second = await sweepRepository(octokit(), REPO, { now: new Date("2026-11-26T00:00:00Z") });
    expect(first).toEqual([{ repository: "Codertocat/Hello-World", issue: issue.number, result: "reminded", overdue: false }]);
    expect(second).toEqual([{ repository: "Codertocat/Hello-World", issue: issue.number, result: "already-done", overdue: false }]);
    expect(github.calls()).toEqual([
      `GET ${LIST_OPEN}`,
      `GET /repos/Codertocat/Hello-World/issues/${issue.number}/comments?per_page=100`,
      `POST /repos/Codertocat/Hello-World/issues/${issue.number}/comments`,
      `GET ${LIST_OPEN}`,
      `GET /repos/Codertocat/Hello-World/issues/${issue.number}/comments?per_page=100`,
    ]);
    expect(store.commentsOn("Codertocat", "Hello-World", issue.number)).toEqual([
      "<!-- change-policy:reminder 2026-11-26T10:00:00Z -->\n@alice @dave: reminder — this post-implementation review is due at **2026-11-26T10:00:00Z** (in less than 12 hours). Complete the checklist and close the issue when the review is done.",
    ]);
  });

  test("overdue: the `overdue` label and one escalation naming the assignees; a second sweep makes no call beyond the listing", async () => {
    const issue = followUp(2, "2026-11-26T10:00:00Z");
    await sweepRepository(octokit(), REPO, { now: new Date("2026-11-26T13:20:00Z") });
    const second = await sweepRepository(octokit(), REPO, { now: new Date("2026-11-26T14:20:00Z") });
    expect(second).toEqual([{ repository: "Codertocat/Hello-World", issue: issue.number, result: "not-due", overdue: true }]);
    expect(github.calls()).toEqual([
      `GET ${LIST_OPEN}`,
      `GET /repos/Codertocat/Hello-World/issues/${issue.number}/comments?per_page=100`,
      `POST /repos/Codertocat/Hello-World/issues/${issue.number}/comments`,
      `POST /repos/Codertocat/Hello-World/issues/${issue.number}/labels`,
      `GET ${LIST_OPEN}`,
    ]);
    expect(store.get("Codertocat", "Hello-World", issue.number).labels).toEqual(["post-implementation-review", "overdue"]);
    expect(store.commentsOn("Codertocat", "Hello-World", issue.number)).toEqual([
      "<!-- change-policy:overdue 2026-11-26T10:00:00Z -->\n@alice @dave: this post-implementation review is **overdue** — it was due at 2026-11-26T10:00:00Z (3 h 20 min ago). The policy (§9) requires the CTO/CISO review within the deadline; complete it and close this issue, and record why it was late.",
    ]);
  });

  test("an escalation whose label write failed is not repeated: the next sweep finds the comment and only adds the label", async () => {
    const issue = followUp(2, "2026-11-26T10:00:00Z");
    store.comments.set(`Codertocat/Hello-World#${issue.number}`, [{ id: 1, body: "<!-- change-policy:overdue 2026-11-26T10:00:00Z -->\nearlier" }]);
    const outcome = await sweepRepository(octokit(), REPO, { now: new Date("2026-11-27T10:00:00Z") });
    expect(outcome[0]!.result).toBe("already-done");
    expect(store.commentsOn("Codertocat", "Hello-World", issue.number)).toHaveLength(1);
    expect(store.get("Codertocat", "Hello-World", issue.number).labels).toContain("overdue");
  });

  test("not yet in the reminder window, or labelled by hand without markers: nothing but the listing", async () => {
    followUp(2, "2026-11-28T10:00:00Z");
    store.add("Codertocat", "Hello-World", { title: "hand-made", body: "no markers", labels: ["post-implementation-review"] });
    const outcomes = await sweepRepository(octokit(), REPO, { now: new Date("2026-11-25T10:00:00Z") });
    expect(outcomes.map((o) => o.result)).toEqual(["not-due"]);
    expect(github.calls()).toEqual([`GET ${LIST_OPEN}`]);
  });

  test("a merge dated in the past: the issue is opened, and the next sweep escalates it at once without a reminder", async () => {
    const config = parseConfigText("groups:\n  cto-ciso: { users: [alice] }\n", "test");
    if (!config.ok) throw new Error("bad config");
    const snapshot: PullSnapshot = {
      repository: { owner: "Codertocat", name: "Hello-World", private: true },
      number: 7, title: "Old hotfix", body: "", author: "codertocat", draft: false, state: "merged", headSha: "abc", baseRef: "master",
      labels: ["emergency"], labelEvents: [{ label: "emergency", actor: "oncall", createdAt: "2026-09-01T00:00:00Z" }], files: ["a.ts"],
      reviews: [], assignees: [], permissions: {}, groups: { "cto-ciso": ["alice"] }, mergedAt: "2026-09-01T08:00:00Z", mergedBy: "bob",
    };
    const now = new Date("2026-11-24T12:00:00Z");
    const silent = { info: () => {}, warn: () => {} };
    await openPostImplementationReview(octokit(), { config: config.value, snapshot, verdict: evaluatePull(config.value, snapshot), check: null, now, log: silent as never });
    const [issue] = store.list("Codertocat", "Hello-World");
    const outcomes = await sweepRepository(octokit(), REPO, { now });
    expect(outcomes).toEqual([{ repository: "Codertocat/Hello-World", issue: issue!.number, result: "escalated", overdue: true }]);
    const comments = store.commentsOn("Codertocat", "Hello-World", issue!.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]).toContain("@alice: this post-implementation review is **overdue** — it was due at 2026-09-03T08:00:00Z (82 d 4 h ago)");
  });
});
