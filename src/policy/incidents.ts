// Unauthorized changes (policy §7, §12; SPEC §4) as pure decisions: which branches are watched,
// which pushed commits did not arrive through a merged pull request, where incidents are filed and
// the hidden markers that make each incident unique.
import type { Config } from "../config/schema.js";
import { pathMatcher } from "./classify.js";
import { followUpRepository } from "./post-review.js";

import type { RepoRef } from "./refs.js";

/** A pull request GitHub associates with a commit. */
export interface AssociatedPull {
  number: number;
  merged: boolean;
  baseRefName: string;
  mergeCommitOid: string | null;
}

export interface PushedCommit {
  sha: string;
  message: string;
  authorName: string;
  authorLogin: string | null;
  url: string;
}

/** `incidents.branches` (globs such as `release/*` allowed); empty means the repository's default branch. */
export function isWatchedBranch(config: Pick<Config, "incidents">, branch: string, defaultBranch: string): boolean {
  const branches = config.incidents.branches;
  if (branches.length === 0) return branch === defaultBranch;
  return pathMatcher(branches)(branch);
}

/**
 * A commit arrived legitimately when GitHub associates it with a pull request that was merged into
 * this very branch: the PR's own commits, its merge commit, its squash commit and its rebased
 * commits all are. A PR merged into another branch does not authorise a push to this one — except
 * when the push creates the branch (cutting `release/1.2` from `main`), where the commits it starts
 * from were reviewed on their way into the branch they come from.
 */
export function unauthorizedCommits(
  branch: string,
  commits: PushedCommit[],
  associations: ReadonlyMap<string, AssociatedPull[]>,
  options: { branchCreated?: boolean } = {},
): PushedCommit[] {
  const accounts = (pr: AssociatedPull) => pr.merged && (options.branchCreated === true || pr.baseRefName === branch);
  return commits.filter((commit) => !(associations.get(commit.sha) ?? []).some(accounts));
}

/** Where incident issues go: `incidents.repository` ("repo" or "owner/repo"), else where it happened (same rule as follow-ups). */
export function incidentRepository(config: Pick<Config, "incidents">, where: RepoRef): RepoRef {
  return followUpRepository(config.incidents, where);
}

/** One push = one incident: the same delivery twice, or two replicas, find this marker first. */
export function pushIncidentMarker(where: RepoRef, afterSha: string): string {
  return `<!-- change-policy:incident push ${where.owner}/${where.repo}@${afterSha} -->`;
}

/** One bypassed merge = one incident. */
export function bypassIncidentMarker(where: RepoRef, number: number): string {
  return `<!-- change-policy:incident bypass ${where.owner}/${where.repo}#${number} -->`;
}

export type IncidentRef = { kind: "push"; owner: string; repo: string; sha: string } | { kind: "bypass"; owner: string; repo: string; number: number };

const MARKER_PREFIX = "<!-- change-policy:incident ";
const REPO_PART = /^([A-Za-z0-9-]{1,39})\/([A-Za-z0-9_.-]{1,100})$/;

/** Reads an incident marker back from an issue body (the audit report uses it); null when absent. */
export function readIncidentMarker(body: string | null | undefined): IncidentRef | null {
  if (!body) return null;
  const start = body.indexOf(MARKER_PREFIX);
  if (start < 0) return null;
  const end = body.indexOf(" -->", start);
  if (end < 0 || end - start > 300) return null;
  const [kind, ref] = body.slice(start + MARKER_PREFIX.length, end).trim().split(" ");
  if (!ref) return null;
  if (kind === "push") {
    const at = ref.lastIndexOf("@");
    const repo = REPO_PART.exec(ref.slice(0, at));
    const sha = ref.slice(at + 1);
    return at > 0 && repo && /^[0-9a-f]{40}$/.test(sha) ? { kind, owner: repo[1]!, repo: repo[2]!, sha } : null;
  }
  if (kind === "bypass") {
    const hash = ref.lastIndexOf("#");
    const repo = REPO_PART.exec(ref.slice(0, hash));
    const number = Number(ref.slice(hash + 1));
    return hash > 0 && repo && Number.isInteger(number) && number > 0 ? { kind, owner: repo[1]!, repo: repo[2]!, number } : null;
  }
  return null;
}

/** The first line of a commit message, cut to a readable length. */
export function messageHeadline(message: string, max = 100): string {
  const line = message.split("\n", 1)[0]!.trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The all-zero sha GitHub sends as `before` of a branch's first push (and `after` of its deletion). */
export function isZeroSha(sha: string): boolean {
  return /^0+$/.test(sha);
}
