// Independent approvals (`approvals.independent`, SPEC §9): an approval must come from someone who
// did not write the change. Everyone whose GitHub account authored, co-authored (Co-authored-by
// trailer) or committed a commit of the pull request wrote it; a merge commit that only brings
// already-merged code in ("Update branch", `git merge main`) does not make its author one.
import type { Config } from "../config/schema.js";
import type { PullCommit, PullSnapshot } from "./snapshot.js";

export type AuthorshipRole = "authored" | "co-authored" | "committed";

export interface Authorship {
  login: string;
  /** The most direct part this person had: authored before co-authored before committed. */
  role: AuthorshipRole;
  /** The first commit (oldest) in that role. */
  sha: string;
  /** Commits of the PR this person had any part in. */
  commits: number;
}

const ROLE_ORDER: Record<AuthorshipRole, number> = { authored: 0, "co-authored": 1, committed: 2 };

/**
 * A merge commit brings the base branch in when one of its parents is not a commit of the pull
 * request: the PR's commits are exactly those reachable from its head and not from its base, so a
 * parent outside them is code already on the base branch. A merge of two lines of the PR's own work
 * (both parents are PR commits) is authorship like any other commit.
 */
export function bringsBaseIn(commit: PullCommit, prCommits: ReadonlySet<string>): boolean {
  return commit.parents.length >= 2 && commit.parents.some((parent) => !prCommits.has(parent));
}

/** Every GitHub user who wrote part of the pull request, by lower-case login. */
export function contributorsOf(pr: Pick<PullSnapshot, "commits">): Map<string, Authorship> {
  const commits = pr.commits ?? [];
  const shas = new Set(commits.map((c) => c.sha));
  const found = new Map<string, Authorship>();
  const note = (login: string | null, role: AuthorshipRole, sha: string, counted: Set<string>) => {
    if (!login) return;
    const key = login.toLowerCase();
    const known = found.get(key);
    if (!known) found.set(key, { login: key, role, sha, commits: 1 });
    else {
      if (!counted.has(key)) known.commits += 1;
      if (ROLE_ORDER[role] < ROLE_ORDER[known.role]) Object.assign(known, { role, sha });
    }
    counted.add(key);
  };
  for (const commit of commits) {
    if (bringsBaseIn(commit, shas)) continue;
    const counted = new Set<string>();
    note(commit.author, "authored", commit.sha, counted);
    for (const coAuthor of commit.coAuthors) note(coAuthor, "co-authored", commit.sha, counted);
    note(commit.committer, "committed", commit.sha, counted);
  }
  return found;
}

/** "@cto committed 1a2b3c4 to this pull request" (and how many more commits). */
export function describeAuthorship(a: Authorship): string {
  const more = a.commits > 1 ? ` and ${a.commits - 1} more commit${a.commits === 2 ? "" : "s"}` : "";
  const preposition = a.role === "committed" ? "to" : "in";
  return `@${a.login} ${a.role} ${a.sha.slice(0, 7)}${more} ${preposition} this pull request`;
}

/**
 * Why an approval by `login` is not independent, or null when it is (or independence is off).
 * The PR's author is handled by the approval rules themselves (SPEC §2).
 */
export function independenceProblem(config: Config, contributors: ReadonlyMap<string, Authorship>, login: string): string | null {
  if (!config.approvals.independent) return null;
  const authorship = contributors.get(login.toLowerCase());
  return authorship ? `${describeAuthorship(authorship)}; an approval must come from someone who neither authored nor committed the change` : null;
}

/**
 * When GitHub listed fewer commits (or co-authors) than the PR has, some authors are unknown and the
 * independence of approvals cannot be verified: a reason to fail, or null.
 */
export function unverifiableIndependence(config: Config, pr: Pick<PullSnapshot, "commits" | "commitCount">): string | null {
  if (!config.approvals.independent || pr.commits === undefined) return null;
  const listed = pr.commits.length;
  if (pr.commitCount !== undefined && listed < pr.commitCount) {
    return `GitHub lists only ${listed} of this pull request's ${pr.commitCount} commits, so the app cannot verify that no approver wrote one of the others; squash or split the pull request`;
  }
  const partial = pr.commits.find((c) => c.incomplete);
  if (partial) {
    return `commit ${partial.sha.slice(0, 7)} has more co-authors or parents than GitHub lists, so the app cannot verify that no approver wrote it; rewrite it with fewer Co-authored-by trailers`;
  }
  return null;
}

/** Git identities of the PR's commits that map to no GitHub account (they cannot be matched with approvers). */
export function unlinkedIdentities(pr: Pick<PullSnapshot, "commits">): string[] {
  const commits = pr.commits ?? [];
  const shas = new Set(commits.map((c) => c.sha));
  const seen = new Set<string>();
  for (const commit of commits) if (!bringsBaseIn(commit, shas)) for (const id of commit.unlinked ?? []) seen.add(id);
  return [...seen];
}
