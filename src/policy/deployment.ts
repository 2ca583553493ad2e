// The deployment gate (SPEC §8, policy §5.4, §7) as a pure decision: the facts GitHub gave about a
// deployment of commit S go in, `approved` or `rejected` comes out with every reason in plain words.
// Reading those facts is src/github/deployments.ts; the words on GitHub are src/render/deployment.ts.
import type { ChangeClass, DeploymentsConfig } from "../config/schema.js";
import { pathMatcher } from "./classify.js";
import { messageHeadline } from "./incidents.js";

/** A pull request GitHub associates with a deployed commit, as it stood when it was merged. */
export interface PullAtMerge {
  number: number;
  title: string;
  merged: boolean;
  baseRefName: string;
  /**
   * The `Change Policy` check's conclusion on the PR's head when it merged (the ledger's `merge`
   * entry when there is one, else our check run; the app never re-evaluates a closed PR, so its
   * newest run is the one at merge). null: there was no check.
   */
  checkConclusion: string | null;
  /** The class the app gave the change (same sources); null when unknown. */
  changeClass: ChangeClass | null;
}

export interface DeployedCommit {
  sha: string;
  authorName: string | null;
  authorLogin: string | null;
  message: string;
  pulls: PullAtMerge[];
}

/** A change freeze in force for this environment (computed by the caller from the policy's freezes). */
export interface ActiveFreeze {
  name: string;
  /** ISO 8601, as the policy wrote it. */
  until: string;
}

export interface DeploymentFacts {
  environment: string;
  /** The deployed commit S. */
  sha: string;
  defaultBranch: string;
  /** Rule 1: the allowed branch whose head is S or which contains S; null when none does. */
  containingBranch: string | null;
  /** The environment's newest successful deployment; null when there is none (then S alone is brought). */
  previous: { id: number; sha: string } | null;
  /** Rule 2: every commit this deployment brings to the environment (S alone when there is no previous one). */
  commits: DeployedCommit[];
  /** Rule 3: names of the tags pointing at S (only read with require_tag). */
  tags: string[];
  /** Rule 4: lower-case login of who started the deployment (its creator, else the event's sender). */
  deployer: string | null;
  /** Lower-case members of the `deployers` group; null when `deployers` is "" (anyone). */
  deployerGroupMembers: string[] | null;
  /** Rule 5. */
  activeFreezes: ActiveFreeze[];
}

/** A pull request the deployment lets through, named in the approval ("#12 Normal change"). */
export interface ShippedChange {
  number: number;
  title: string;
  changeClass: ChangeClass | null;
}

export interface DeploymentDecision {
  state: "approved" | "rejected";
  environment: string;
  sha: string;
  /** Every reason for a rejection, in plain words; empty when approved. */
  reasons: string[];
  /** The compliant pull requests this deployment brings, in the order their commits arrive. */
  changes: ShippedChange[];
  /** Every commit brought and the pull request that accounts for it (null: none does). */
  commits: { sha: string; pull: number | null }[];
  previousSha: string | null;
  /** Set when the app could not decide (GitHub error, invalid policy): the rejection is fail-closed and a re-run retries. */
  undecided?: true;
}

/** `deployments.branches`, or the repository's default branch when empty. */
export function allowedBranchPatterns(config: Pick<DeploymentsConfig, "branches">, defaultBranch: string): string[] {
  return config.branches.length > 0 ? config.branches : [defaultBranch];
}

export function isAllowedBranch(config: Pick<DeploymentsConfig, "branches">, defaultBranch: string, branch: string): boolean {
  return pathMatcher(allowedBranchPatterns(config, defaultBranch))(branch);
}

/** Does the app decide for this environment (`deployments.environments`, names or globs)? */
export function isGuardedEnvironment(config: Pick<DeploymentsConfig, "environments">, environment: string): boolean {
  return pathMatcher(config.environments)(environment);
}

export function tagMatches(config: Pick<DeploymentsConfig, "tag_pattern">, tag: string): boolean {
  return pathMatcher([config.tag_pattern])(tag);
}

const CLASS_NAMES: Record<ChangeClass, string> = { standard: "Standard change", normal: "Normal change", emergency: "Emergency change" };

export function changeClassName(changeClass: ChangeClass | null): string {
  return changeClass ? CLASS_NAMES[changeClass] : "change";
}

/** The first 7 characters, as git shows a commit. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

type Accounting = { pull: PullAtMerge } | { pull: null; why: string };

/** Which merged, compliant pull request accounts for a commit, or why none does. */
function accountFor(config: Pick<DeploymentsConfig, "branches">, defaultBranch: string, commit: DeployedCommit): Accounting {
  const allowed = (pr: PullAtMerge) => isAllowedBranch(config, defaultBranch, pr.baseRefName);
  const compliant = (pr: PullAtMerge) => pr.checkConclusion === "success" || pr.changeClass === "emergency";
  const found = commit.pulls.find((pr) => pr.merged && allowed(pr) && compliant(pr));
  if (found) return { pull: found };
  const mergedHere = commit.pulls.filter((pr) => pr.merged && allowed(pr));
  if (mergedHere.length > 0) {
    const pr = mergedHere[0]!;
    const check = pr.checkConclusion === null ? "had no `Change Policy` check" : `had its \`Change Policy\` check at ${pr.checkConclusion}`;
    return { pull: null, why: `it belongs to #${pr.number}, which ${check} when it merged and is not an emergency change` };
  }
  const mergedElsewhere = commit.pulls.find((pr) => pr.merged);
  if (mergedElsewhere) return { pull: null, why: `it belongs to #${mergedElsewhere.number}, which was merged into \`${mergedElsewhere.baseRefName}\`, not into a branch that may be deployed` };
  const open = commit.pulls[0];
  if (open) return { pull: null, why: `it belongs to #${open.number}, which is not merged` };
  return { pull: null, why: "no pull request accounts for it" };
}

function describeCommit(commit: DeployedCommit): string {
  const who = commit.authorLogin ? `${commit.authorName ?? commit.authorLogin} (@${commit.authorLogin})` : (commit.authorName ?? "an unknown author");
  return `Commit ${shortSha(commit.sha)} by ${who}, "${messageHeadline(commit.message, 72)}"`;
}

function branchList(patterns: string[]): string {
  return patterns.map((b) => `\`${b}\``).join(", ");
}

/** SPEC §8 rules 1–5: approved only when every one holds; otherwise every failing rule is a reason. */
export function decideDeployment(config: DeploymentsConfig, facts: DeploymentFacts): DeploymentDecision {
  const reasons: string[] = [];
  const branches = allowedBranchPatterns(config, facts.defaultBranch);

  // 1. From version control: S is on a branch that may be deployed.
  if (facts.containingBranch === null) {
    reasons.push(
      `Commit ${shortSha(facts.sha)} is not on a branch that may be deployed: it is neither the head nor an ancestor of ${branchList(branches)} (\`deployments.branches\`).`,
    );
  }

  // 2. Every change went through the process.
  const changes: ShippedChange[] = [];
  const commits: DeploymentDecision["commits"] = [];
  const seen = new Set<number>();
  let allEmergency = true;
  for (const commit of facts.commits) {
    const accounting = accountFor(config, facts.defaultBranch, commit);
    commits.push({ sha: commit.sha, pull: accounting.pull?.number ?? null });
    if (accounting.pull === null) {
      allEmergency = false;
      reasons.push(`${describeCommit(commit)}: ${accounting.why}.`);
      continue;
    }
    if (accounting.pull.changeClass !== "emergency") allEmergency = false;
    if (!seen.has(accounting.pull.number)) {
      seen.add(accounting.pull.number);
      changes.push({ number: accounting.pull.number, title: accounting.pull.title, changeClass: accounting.pull.changeClass });
    }
  }

  // 3. Tagged.
  if (config.require_tag && !facts.tags.some((t) => tagMatches(config, t))) {
    const others = facts.tags.length > 0 ? ` (its tags ${facts.tags.slice(0, 5).map((t) => `\`${t}\``).join(", ")} do not match)` : "";
    reasons.push(`Commit ${shortSha(facts.sha)} carries no tag matching \`${config.tag_pattern}\`${others}; \`deployments.require_tag\` asks for one: tag the release, then deploy the tag.`);
  }

  // 4. By authorised people.
  if (facts.deployerGroupMembers !== null) {
    if (facts.deployer === null) {
      reasons.push(`GitHub did not say who started this deployment, so membership of the \`${config.deployers}\` group (\`deployments.deployers\`) cannot be checked.`);
    } else if (!facts.deployerGroupMembers.includes(facts.deployer.toLowerCase())) {
      reasons.push(`@${facts.deployer}, who started this deployment, is not in the \`${config.deployers}\` group (\`deployments.deployers\`); a member of it must start the deployment.`);
    }
  }

  // 5. No freeze, unless every change brought is an emergency change.
  if (facts.activeFreezes.length > 0 && !allEmergency) {
    const frozen = changes.filter((c) => c.changeClass !== "emergency").map((c) => `#${c.number} (${changeClassName(c.changeClass).toLowerCase()})`);
    const brings = frozen.length > 0 ? `; this deployment brings ${frozen.slice(0, 5).join(", ")}${frozen.length > 5 ? ` and ${frozen.length - 5} more` : ""}` : "";
    for (const freeze of facts.activeFreezes) {
      reasons.push(`Change freeze "${freeze.name}" is in force until ${freeze.until}: only emergency changes may be deployed to ${facts.environment}${brings}.`);
    }
  }

  return {
    state: reasons.length === 0 ? "approved" : "rejected",
    environment: facts.environment,
    sha: facts.sha,
    reasons,
    changes,
    commits,
    previousSha: facts.previous?.sha ?? null,
  };
}

/** Fail closed: the app could not decide, so it rejects, says why, and that a re-run retries. */
export function undecidedDeployment(environment: string, sha: string, reason: string): DeploymentDecision {
  return { state: "rejected", environment, sha, reasons: [reason], changes: [], commits: [], previousSha: null, undecided: true };
}
