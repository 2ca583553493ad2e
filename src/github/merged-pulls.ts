// Every pull request merged in a period, with everything the audit needs, from GitHub's search:
// one GraphQL search query returns 25 merged PRs with their files, reviews, labels and the
// `Change Policy` check on the merged head commit (the same fragment an evaluation reads), so a
// quarter of 300 PRs costs about 12 requests instead of hundreds. GitHub's search returns at most
// 1,000 results per query; a period with more is split in halves until each half fits.
import { isoUtc } from "../policy/time.js";
import { CHECK_NAME } from "../policy/check-name.js";
import type { GitHubClient } from "./client.js";
import { PULL_FIELDS, snapshotFromNode, type PullNode, type SnapshotResult } from "./snapshot.js";

export const SEARCH_PAGE_SIZE = 25;
/** GitHub's search never returns more than this many results for one query. */
export const SEARCH_RESULT_CAP = 1000;

export const MERGED_PULLS_QUERY = /* GraphQL */ `
  query MergedPulls($q: String!, $first: Int!, $after: String, $checkName: String!, $appId: Int, $withDepth: Boolean = true) {
    search(query: $q, type: ISSUE, first: $first, after: $after) {
      issueCount
      pageInfo { hasNextPage endCursor }
      nodes { ... on PullRequest { repository { isPrivate } ...PullSnapshotFields } }
    }
  }
  ${PULL_FIELDS}`;

type SearchedPull = PullNode & { repository: { isPrivate: boolean } };
interface SearchResult {
  search: {
    issueCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes: (SearchedPull | Record<string, never> | null)[];
  };
}

export interface MergedPullsOptions {
  owner: string;
  repo: string;
  since: Date;
  until: Date;
  /** Only this app's check runs count when given (as in the app); otherwise any check named `Change Policy`. */
  appId?: number;
  progress?: (message: string) => void;
}

/** Merged PRs in [since, until], oldest merge first. */
export async function listMergedPulls(octokit: GitHubClient, options: MergedPullsOptions): Promise<SnapshotResult[]> {
  const nodes = new Map<number, SearchedPull>();
  const ranges: [Date, Date][] = [[options.since, options.until]];
  while (ranges.length > 0) {
    const [from, to] = ranges.shift()!;
    let after: string | null = null;
    for (;;) {
      const data: SearchResult = await octokit.graphql<SearchResult>(MERGED_PULLS_QUERY, {
        q: `repo:${options.owner}/${options.repo} is:pr is:merged merged:${isoUtc(from)}..${isoUtc(to)}`,
        first: SEARCH_PAGE_SIZE,
        after,
        checkName: CHECK_NAME,
        appId: options.appId ?? null,
        // Commits and head checks (SPEC §9) would make each page of 25 cost about 55 points instead
        // of 4; the audit does not read them (src/github/snapshot-extras.ts).
        withDepth: false,
      });
      const { issueCount, pageInfo } = data.search;
      if (after === null && issueCount > SEARCH_RESULT_CAP) {
        if (to.getTime() - from.getTime() < 2000) {
          throw new Error(`more than ${SEARCH_RESULT_CAP} pull requests were merged within one second (${isoUtc(from)}); GitHub's search cannot list them`);
        }
        const middle = new Date(Math.floor((from.getTime() + to.getTime()) / 2000) * 1000);
        options.progress?.(`${issueCount} merged pull requests between ${isoUtc(from)} and ${isoUtc(to)}: more than search returns at once, splitting the period`);
        ranges.unshift([from, middle], [new Date(middle.getTime() + 1000), to]);
        break;
      }
      for (const node of data.search.nodes) if (isPull(node)) nodes.set(node.number, node);
      options.progress?.(`listed ${nodes.size} merged pull requests`);
      if (!pageInfo.hasNextPage || !pageInfo.endCursor) break;
      after = pageInfo.endCursor;
    }
  }
  const results: SnapshotResult[] = [];
  for (const node of nodes.values()) {
    results.push(await snapshotFromNode(octokit, { owner: options.owner, repo: options.repo, number: node.number }, node.repository.isPrivate, node));
  }
  return results.sort((a, b) => (a.snapshot.mergedAt ?? "").localeCompare(b.snapshot.mergedAt ?? "") || a.snapshot.number - b.snapshot.number);
}

function isPull(node: SearchedPull | Record<string, never> | null): node is SearchedPull {
  return node !== null && "number" in node;
}
