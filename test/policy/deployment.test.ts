import { defaultConfig, type DeploymentsConfig } from "../../src/config/schema.js";
import {
  decideDeployment,
  isGuardedEnvironment,
  undecidedDeployment,
  type DeployedCommit,
  type DeploymentFacts,
  type PullAtMerge,
} from "../../src/policy/deployment.js";

const S = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";
const PREVIOUS = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432";

function config(overrides: Partial<DeploymentsConfig> = {}): DeploymentsConfig {
  return { ...defaultConfig().deployments, ...overrides };
}

function pull(number: number, overrides: Partial<PullAtMerge> = {}): PullAtMerge {
  return { number, title: `Change ${number}`, merged: true, baseRefName: "main", checkConclusion: "success", changeClass: "normal", ...overrides };
}

function commit(sha: string, pulls: PullAtMerge[], message = `Commit ${sha.slice(0, 4)}\n\nbody`): DeployedCommit {
  return { sha, authorName: "Alice Doe", authorLogin: "alice", message, pulls };
}

function facts(overrides: Partial<DeploymentFacts> = {}): DeploymentFacts {
  return {
    environment: "production",
    sha: S,
    defaultBranch: "main",
    containingBranch: "main",
    previous: { id: 41, sha: PREVIOUS },
    commits: [commit("aaaa000000000000000000000000000000000000", [pull(12)]), commit(S, [pull(13, { changeClass: "standard" })])],
    tags: ["v1.4.0"],
    deployer: "dora",
    deployerGroupMembers: null,
    activeFreezes: [],
    ...overrides,
  };
}

test("every rule holds: approved, naming the changes it brings in order, each commit accounted for", () => {
  const decision = decideDeployment(config(), facts());
  expect(decision).toEqual({
    state: "approved",
    environment: "production",
    sha: S,
    reasons: [],
    changes: [
      { number: 12, title: "Change 12", changeClass: "normal" },
      { number: 13, title: "Change 13", changeClass: "standard" },
    ],
    commits: [
      { sha: "aaaa000000000000000000000000000000000000", pull: 12 },
      { sha: S, pull: 13 },
    ],
    previousSha: PREVIOUS,
  });
});

// One row per SPEC §8 rule: the facts that break it and the reason the deployer reads.
test.each<[string, Partial<DeploymentsConfig>, Partial<DeploymentFacts>, string]>([
  [
    "1: S is on no allowed branch",
    {},
    { containingBranch: null },
    "Commit 1a2b3c4 is not on a branch that may be deployed: it is neither the head nor an ancestor of `main` (`deployments.branches`).",
  ],
  [
    "1: configured branches are named",
    { branches: ["main", "release/*"] },
    { containingBranch: null },
    "Commit 1a2b3c4 is not on a branch that may be deployed: it is neither the head nor an ancestor of `main`, `release/*` (`deployments.branches`).",
  ],
  [
    "2: a commit pushed without a pull request",
    {},
    { commits: [commit(S, [], "Hotfix straight on main\n\nno review")] },
    'Commit 1a2b3c4 by Alice Doe (@alice), "Hotfix straight on main": no pull request accounts for it.',
  ],
  [
    "2: a PR whose check failed at merge (an admin bypass)",
    {},
    { commits: [commit(S, [pull(14, { checkConclusion: "failure" })])] },
    'Commit 1a2b3c4 by Alice Doe (@alice), "Commit 1a2b": it belongs to #14, which had its `Change Policy` check at failure when it merged and is not an emergency change.',
  ],
  [
    "2: a PR merged with no check at all",
    {},
    { commits: [commit(S, [pull(14, { checkConclusion: null, changeClass: null })])] },
    'Commit 1a2b3c4 by Alice Doe (@alice), "Commit 1a2b": it belongs to #14, which had no `Change Policy` check when it merged and is not an emergency change.',
  ],
  [
    "2: a PR merged into another branch",
    {},
    { commits: [commit(S, [pull(15, { baseRefName: "develop" })])] },
    'Commit 1a2b3c4 by Alice Doe (@alice), "Commit 1a2b": it belongs to #15, which was merged into `develop`, not into a branch that may be deployed.',
  ],
  [
    "2: a PR that is not merged",
    {},
    { commits: [commit(S, [pull(16, { merged: false })])] },
    'Commit 1a2b3c4 by Alice Doe (@alice), "Commit 1a2b": it belongs to #16, which is not merged.',
  ],
  [
    "3: require_tag and no tag on S",
    { require_tag: true },
    { tags: [] },
    "Commit 1a2b3c4 carries no tag matching `v*`; `deployments.require_tag` asks for one: tag the release, then deploy the tag.",
  ],
  [
    "3: require_tag and only tags that do not match",
    { require_tag: true, tag_pattern: "release-*" },
    { tags: ["v1.4.0", "nightly"] },
    "Commit 1a2b3c4 carries no tag matching `release-*` (its tags `v1.4.0`, `nightly` do not match); `deployments.require_tag` asks for one: tag the release, then deploy the tag.",
  ],
  [
    "4: a deployer outside the group",
    { deployers: "release-managers" },
    { deployer: "mallory", deployerGroupMembers: ["dora"] },
    "@mallory, who started this deployment, is not in the `release-managers` group (`deployments.deployers`); a member of it must start the deployment.",
  ],
  [
    "4: nobody known started it",
    { deployers: "release-managers" },
    { deployer: null, deployerGroupMembers: ["dora"] },
    "GitHub did not say who started this deployment, so membership of the `release-managers` group (`deployments.deployers`) cannot be checked.",
  ],
  [
    "5: a freeze and a normal change",
    {},
    { activeFreezes: [{ name: "Year-end freeze", until: "2027-01-04T00:00:00Z" }] },
    'Change freeze "Year-end freeze" is in force until 2027-01-04T00:00:00Z: only emergency changes may be deployed to production; this deployment brings #12 (normal change), #13 (standard change).',
  ],
])("rule %s → rejected with that reason", (_rule, configured, changed, reason) => {
  const decision = decideDeployment(config(configured), facts(changed));
  expect(decision.state).toBe("rejected");
  expect(decision.reasons).toEqual([reason]);
});

test.each<[string, Partial<DeploymentsConfig>, Partial<DeploymentFacts>]>([
  ["1: S on a release branch allowed by a glob", { branches: ["release/*"] }, { containingBranch: "release/1.4", commits: [commit(S, [pull(12, { baseRefName: "release/1.4" })])] }],
  ["2: an emergency change merged with a failing check (it has its follow-up)", {}, { commits: [commit(S, [pull(12, { checkConclusion: "failure", changeClass: "emergency" })])] }],
  ["2: the compliant PR is found among several associated ones", {}, { commits: [commit(S, [pull(11, { merged: false }), pull(12)])] }],
  ["2: a redeploy of the same commit brings nothing", {}, { commits: [] }],
  ["3: require_tag and a matching tag", { require_tag: true }, { tags: ["nightly", "v2.0.0"] }],
  ["4: a member of the group, whatever the case of the login", { deployers: "release-managers" }, { deployer: "Dora", deployerGroupMembers: ["dora"] }],
  [
    "5: a freeze, and only emergency changes brought",
    {},
    { activeFreezes: [{ name: "Year-end freeze", until: "2027-01-04T00:00:00Z" }], commits: [commit(S, [pull(12, { changeClass: "emergency" })])] },
  ],
])("rule %s → approved", (_rule, configured, changed) => {
  expect(decideDeployment(config(configured), facts(changed))).toMatchObject({ state: "approved", reasons: [] });
});

test("several rules broken at once: every reason, in rule order, each commit named once", () => {
  const decision = decideDeployment(
    config({ require_tag: true, deployers: "release-managers" }),
    facts({
      containingBranch: null,
      commits: [commit("bbbb000000000000000000000000000000000000", [pull(12)]), commit(S, [], "Quick fix")],
      tags: [],
      deployer: "mallory",
      deployerGroupMembers: ["dora"],
      activeFreezes: [{ name: "Year-end freeze", until: "2027-01-04T00:00:00Z" }],
    }),
  );
  expect(decision.state).toBe("rejected");
  expect(decision.reasons.map((r) => r.slice(0, 40))).toEqual([
    "Commit 1a2b3c4 is not on a branch that m",
    'Commit 1a2b3c4 by Alice Doe (@alice), "Q',
    "Commit 1a2b3c4 carries no tag matching `",
    "@mallory, who started this deployment, i",
    'Change freeze "Year-end freeze" is in fo',
  ]);
  expect(decision.changes).toEqual([{ number: 12, title: "Change 12", changeClass: "normal" }]);
  expect(decision.commits).toEqual([
    { sha: "bbbb000000000000000000000000000000000000", pull: 12 },
    { sha: S, pull: null },
  ]);
});

test("a freeze with an unaccounted commit and no PR at all still names the freeze", () => {
  const decision = decideDeployment(config(), facts({ commits: [commit(S, [])], activeFreezes: [{ name: "Release", until: "2026-12-01T00:00:00Z" }] }));
  expect(decision.reasons[1]).toBe('Change freeze "Release" is in force until 2026-12-01T00:00:00Z: only emergency changes may be deployed to production.');
});

test.each([
  [["production"], "production", true],
  [["production"], "staging", false],
  [["prod-*"], "prod-eu", true],
  [[], "production", false],
])("environments %j guard %s: %s", (environments, environment, guarded) => {
  expect(isGuardedEnvironment({ environments }, environment)).toBe(guarded);
});

test("an undecided deployment is a rejection that says so", () => {
  expect(undecidedDeployment("production", S, "GitHub had an internal error (502).")).toEqual({
    state: "rejected",
    environment: "production",
    sha: S,
    reasons: ["GitHub had an internal error (502)."],
    changes: [],
    commits: [],
    previousSha: null,
    undecided: true,
  });
});
