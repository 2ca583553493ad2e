// What SPEC §9 adds to the evaluation's one GraphQL query (src/github/snapshot.ts PULL_FIELDS), and
// its conversion into the snapshot: the PR's commits with their authors, committers, co-authors and
// parents (independent approvals), and the head commit's check runs and commit statuses (required
// checks). Pages beyond the first (more than 100 commits or checks, rare) are further small queries.
//
// Cost, in GitHub's GraphQL rate-limit formula (one "request" per connection per parent object,
// 100 requests = 1 point): the PR query was 17 requests (1 point); `commits(last: 100)` with two
// nested connections (authors, parents) and the rollup's contexts make it 219 (2 points). `last: 50`
// would halve the addition, at the price of a second query for PRs with more than 50 commits. The
// audit's search leaves both out (`$withDepth: false`): with them a page of 25 PRs costs 55 points.
import type { HeadCheck, PullCommit, PullSnapshotDepth } from "../policy/snapshot.js";
import type { GitHubClient } from "./client.js";
import type { PullRef } from "./types.js";

// GitHub caps the commits it lists for a pull request; past 500 the list is incomplete and independence
// fails closed (src/policy/independence.ts).
const MAX_COMMIT_PAGES = 5;
const MAX_CHECK_PAGES = 10;
// GitHub's own identity for commits made in its web interface (merges, suggestions): not a person.
const GITHUB_NOREPLY = "noreply@github.com";

export const POLICY_COMMIT_FIELDS = /* GraphQL */ `
  fragment PolicyCommitFields on Commit {
    oid
    author { name email user { login } }
    committer { name email user { login } }
    authors(first: 10) { totalCount nodes { name email user { login } } }
    parents(first: 5) { totalCount nodes { oid } }
  }
`;

export const CHECK_CONTEXT_FIELDS = /* GraphQL */ `
  fragment CheckContextFields on StatusCheckRollupContext {
    __typename
    ... on CheckRun { name status conclusion checkSuite { app { slug } } }
    ... on StatusContext { context state }
  }
`;

/**
 * Fragments spread by PULL_FIELDS: `...PullCommitHistory` on the pull request and
 * `...HeadCommitChecks` on its head commit (the `commits(last: 1)` node).
 */
export const PULL_EXTRA_FRAGMENTS = /* GraphQL */ `
  fragment PullCommitHistory on PullRequest {
    commitHistory: commits(last: 100) {
      totalCount
      pageInfo { hasPreviousPage startCursor }
      nodes { commit { ...PolicyCommitFields } }
    }
  }
  fragment HeadCommitChecks on Commit {
    statusCheckRollup {
      contexts(first: 100) {
        pageInfo { hasNextPage endCursor }
        nodes { ...CheckContextFields }
      }
    }
  }
  ${POLICY_COMMIT_FIELDS}
  ${CHECK_CONTEXT_FIELDS}
`;

export const PULL_COMMITS_PAGE_QUERY = /* GraphQL */ `
  query PullCommitsPage($owner: String!, $repo: String!, $number: Int!, $before: String!) {
    repository(owner: $owner, name: $repo) {
      pullRequest(number: $number) {
        commits(last: 100, before: $before) {
          pageInfo { hasPreviousPage startCursor }
          nodes { commit { ...PolicyCommitFields } }
        }
      }
    }
  }
  ${POLICY_COMMIT_FIELDS}`;

export const HEAD_CHECKS_PAGE_QUERY = /* GraphQL */ `
  query HeadChecksPage($owner: String!, $repo: String!, $sha: GitObjectID!, $after: String!) {
    repository(owner: $owner, name: $repo) {
      object(oid: $sha) {
        ... on Commit {
          statusCheckRollup {
            contexts(first: 100, after: $after) {
              pageInfo { hasNextPage endCursor }
              nodes { ...CheckContextFields }
            }
          }
        }
      }
    }
  }
  ${CHECK_CONTEXT_FIELDS}`;

interface GitActorNode {
  name: string | null;
  email: string | null;
  user: { login: string } | null;
}
export interface CommitNode {
  oid: string;
  author: GitActorNode | null;
  committer: GitActorNode | null;
  authors: { totalCount: number; nodes: GitActorNode[] };
  parents: { totalCount: number; nodes: { oid: string }[] };
}
interface CommitPage {
  pageInfo: { hasPreviousPage: boolean; startCursor: string | null };
  nodes: { commit: CommitNode }[];
}
type ContextNode =
  | { __typename: "CheckRun"; name: string; status: string; conclusion: string | null; checkSuite: { app: { slug: string } | null } | null }
  | { __typename: "StatusContext"; context: string; state: string };
interface ContextPage {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: (ContextNode | null)[];
}

/** The fields PULL_EXTRA_FRAGMENTS adds to a pull request node (absent in answers that predate them). */
export interface PullNodeExtras {
  commitHistory?: CommitPage & { totalCount: number };
}
/** The fields HeadCommitChecks adds to the head commit node. */
export interface HeadCommitExtras {
  /** `unreadable`: GitHub refused this part of the answer (see queryPullTolerantly). */
  statusCheckRollup?: { contexts: ContextPage } | { unreadable: string } | null;
}

/**
 * Runs the PR query, accepting an answer whose only errors are on the head commit's status rollup.
 * Reading commit statuses needs the `statuses: read` permission, which installations accept only
 * after an app update asks for it; until then GitHub answers that field with an error. The rest of
 * the answer is good, so only required checks fail (saying what to do), instead of every evaluation.
 */
export async function queryPullTolerantly<T>(octokit: GitHubClient, query: string, variables: Record<string, unknown>): Promise<T> {
  try {
    return await octokit.graphql<T>(query, variables);
  } catch (error) {
    const answer = error as { errors?: { type?: string; path?: (string | number)[]; message?: string }[]; data?: unknown };
    const errors = Array.isArray(answer.errors) ? answer.errors : [];
    const onRollup = (e: (typeof errors)[number]) => Array.isArray(e.path) && e.path.includes("statusCheckRollup");
    // A policy team whose organisation does not exist (a typo, a personal account) has no members;
    // the check then names the group to fix (src/github/snapshot.ts asks for teams as t0, t1, …).
    const missingTeam = (e: (typeof errors)[number]) => e.type === "NOT_FOUND" && typeof e.path?.[0] === "string" && /^t\d+$/.test(e.path[0]);
    const tolerated = errors.length > 0 && errors.every((e) => onRollup(e) || missingTeam(e));
    if (!tolerated || !answer.data || typeof answer.data !== "object") throw error;
    for (const e of errors) if (onRollup(e)) markUnreadable(answer.data, e.path!, e.message ?? "refused");
    return answer.data as T;
  }
}

function markUnreadable(data: unknown, path: (string | number)[], message: string): void {
  let node: unknown = data;
  for (const key of path) {
    if (node === null || typeof node !== "object") return;
    if (key === "statusCheckRollup") {
      (node as Record<string, unknown>).statusCheckRollup = { unreadable: message.slice(0, 200) };
      return;
    }
    node = (node as Record<string | number, unknown>)[key];
  }
}

/** Commits and head checks for the snapshot; reads further pages only when GitHub has more. */
export async function readPolicyDepth(
  octokit: GitHubClient,
  pull: PullRef,
  pr: PullNodeExtras & { headRefOid: string; commits: { nodes: { commit: { oid: string } & HeadCommitExtras }[] } },
): Promise<PullSnapshotDepth> {
  const depth: PullSnapshotDepth = {};
  if (pr.commitHistory) {
    const pages: CommitNode[][] = [pr.commitHistory.nodes.map((n) => n.commit)];
    let info = pr.commitHistory.pageInfo;
    for (let page = 1; page < MAX_COMMIT_PAGES && info.hasPreviousPage && info.startCursor; page++) {
      const data = await octokit.graphql<{ repository: { pullRequest: { commits: CommitPage } | null } | null }>(PULL_COMMITS_PAGE_QUERY, {
        owner: pull.owner,
        repo: pull.repo,
        number: pull.number,
        before: info.startCursor,
      });
      const commits = data.repository?.pullRequest?.commits;
      if (!commits) break;
      pages.unshift(commits.nodes.map((n) => n.commit));
      info = commits.pageInfo;
    }
    depth.commits = pages.flat().map(toPullCommit);
    depth.commitCount = pr.commitHistory.totalCount;
  }
  const head = pr.commits.nodes[0]?.commit;
  if (head && head.oid === pr.headRefOid && head.statusCheckRollup !== undefined) {
    const rollup = head.statusCheckRollup;
    if (rollup && "unreadable" in rollup) return { ...depth, checksUnreadable: rollup.unreadable };
    // No rollup at all: nothing has reported on the head commit yet.
    const first = rollup?.contexts;
    const checks: HeadCheck[] = (first?.nodes ?? []).flatMap(toHeadCheck);
    let info = first?.pageInfo;
    let page = 1;
    for (; page < MAX_CHECK_PAGES && info?.hasNextPage && info.endCursor; page++) {
      const data = await octokit.graphql<{ repository: { object: { statusCheckRollup?: { contexts: ContextPage } | null } | null } | null }>(HEAD_CHECKS_PAGE_QUERY, {
        owner: pull.owner,
        repo: pull.repo,
        sha: pr.headRefOid,
        after: info.endCursor,
      });
      const contexts = data.repository?.object?.statusCheckRollup?.contexts;
      if (!contexts) break;
      checks.push(...contexts.nodes.flatMap(toHeadCheck));
      info = contexts.pageInfo;
    }
    depth.checks = checks;
    if (info?.hasNextPage) depth.checksIncomplete = true;
  }
  return depth;
}

export function toPullCommit(node: CommitNode): PullCommit {
  const login = (actor: GitActorNode | null) => actor?.user?.login.toLowerCase() ?? null;
  const unlinked = new Set<string>();
  for (const actor of [node.author, node.committer, ...node.authors.nodes]) {
    if (actor && !actor.user && actor.email !== GITHUB_NOREPLY && (actor.email || actor.name)) unlinked.add(`${actor.name ?? ""} <${actor.email ?? ""}>`.trim());
  }
  // GitHub lists the git author first, then the Co-authored-by trailers.
  const coAuthors = node.authors.nodes.slice(1).flatMap((a) => (a.user ? [a.user.login.toLowerCase()] : []));
  const incomplete = node.authors.totalCount > node.authors.nodes.length || node.parents.totalCount > node.parents.nodes.length;
  return {
    sha: node.oid,
    author: login(node.author),
    committer: login(node.committer),
    coAuthors: [...new Set(coAuthors)],
    ...(unlinked.size > 0 ? { unlinked: [...unlinked] } : {}),
    parents: node.parents.nodes.map((p) => p.oid),
    ...(incomplete ? { incomplete: true } : {}),
  };
}

function toHeadCheck(node: ContextNode | null): HeadCheck[] {
  if (!node) return [];
  if (node.__typename === "CheckRun") {
    return [{ name: node.name, kind: "check_run", status: node.status.toLowerCase(), conclusion: node.conclusion?.toLowerCase() ?? null, app: node.checkSuite?.app?.slug ?? null }];
  }
  if (node.__typename === "StatusContext") {
    const state = node.state.toLowerCase();
    const done = state === "success" || state === "failure" || state === "error";
    return [{ name: node.context, kind: "status", status: done ? "completed" : "pending", conclusion: done ? state : null, app: null }];
  }
  return [];
}
