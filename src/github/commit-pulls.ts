// Which pull requests GitHub associates with each pushed commit, in as few requests as possible:
// one GraphQL query asks for every commit at once through aliases (`c0: object(oid: $c0)`), in
// batches so that a very large push stays within GraphQL's limits. Probot's throttling counts each
// GraphQL request as a write (1 s apart), so a 60-commit push costs one request, not 60.
import type { AssociatedPull } from "../policy/incidents.js";
import type { GitHubClient } from "./client.js";

/** Commits per GraphQL request: 100 × 10 PRs stays far below GitHub's node limit and response size. */
export const COMMITS_PER_QUERY = 100;
/** A commit associated with more PRs than this is unusual; the merged one is listed among them in practice. */
const PULLS_PER_COMMIT = 10;

/** The query for `count` commits; variables are `$owner`, `$repo`, `$c0` … `$c{count-1}`. */
export function commitPullsQuery(count: number): string {
  const variables = Array.from({ length: count }, (_, i) => `$c${i}: GitObjectID!`).join(", ");
  const fields = Array.from(
    { length: count },
    (_, i) =>
      `      c${i}: object(oid: $c${i}) { ... on Commit { associatedPullRequests(first: ${PULLS_PER_COMMIT}) { nodes { number merged baseRefName mergeCommit { oid } } } } }`,
  ).join("\n");
  return `query CommitPulls($owner: String!, $repo: String!, ${variables}) {\n    repository(owner: $owner, name: $repo) {\n${fields}\n    }\n  }`;
}

interface CommitNode {
  associatedPullRequests?: { nodes: ({ number: number; merged: boolean; baseRefName: string; mergeCommit: { oid: string } | null } | null)[] } | null;
}

/** sha → associated pull requests (empty list: none, or the commit is unknown to GitHub). */
export async function pullsOfCommits(
  octokit: GitHubClient,
  where: { owner: string; repo: string },
  shas: string[],
): Promise<Map<string, AssociatedPull[]>> {
  const result = new Map<string, AssociatedPull[]>();
  await queryInBatches<CommitNode>(octokit, where, shas, commitPullsQuery, {}, (sha, node) => {
    const nodes = node?.associatedPullRequests?.nodes ?? [];
    result.set(
      sha,
      nodes
        .filter((n): n is NonNullable<typeof n> => n !== null)
        .map((n) => ({ number: n.number, merged: n.merged, baseRefName: n.baseRefName, mergeCommitOid: n.mergeCommit?.oid ?? null })),
    );
  });
  return result;
}

/** One GraphQL request per COMMITS_PER_QUERY commits, each commit aliased `c0` … `c99`. */
async function queryInBatches<Node>(
  octokit: GitHubClient,
  where: { owner: string; repo: string },
  shas: string[],
  query: (count: number) => string,
  extraVariables: Record<string, unknown>,
  each: (sha: string, node: Node | null) => void,
): Promise<void> {
  const unique = [...new Set(shas)];
  for (let start = 0; start < unique.length; start += COMMITS_PER_QUERY) {
    const batch = unique.slice(start, start + COMMITS_PER_QUERY);
    const variables: Record<string, unknown> = { owner: where.owner, repo: where.repo, ...extraVariables };
    batch.forEach((sha, i) => (variables[`c${i}`] = sha));
    const data = await octokit.graphql<{ repository: Record<string, Node | null> | null }>(query(batch.length), variables);
    batch.forEach((sha, i) => each(sha, data.repository?.[`c${i}`] ?? null));
  }
}

// ---------------------------------------------------------------------------------------------
// The same association with what the deployment gate and the merge queue need to judge each pull
// request, still in one query per 100 commits: the commit's first line and author, each PR's state,
// title and head, and this app's `Change Policy` check run on that head (the one at merge, for a
// merged PR: the app never re-evaluates a closed one). Check summaries are not read (up to 64 KB each),
// and only the newest 3 suites and runs (the app updates its one run in place): GitHub's GraphQL rate
// limit charges for every connection asked for, so a 100-commit query stays near 50 points.

/** Our check run on a pull request's head commit, as the deployment gate needs it. */
export interface HeadCheck {
  status: string;
  conclusion: string | null;
  title: string | null;
}

export interface PullOfCommit extends AssociatedPull {
  state: "open" | "closed" | "merged";
  title: string;
  headRefOid: string;
  /** The newest `Change Policy` check run of this app on the PR's head commit; null when none. */
  check: HeadCheck | null;
}

export interface CommitWithPulls {
  sha: string;
  messageHeadline: string;
  authorName: string | null;
  authorLogin: string | null;
  pulls: PullOfCommit[];
}

/** The query for `count` commits with pull request details; variables add `$checkName` and `$appId`. */
export function commitDetailsQuery(count: number): string {
  const variables = Array.from({ length: count }, (_, i) => `$c${i}: GitObjectID!`).join(", ");
  const pull =
    "number merged state title baseRefName headRefOid mergeCommit { oid } " +
    "commits(last: 1) { nodes { commit { oid checkSuites(last: 3, filterBy: { appId: $appId }) { nodes { checkRuns(last: 3, filterBy: { checkName: $checkName }) { nodes { databaseId status conclusion title } } } } } } }";
  const fields = Array.from(
    { length: count },
    (_, i) => `      c${i}: object(oid: $c${i}) { ... on Commit { oid messageHeadline author { name user { login } } associatedPullRequests(first: ${PULLS_PER_COMMIT}) { nodes { ${pull} } } } }`,
  ).join("\n");
  return `query CommitDetails($owner: String!, $repo: String!, $checkName: String!, $appId: Int, ${variables}) {\n    repository(owner: $owner, name: $repo) {\n${fields}\n    }\n  }`;
}

interface CheckRunNode {
  databaseId: number;
  status: string;
  conclusion: string | null;
  title: string | null;
}
interface DetailedPullNode {
  number: number;
  merged: boolean;
  state: "OPEN" | "CLOSED" | "MERGED";
  title: string;
  baseRefName: string;
  headRefOid: string;
  mergeCommit: { oid: string } | null;
  commits: { nodes: { commit: { oid: string; checkSuites: { nodes: { checkRuns: { nodes: CheckRunNode[] } }[] } | null } }[] };
}
interface DetailedCommitNode {
  oid?: string;
  messageHeadline?: string;
  author?: { name: string | null; user: { login: string } | null } | null;
  associatedPullRequests?: { nodes: (DetailedPullNode | null)[] } | null;
}

/**
 * sha → the commit and its pull requests with their check at the head; a sha GitHub does not know
 * maps to null. `checkName` is the check's name (`Change Policy`); `appId` limits it to this app's runs.
 */
export async function commitsWithPulls(
  octokit: GitHubClient,
  where: { owner: string; repo: string },
  shas: string[],
  options: { checkName: string; appId?: number },
): Promise<Map<string, CommitWithPulls | null>> {
  const result = new Map<string, CommitWithPulls | null>();
  const variables = { checkName: options.checkName, appId: options.appId ?? null };
  await queryInBatches<DetailedCommitNode>(octokit, where, shas, commitDetailsQuery, variables, (sha, node) => {
    if (!node || node.oid === undefined) {
      result.set(sha, null);
      return;
    }
    const pulls = (node.associatedPullRequests?.nodes ?? []).filter((n): n is DetailedPullNode => n !== null).map(toPullOfCommit);
    result.set(sha, {
      sha,
      messageHeadline: node.messageHeadline ?? "",
      authorName: node.author?.name ?? null,
      authorLogin: node.author?.user?.login ?? null,
      pulls,
    });
  });
  return result;
}

function toPullOfCommit(n: DetailedPullNode): PullOfCommit {
  const head = n.commits.nodes[0]?.commit;
  let newest: CheckRunNode | null = null;
  // Only a run on the PR's head counts: the last commit listed is the head at merge.
  if (head && head.oid === n.headRefOid) {
    for (const suite of head.checkSuites?.nodes ?? []) for (const run of suite.checkRuns.nodes) if (!newest || run.databaseId > newest.databaseId) newest = run;
  }
  return {
    number: n.number,
    merged: n.merged,
    baseRefName: n.baseRefName,
    mergeCommitOid: n.mergeCommit?.oid ?? null,
    state: n.merged ? "merged" : n.state === "OPEN" ? "open" : "closed",
    title: n.title,
    headRefOid: n.headRefOid,
    check: newest ? { status: newest.status.toLowerCase(), conclusion: newest.conclusion?.toLowerCase() ?? null, title: newest.title } : null,
  };
}

/** The open PRs whose head is `sha` (a check's `pull_requests` is empty for PRs from forks). */
export async function openPullsAtHead(octokit: GitHubClient, where: { owner: string; repo: string }, sha: string): Promise<number[]> {
  const res = await octokit.request("GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls", { ...where, commit_sha: sha });
  return res.data.filter((p) => p.state === "open" && p.head.sha === sha).map((p) => p.number);
}
