import { parseConfigText } from "../../src/config/load.js";
import { defaultConfig, type Config } from "../../src/config/schema.js";
import { evaluateApproval, reviewerStandings } from "../../src/policy/approvals.js";
import type { PullSnapshot, Review } from "../../src/policy/snapshot.js";
import { pullSnapshot, review } from "../helpers/pull-snapshot.js";

const OLD_SHA = "b".repeat(40);
const WRITERS = { alice: "write", bob: "admin", carol: "maintain", ciso: "write", cto: "write" } as const;

function pr(reviews: Review[], overrides: Partial<PullSnapshot> = {}): PullSnapshot {
  return pullSnapshot({ reviews, permissions: { ...WRITERS }, groups: { "cto-ciso": ["ciso", "cto"] }, ...overrides });
}

function keep(): Config {
  const result = parseConfigText("approvals: { stale: keep }\n", "t.yml");
  if (!result.ok) throw new Error("bad config");
  return result.value;
}

function peers(snapshot: PullSnapshot, count = 1, config = defaultConfig()) {
  return evaluateApproval({ count }, reviewerStandings(config, snapshot), snapshot);
}

describe("which review counts (SPEC §2)", () => {
  test.each<[string, Review[], string[]]>([
    ["one approval on the head commit", [review("alice", "APPROVED", 1)], ["alice"]],
    ["a later comment does not change an approval", [review("alice", "APPROVED", 1), review("alice", "COMMENTED", 2)], ["alice"]],
    ["a later CHANGES_REQUESTED cancels the approval", [review("alice", "APPROVED", 1), review("alice", "CHANGES_REQUESTED", 2)], []],
    ["an approval after CHANGES_REQUESTED counts", [review("alice", "CHANGES_REQUESTED", 1), review("alice", "APPROVED", 2)], ["alice"]],
    ["a dismissed approval does not count", [review("alice", "APPROVED", 1, { state: "DISMISSED" })], []],
    ["a pending review does not count", [review("alice", "PENDING", 1)], []],
    ["order is by submission time, not list order", [review("alice", "APPROVED", 5), review("alice", "CHANGES_REQUESTED", 1)], ["alice"]],
    ["the author's own approval never counts", [review("author", "APPROVED", 1)], []],
    ["a bot's approval never counts", [review("renovate[bot]", "APPROVED", 1, { authorIsBot: true })], []],
    ["a bot flagged only by authorIsBot", [review("ci-helper", "APPROVED", 1, { authorIsBot: true })], []],
    ["no write access (read)", [review("outsider", "APPROVED", 1)], []],
    ["a deleted account (ghost)", [review("alice", "APPROVED", 1, { author: null })], []],
    ["reviewer logins are case-insensitive", [review("Alice", "APPROVED", 1), review("alice", "COMMENTED", 2)], ["alice"]],
  ])("%s", (_name, reviews, approvers) => {
    const result = peers(pr(reviews, { permissions: { ...WRITERS, outsider: "read", "ci-helper": "write", "renovate[bot]": "write", author: "admin" } }));
    expect(result.approvers).toEqual(approvers);
    expect(result.met).toBe(approvers.length > 0);
  });

  test("standings say why a review cannot count", () => {
    const snapshot = pr(
      [
        review("author", "APPROVED", 1),
        review("dependabot[bot]", "APPROVED", 2, { authorIsBot: true }),
        review("outsider", "APPROVED", 3),
        review("triager", "APPROVED", 4),
        review("alice", "APPROVED", 5, { commitId: OLD_SHA }),
        review("bob", "APPROVED", 6),
      ],
      { permissions: { ...WRITERS, triager: "triage", author: "write", "dependabot[bot]": "write" } },
    );
    expect(reviewerStandings(defaultConfig(), snapshot).map((s) => [s.login, s.ineligible, s.notCounting])).toEqual([
      ["author", "is the author of the pull request", "is the author of the pull request"],
      ["dependabot[bot]", "is a bot", "is a bot"],
      ["outsider", "has no write access to the repository (permission: none)", "has no write access to the repository (permission: none)"],
      ["triager", "has no write access to the repository (permission: triage)", "has no write access to the repository (permission: triage)"],
      ["alice", null, "given on an older commit (bbbbbbb); approvals must be on the head commit"],
      ["bob", null, null],
    ]);
  });
});

describe("stale approvals", () => {
  const reviews = [review("alice", "APPROVED", 1, { commitId: OLD_SHA })];

  test("stale: dismiss (default) — an approval on an older commit does not count", () => {
    expect(peers(pr(reviews))).toEqual({ met: false, approvers: [], blockers: [], eligible: null });
  });

  test("stale: keep — it still counts", () => {
    expect(peers(pr(reviews), 1, keep())).toEqual({ met: true, approvers: ["alice"], blockers: [], eligible: null });
  });

  test("stale: dismiss — an approval with an unknown commit does not count", () => {
    expect(peers(pr([review("alice", "APPROVED", 1, { commitId: null })])).met).toBe(false);
  });

  test("re-approving on the head commit counts again", () => {
    expect(peers(pr([...reviews, review("alice", "APPROVED", 2)])).approvers).toEqual(["alice"]);
  });
});

describe("{count, from}", () => {
  test("{count: 2} needs two different eligible reviewers", () => {
    expect(peers(pr([review("alice", "APPROVED", 1)]), 2).met).toBe(false);
    expect(peers(pr([review("alice", "APPROVED", 1), review("alice", "APPROVED", 2)]), 2).met).toBe(false);
    expect(peers(pr([review("alice", "APPROVED", 1), review("bob", "APPROVED", 2)]), 2)).toEqual({
      met: true,
      approvers: ["alice", "bob"],
      blockers: [],
      eligible: null,
    });
  });

  test("{count: 1, from: cto-ciso} needs a member of the group", () => {
    const fromCiso = (snapshot: PullSnapshot) => evaluateApproval({ count: 1, from: "cto-ciso" }, reviewerStandings(defaultConfig(), snapshot), snapshot);
    expect(fromCiso(pr([review("alice", "APPROVED", 1)]))).toEqual({ met: false, approvers: [], blockers: [], eligible: ["ciso", "cto"] });
    expect(fromCiso(pr([review("alice", "APPROVED", 1), review("ciso", "APPROVED", 2)]))).toEqual({
      met: true,
      approvers: ["ciso"],
      blockers: [],
      eligible: ["ciso", "cto"],
    });
  });

  test("a group member who is the author cannot approve their own PR and is not listed as eligible", () => {
    const snapshot = pr([review("ciso", "APPROVED", 1)], { author: "ciso" });
    expect(evaluateApproval({ count: 1, from: "cto-ciso" }, reviewerStandings(defaultConfig(), snapshot), snapshot)).toEqual({
      met: false,
      approvers: [],
      blockers: [],
      eligible: ["cto"],
    });
  });

  test("a group member without write access does not count", () => {
    const snapshot = pr([review("ciso", "APPROVED", 1)], { permissions: { ciso: "read" } });
    expect(evaluateApproval({ count: 1, from: "cto-ciso" }, reviewerStandings(defaultConfig(), snapshot), snapshot).met).toBe(false);
  });

  test("an empty group can never be met", () => {
    const snapshot = pr([review("alice", "APPROVED", 1)], { groups: {} });
    expect(evaluateApproval({ count: 1, from: "cto-ciso" }, reviewerStandings(defaultConfig(), snapshot), snapshot)).toEqual({
      met: false,
      approvers: [],
      blockers: [],
      eligible: [],
    });
  });
});

describe("CHANGES_REQUESTED blocks", () => {
  const cisoAsks = [review("alice", "APPROVED", 1), review("cto", "APPROVED", 2), review("ciso", "CHANGES_REQUESTED", 3)];

  test("a group member's CHANGES_REQUESTED blocks that group's requirement even with enough approvals", () => {
    const snapshot = pr(cisoAsks);
    expect(evaluateApproval({ count: 1, from: "cto-ciso" }, reviewerStandings(defaultConfig(), snapshot), snapshot)).toEqual({
      met: false,
      approvers: ["cto"],
      blockers: ["ciso"],
      eligible: ["ciso", "cto"],
    });
  });

  test("it also blocks the peer requirement (anyone's changes request does)", () => {
    expect(peers(pr(cisoAsks))).toMatchObject({ met: false, blockers: ["ciso"] });
  });

  test("a non-member's CHANGES_REQUESTED does not block a group requirement", () => {
    const snapshot = pr([review("cto", "APPROVED", 1), review("alice", "CHANGES_REQUESTED", 2)]);
    expect(evaluateApproval({ count: 1, from: "cto-ciso" }, reviewerStandings(defaultConfig(), snapshot), snapshot).met).toBe(true);
  });

  test("CHANGES_REQUESTED from someone without write access blocks nothing", () => {
    expect(peers(pr([review("alice", "APPROVED", 1), review("outsider", "CHANGES_REQUESTED", 2)])).met).toBe(true);
  });

  test("dismissed, or superseded by an approval, it stops blocking", () => {
    expect(peers(pr([review("alice", "APPROVED", 1), review("bob", "CHANGES_REQUESTED", 2, { state: "DISMISSED" })])).met).toBe(true);
    expect(peers(pr([review("alice", "APPROVED", 1), review("bob", "CHANGES_REQUESTED", 2), review("bob", "APPROVED", 3)])).met).toBe(true);
  });

  test("a comment after CHANGES_REQUESTED does not lift it", () => {
    expect(peers(pr([review("alice", "APPROVED", 1), review("bob", "CHANGES_REQUESTED", 2), review("bob", "COMMENTED", 3)])).met).toBe(false);
  });
});
