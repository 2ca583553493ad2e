// Everything one deployment decision (SPEC §8) reads from GitHub, in few requests:
//   1. one GraphQL query: the environment's recent deployments with their statuses (→ the newest
//      successful one) and, with `require_tag`, the newest tags with the commit each points at;
//   2. compare `<allowed branch>...S`: S is the branch's head or an ancestor when the comparison is
//      `identical` or `behind` (one per candidate branch; usually one);
//   3. compare `<previous>...S`: the commits this deployment brings (one page per 100 commits);
//   4. one GraphQL query per 100 commits: their pull requests with our check on each head
//      (src/github/commit-pulls.ts, shared with the push-incident code);
//   5. the members of the `deployers` group's teams (cached, as for approvals).
// The review itself (approve or reject) is `reviewDeployment`.
import type { ChangeClass, Config } from "../config/schema.js";
import {
  allowedBranchPatterns,
  type DeployedCommit,
  type DeploymentFacts,
  type PullAtMerge,
} from "../policy/deployment.js";
import { pathMatcher } from "../policy/classify.js";
import { CHECK_NAME } from "../policy/check-name.js";
import { statusOf, type GitHubClient } from "./client.js";
import { commitsWithPulls, type PullOfCommit } from "./commit-pulls.js";
import { commitsBetween } from "./compare.js";
import { readGroupMembers } from "./groups.js";
import type { PullRef, RepoRef } from "./types.js";

/** Deployments read per page, and pages at most, while looking for the newest successful one. */
const DEPLOYMENTS_PER_PAGE = 20;
const MAX_DEPLOYMENT_PAGES = 5;
/** The most commits one decision reads. */
export const MAX_DEPLOYED_COMMITS = 1000;
/** Candidate branches compared for rule 1 at most (a glob may match many branches). */
const MAX_BRANCH_COMPARES = 5;
/** Tags read (newest commit first) when looking for one on S. */
const TAGS_READ = 100;

/** A fact GitHub cannot give within the app's bounds: the decision is a fail-closed rejection saying this. */
export class DeploymentFactsError extends Error {}

/** What the ledger's `merge` entry says about a merged pull request (the lead wires this to the ledger). */
export interface MergeEntry {
  /** The `Change Policy` check's conclusion at merge; null: there was none. */
  conclusion: string | null;
  changeClass: ChangeClass | null;
}
export type MergeEntryLookup = (pull: PullRef) => Promise<MergeEntry | null>;

export interface DeploymentRequest extends RepoRef {
  environment: string;
  /** The deployed commit S. */
  sha: string;
  /** The ref the workflow ran on (`refs/heads/main`, `refs/tags/v1.2.0`, or a bare name), when known. */
  ref: string | null;
  /** This deployment (excluded when looking for the previous successful one). */
  deploymentId: number | null;
  defaultBranch: string;
  deployer: string | null;
}

export interface ReadOptions {
  appId?: number;
  installationId?: number;
  mergeEntryOf?: MergeEntryLookup;
}

export const DEPLOYMENT_HISTORY_QUERY = /* GraphQL */ `
  query DeploymentHistory($owner: String!, $repo: String!, $environment: String!, $first: Int!, $after: String, $withTags: Boolean!, $tagQuery: String, $tags: Int!) {
    repository(owner: $owner, name: $repo) {
      deployments(environments: [$environment], first: $first, after: $after, orderBy: { field: CREATED_AT, direction: DESC }) {
        pageInfo { hasNextPage endCursor }
        nodes { databaseId commitOid statuses(first: 20) { nodes { state } } }
      }
      refs(refPrefix: "refs/tags/", first: $tags, query: $tagQuery, orderBy: { field: TAG_COMMIT_DATE, direction: DESC }) @include(if: $withTags) {
        nodes { name target { oid ... on Tag { target { oid } } } }
      }
    }
  }`;

interface HistoryResult {
  repository: {
    deployments: {
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      nodes: ({ databaseId: number | null; commitOid: string; statuses: { nodes: { state: string }[] } | null } | null)[];
    };
    refs?: { nodes: ({ name: string; target: { oid: string; target?: { oid: string } } | null } | null)[] } | null;
  } | null;
}

/** The facts of SPEC §8's rules 1–4 (the caller adds the active freezes, rule 5). */
export async function readDeploymentFacts(
  octokit: GitHubClient,
  config: Config,
  request: DeploymentRequest,
  options: ReadOptions = {},
): Promise<Omit<DeploymentFacts, "activeFreezes">> {
  const where = { owner: request.owner, repo: request.repo };
  const { previous, tags } = await readHistory(octokit, config, request);
  const containingBranch = await findContainingBranch(octokit, config, request);
  const shas = previous ? await broughtCommits(octokit, where, previous.sha, request.sha) : [request.sha];
  const commits = await describeCommits(octokit, where, shas, options);
  const deployers = config.deployments.deployers;
  const deployerGroupMembers = deployers === "" ? null : await groupMembers(octokit, config, deployers, options.installationId);
  return {
    environment: request.environment,
    sha: request.sha,
    defaultBranch: request.defaultBranch,
    containingBranch,
    previous,
    commits,
    tags,
    deployer: request.deployer?.toLowerCase() ?? null,
    deployerGroupMembers,
  };
}

async function readHistory(
  octokit: GitHubClient,
  config: Config,
  request: DeploymentRequest,
): Promise<{ previous: DeploymentFacts["previous"]; tags: string[] }> {
  const withTags = config.deployments.require_tag;
  let after: string | null = null;
  let tags: string[] = [];
  for (let page = 0; page < MAX_DEPLOYMENT_PAGES; page++) {
    const data: HistoryResult = await octokit.graphql<HistoryResult>(DEPLOYMENT_HISTORY_QUERY, {
      owner: request.owner,
      repo: request.repo,
      environment: request.environment,
      first: DEPLOYMENTS_PER_PAGE,
      after,
      // Tags only with the first page: they do not depend on the deployments' page.
      withTags: withTags && page === 0,
      tagQuery: tagPrefix(config.deployments.tag_pattern),
      tags: TAGS_READ,
    });
    if (!data.repository) throw new DeploymentFactsError(`GitHub did not return the repository ${request.owner}/${request.repo}.`);
    if (page === 0 && withTags) tags = tagsOn(data.repository.refs?.nodes ?? [], request.sha);
    for (const node of data.repository.deployments.nodes) {
      if (!node || node.databaseId === request.deploymentId) continue;
      if ((node.statuses?.nodes ?? []).some((s) => s.state === "SUCCESS")) {
        return { previous: { id: node.databaseId ?? 0, sha: node.commitOid }, tags };
      }
    }
    const { hasNextPage, endCursor } = data.repository.deployments.pageInfo;
    if (!hasNextPage || !endCursor) return { previous: null, tags };
    after = endCursor;
  }
  throw new DeploymentFactsError(
    `None of the ${DEPLOYMENTS_PER_PAGE * MAX_DEPLOYMENT_PAGES} newest deployments to ${request.environment} succeeded, so the app cannot tell which commits this deployment brings.`,
  );
}

/** The literal start of a tag pattern (`v` of `v*`), to let GitHub filter the tags it returns. */
function tagPrefix(pattern: string): string | null {
  const special = pattern.search(/[*?[\]{}()!+@\\]/);
  const prefix = special < 0 ? pattern : pattern.slice(0, special);
  return prefix.length > 0 ? prefix : null;
}

function tagsOn(nodes: NonNullable<NonNullable<HistoryResult["repository"]>["refs"]>["nodes"], sha: string): string[] {
  // An annotated tag points at a tag object, which points at the commit.
  return nodes.filter((n) => n !== null && n.target !== null && (n.target.target?.oid ?? n.target.oid) === sha).map((n) => n!.name);
}

/** Rule 1: the allowed branch whose head is S or contains S (null: none does). */
async function findContainingBranch(octokit: GitHubClient, config: Config, request: DeploymentRequest): Promise<string | null> {
  const patterns = allowedBranchPatterns(config.deployments, request.defaultBranch);
  const allowed = pathMatcher(patterns);
  const candidates: string[] = [];
  const add = (branch: string) => {
    if (!candidates.includes(branch)) candidates.push(branch);
  };
  // The branch the workflow ran on is the likeliest; then the branches named literally.
  const refBranch = branchOfRef(request.ref);
  if (refBranch && allowed(refBranch)) add(refBranch);
  for (const pattern of patterns) if (!isGlob(pattern)) add(pattern);
  if (candidates.length === 0 && patterns.some(isGlob)) {
    // Only globs and a ref that is no allowed branch (a tag): look at the repository's branches.
    const res = await octokit.request("GET /repos/{owner}/{repo}/branches", { owner: request.owner, repo: request.repo, per_page: 100 });
    for (const b of res.data) if (allowed(b.name)) add(b.name);
  }
  for (const branch of candidates.slice(0, MAX_BRANCH_COMPARES)) {
    try {
      const res = await octokit.request("GET /repos/{owner}/{repo}/compare/{basehead}", {
        owner: request.owner,
        repo: request.repo,
        basehead: `${branch}...${request.sha}`,
        per_page: 1,
      });
      // S is reachable from the branch: nothing in S that the branch lacks.
      if (res.data.status === "identical" || res.data.status === "behind") return branch;
    } catch (error) {
      if (statusOf(error) !== 404) throw error; // the branch does not exist
    }
  }
  return null;
}

function branchOfRef(ref: string | null): string | null {
  if (!ref) return null;
  if (ref.startsWith("refs/heads/")) return ref.slice("refs/heads/".length);
  return ref.startsWith("refs/") ? null : ref;
}

function isGlob(pattern: string): boolean {
  return /[*?[\]{}()!+@]/.test(pattern);
}

/** Rule 2: the commits reachable from S and not from the previous deployment, oldest first. */
async function broughtCommits(octokit: GitHubClient, where: RepoRef, previousSha: string, sha: string): Promise<string[]> {
  let between: { shas: string[]; total: number };
  try {
    between = await commitsBetween(octokit, where, previousSha, sha, MAX_DEPLOYED_COMMITS);
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
    throw new DeploymentFactsError(
      `GitHub cannot compare the last successful deployment's commit ${previousSha.slice(0, 7)} with ${sha.slice(0, 7)}: one of them is not in the repository (was its history rewritten?), so the app cannot tell which commits this deployment brings.`,
    );
  }
  const { shas, total } = between;
  if (total > MAX_DEPLOYED_COMMITS) {
    throw new DeploymentFactsError(
      `This deployment brings ${total} commits since the last successful one (${previousSha.slice(0, 7)}); the app checks at most ${MAX_DEPLOYED_COMMITS} at once. Deploy an earlier commit first, in smaller steps.`,
    );
  }
  return shas;
}

/** The commits with their pull requests, judged as they were at merge. */
async function describeCommits(octokit: GitHubClient, where: RepoRef, shas: string[], options: ReadOptions): Promise<DeployedCommit[]> {
  if (shas.length === 0) return [];
  const details = await commitsWithPulls(octokit, where, shas, { checkName: CHECK_NAME, ...(options.appId ? { appId: options.appId } : {}) });
  const entries = new Map<number, Promise<MergeEntry | null>>();
  const entryOf = (number: number) => {
    if (!options.mergeEntryOf) return Promise.resolve(null);
    let entry = entries.get(number);
    if (!entry) entries.set(number, (entry = options.mergeEntryOf({ ...where, number })));
    return entry;
  };
  const commits: DeployedCommit[] = [];
  for (const sha of shas) {
    const commit = details.get(sha);
    if (!commit) throw new DeploymentFactsError(`GitHub does not know commit ${sha.slice(0, 7)} of ${where.owner}/${where.repo}.`);
    const pulls: PullAtMerge[] = [];
    for (const pr of commit.pulls) pulls.push(pullAtMerge(pr, pr.merged ? await entryOf(pr.number) : null));
    commits.push({ sha, authorName: commit.authorName, authorLogin: commit.authorLogin, message: commit.messageHeadline, pulls });
  }
  return commits;
}

function pullAtMerge(pr: PullOfCommit, entry: MergeEntry | null): PullAtMerge {
  const fromCheck = pr.check && pr.check.status === "completed" ? pr.check.conclusion : null;
  return {
    number: pr.number,
    title: pr.title,
    merged: pr.merged,
    baseRefName: pr.baseRefName,
    checkConclusion: entry ? entry.conclusion : fromCheck,
    changeClass: entry ? entry.changeClass : classOfCheckTitle(pr.check?.title ?? null),
  };
}

const TITLE_CLASSES: [string, ChangeClass][] = [
  ["Standard change", "standard"],
  ["Normal change", "normal"],
  ["Emergency change", "emergency"],
];

/** The class our check's title starts with ("Normal change: all requirements met"); null for an error title. */
export function classOfCheckTitle(title: string | null): ChangeClass | null {
  if (!title) return null;
  return TITLE_CLASSES.find(([prefix]) => title.startsWith(`${prefix}:`))?.[1] ?? null;
}

/** Rule 4: the group's users and the members of its teams (src/github/groups.ts, cached briefly). */
async function groupMembers(octokit: GitHubClient, config: Config, name: string, installationId?: number): Promise<string[]> {
  return (await readGroupMembers(octokit, config, [name], installationId))[name] ?? [];
}

// ---------------------------------------------------------------------------------------------
// The review call

export type ReviewResult = "sent" | "already-decided";

/** The workflow run a `deployment_callback_url` names: `…/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`. */
export function runIdOfCallbackUrl(url: unknown): number | null {
  if (typeof url !== "string" || url.length > 2000) return null;
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return null;
  }
  const parts = path.split("/");
  // [..., "actions", "runs", "<id>", "deployment_protection_rule"] (GHES prefixes /api/v3)
  const n = parts.length;
  if (n < 4 || parts[n - 1] !== "deployment_protection_rule" || parts[n - 3] !== "runs" || parts[n - 4] !== "actions") return null;
  const id = parts[n - 2]!;
  if (!/^[1-9][0-9]{0,18}$/.test(id)) return null;
  const runId = Number(id);
  return Number.isSafeInteger(runId) ? runId : null;
}

/**
 * Approves or rejects the deployment protection rule of a workflow run. GitHub answers a second
 * review of the same run (another replica, a redelivery) with 422: that is "already decided", not an error.
 */
export async function reviewDeployment(
  octokit: GitHubClient,
  where: RepoRef & { runId: number; environment: string },
  state: "approved" | "rejected",
  comment: string,
): Promise<ReviewResult> {
  try {
    await octokit.request("POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule", {
      owner: where.owner,
      repo: where.repo,
      run_id: where.runId,
      environment_name: where.environment,
      state,
      comment,
    });
    return "sent";
  } catch (error) {
    if (statusOf(error) === 422 || statusOf(error) === 409) return "already-decided";
    throw error;
  }
}
