// GitHub's compare of two commits, read for its list of commits (the deployment gate and merge groups).
import type { GitHubClient } from "./client.js";
import type { RepoRef } from "./types.js";

/** Commits per compare page: GitHub's maximum. */
const COMPARE_PAGE = 100;

/**
 * The commits reachable from `head` and not from `base` (GitHub's compare, `git log base..head`),
 * oldest first, one request per 100; reading stops when there are more than `max` (see `total`).
 */
export async function commitsBetween(octokit: GitHubClient, where: RepoRef, base: string, head: string, max: number): Promise<{ shas: string[]; total: number }> {
  const shas: string[] = [];
  for (let page = 1; ; page++) {
    const res = await octokit.request("GET /repos/{owner}/{repo}/compare/{basehead}", {
      owner: where.owner,
      repo: where.repo,
      basehead: `${base}...${head}`,
      per_page: COMPARE_PAGE,
      page,
    });
    const total = res.data.total_commits;
    for (const c of res.data.commits) shas.push(c.sha);
    if (total > max || res.data.commits.length < COMPARE_PAGE || shas.length >= total) return { shas, total };
  }
}
