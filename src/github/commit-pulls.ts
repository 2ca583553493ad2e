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
  const unique = [...new Set(shas)];
  for (let start = 0; start < unique.length; start += COMMITS_PER_QUERY) {
    const batch = unique.slice(start, start + COMMITS_PER_QUERY);
    const variables: Record<string, string> = { owner: where.owner, repo: where.repo };
    batch.forEach((sha, i) => (variables[`c${i}`] = sha));
    const data = await octokit.graphql<{ repository: Record<string, CommitNode | null> | null }>(commitPullsQuery(batch.length), variables);
    batch.forEach((sha, i) => {
      const nodes = data.repository?.[`c${i}`]?.associatedPullRequests?.nodes ?? [];
      result.set(
        sha,
        nodes
          .filter((n): n is NonNullable<typeof n> => n !== null)
          .map((n) => ({ number: n.number, merged: n.merged, baseRefName: n.baseRefName, mergeCommitOid: n.mergeCommit?.oid ?? null })),
      );
    });
  }
  return result;
}

/** The open PRs whose head is `sha` (a check's `pull_requests` is empty for PRs from forks). */
export async function openPullsAtHead(octokit: GitHubClient, where: { owner: string; repo: string }, sha: string): Promise<number[]> {
  const res = await octokit.request("GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls", { ...where, commit_sha: sha });
  return res.data.filter((p) => p.state === "open" && p.head.sha === sha).map((p) => p.number);
}
