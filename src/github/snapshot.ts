// Builds the PullSnapshot for one evaluation with as few requests as GitHub allows: one GraphQL
// query returns the PR, its labels (and who added them), files, reviews with whether each reviewer
// can push (write access), our existing check run, and the members of the teams the policy uses
// (src/policy/lookups.ts). REST is used only where GraphQL lacks data or pages would cost more:
// pages beyond the first, the old path of renamed files, and teams of more than 100 members.
import type { Permission, PullSnapshot, Review, ReviewState } from "../policy/snapshot.js";
import { CHECK_NAME } from "../policy/check-name.js";
import { statusOf, type GitHubClient } from "./client.js";
import { teamMembers } from "./groups.js";
import { permissionCache } from "./membership.js";
import { PULL_EXTRA_FRAGMENTS, queryPullTolerantly, readPolicyDepth, type HeadCommitExtras, type PullNodeExtras } from "./snapshot-extras.js";
import type { ExistingCheck, PullRef } from "./types.js";

/** What one evaluation reads of a pull request; also used by the audit's batched search. */
export const PULL_FIELDS = /* GraphQL */ `
  fragment PullSnapshotFields on PullRequest {
    number
    title
    body
    isDraft
    state
    merged
    mergedAt
    mergedBy { login }
    author { login __typename }
    headRefOid
    baseRefName
    changedFiles
    assignees(first: 20) { nodes { login } }
    labels(first: 100) { nodes { name } }
    timelineItems(last: 100, itemTypes: [LABELED_EVENT]) {
      nodes { ... on LabeledEvent { createdAt actor { login } label { name } } }
    }
    files(first: 100) { pageInfo { hasNextPage } nodes { path changeType } }
    reviews(first: 100) {
      pageInfo { hasNextPage }
      nodes { author { login __typename } authorCanPushToRepository state submittedAt commit { oid } }
    }
    ...PullCommitHistory @include(if: $withDepth)
    commits(last: 1) {
      nodes {
        commit {
          oid
          ...HeadCommitChecks @include(if: $withDepth)
          checkSuites(first: 10, filterBy: { appId: $appId }) {
            nodes { checkRuns(first: 10, filterBy: { checkName: $checkName }) { nodes { databaseId status conclusion title summary } } }
          }
        }
      }
    }
  }
  ${PULL_EXTRA_FRAGMENTS}
`;

/** Members of one team, aliased `t0`, `t1`, … in the evaluation's query. */
const TEAM_MEMBERS_PER_QUERY = 100;

/** The evaluation's one query: the PR, plus the members of `teamCount` teams ($o0/$s0 …). */
export function pullQuery(teamCount = 0): string {
  const variables = Array.from({ length: teamCount }, (_, i) => `, $o${i}: String!, $s${i}: String!`).join("");
  const teams = Array.from(
    { length: teamCount },
    (_, i) => `    t${i}: organization(login: $o${i}) { team(slug: $s${i}) { members(first: ${TEAM_MEMBERS_PER_QUERY}) { pageInfo { hasNextPage } nodes { login } } } }\n`,
  ).join("");
  return `
  query PullSnapshot($owner: String!, $repo: String!, $number: Int!, $checkName: String!, $appId: Int, $withDepth: Boolean = true${variables}) {
    repository(owner: $owner, name: $repo) {
      isPrivate
      defaultBranchRef { name }
      pullRequest(number: $number) { ...PullSnapshotFields }
    }
${teams}  }
  ${PULL_FIELDS}`;
}

export const PULL_QUERY = pullQuery(0);

interface Actor {
  login: string;
  __typename?: string;
}
/** A pull request as PULL_FIELDS selects it. */
export interface PullNode extends PullNodeExtras {
  number: number;
  title: string;
  body: string | null;
  isDraft: boolean;
  state: "OPEN" | "CLOSED" | "MERGED";
  merged: boolean;
  mergedAt: string | null;
  mergedBy: Actor | null;
  author: Actor | null;
  headRefOid: string;
  baseRefName: string;
  changedFiles: number;
  assignees: { nodes: Actor[] };
  labels: { nodes: { name: string }[] };
  timelineItems: { nodes: ({ createdAt: string; actor: Actor | null; label: { name: string } } | Record<string, never>)[] };
  files: { pageInfo: { hasNextPage: boolean }; nodes: { path: string; changeType: string }[] } | null;
  reviews: {
    pageInfo: { hasNextPage: boolean };
    nodes: ReviewNode[];
  };
  commits: {
    nodes: {
      commit: HeadCommitExtras & {
        oid: string;
        checkSuites: { nodes: { checkRuns: { nodes: CheckRunNode[] } }[] } | null;
      };
    }[];
  };
}
interface ReviewNode {
  author: Actor | null;
  authorCanPushToRepository: boolean;
  state: ReviewState;
  submittedAt: string | null;
  commit: { oid: string } | null;
}
interface TeamNode {
  team: { members: { pageInfo: { hasNextPage: boolean }; nodes: { login: string }[] } } | null;
}
type PullQueryResult = {
  repository: { isPrivate: boolean; defaultBranchRef: { name: string } | null; pullRequest: PullNode | null } | null;
} & Record<`t${number}`, TeamNode | null>;
interface CheckRunNode {
  databaseId: number;
  status: string;
  conclusion: string | null;
  title: string | null;
  summary: string | null;
}

export class PullNotFoundError extends Error {}

export interface SnapshotResult {
  snapshot: PullSnapshot;
  check: ExistingCheck | null;
}

export interface PullReading extends SnapshotResult {
  /** The repository's default branch. */
  defaultBranch: string | null;
  /** Members (lower-case logins) of each team asked for, `org/slug` → logins. */
  teamMembers: Record<string, string[]>;
}

/**
 * Reads the pull request and the members of `teams` (`org/slug`): one GraphQL query, plus REST pages
 * only for very large PRs or teams.
 */
export async function fetchPull(octokit: GitHubClient, pull: PullRef, appId: number | undefined, teams: string[] = [], installationId?: number): Promise<PullReading> {
  const variables: Record<string, unknown> = { owner: pull.owner, repo: pull.repo, number: pull.number, checkName: CHECK_NAME, appId: appId ?? null };
  teams.forEach((team, i) => {
    const [org, slug] = team.split("/") as [string, string];
    variables[`o${i}`] = org;
    variables[`s${i}`] = slug;
  });
  const data = await queryPullTolerantly<PullQueryResult>(octokit, pullQuery(teams.length), variables);
  const pr = data.repository?.pullRequest;
  if (!data.repository || !pr) throw new PullNotFoundError(`pull request ${pull.owner}/${pull.repo}#${pull.number} not found`);
  const teamMembersRead: Record<string, string[]> = {};
  for (const [i, team] of teams.entries()) {
    const members = data[`t${i}`]?.team?.members;
    // A missing team has no members; the check names the group so an admin can fix it.
    if (!members) teamMembersRead[team] = [];
    else if (members.pageInfo.hasNextPage) teamMembersRead[team] = await teamMembers(octokit, team, installationId);
    else teamMembersRead[team] = members.nodes.map((m) => m.login.toLowerCase());
  }
  const result = await snapshotFromNode(octokit, pull, data.repository.isPrivate, pr);
  return { ...result, defaultBranch: data.repository.defaultBranchRef?.name ?? null, teamMembers: teamMembersRead };
}

/** Turns a PULL_FIELDS node into the snapshot (REST pages only for very large PRs or renames). */
export async function snapshotFromNode(octokit: GitHubClient, pull: PullRef, isPrivate: boolean, pr: PullNode): Promise<SnapshotResult> {

  let files = (pr.files?.nodes ?? []).map((f) => f.path);
  let fileCount = files.length;
  const renamed = (pr.files?.nodes ?? []).some((f) => f.changeType === "RENAMED");
  // GraphQL pages cost a throttled "write" each and lack the old path of renamed files; REST has both.
  if (pr.files?.pageInfo.hasNextPage || renamed) ({ paths: files, count: fileCount } = await listFiles(octokit, pull));
  let reviews: Review[];
  let permissions: Record<string, Permission>;
  if (pr.reviews.pageInfo.hasNextPage) {
    // More than 100 reviews: REST lists them all, but without reviewers' access; ask for that.
    reviews = await listReviews(octokit, pull);
    permissions = await permissionsOf(octokit, pull, reviews, pr.author?.login.toLowerCase() ?? "ghost");
  } else {
    reviews = pr.reviews.nodes.map(toReview);
    permissions = {};
    // "Can push" is write access or more; it is all that counts for an approval.
    for (const r of pr.reviews.nodes) if (r.author) permissions[r.author.login.toLowerCase()] = r.authorCanPushToRepository ? "write" : "read";
  }

  const labelEvents = pr.timelineItems.nodes
    .filter((n): n is { createdAt: string; actor: Actor | null; label: { name: string } } => "label" in n)
    .map((n) => ({ label: n.label.name, actor: n.actor?.login.toLowerCase() ?? null, createdAt: n.createdAt }));

  const snapshot: PullSnapshot = {
    repository: { owner: pull.owner, name: pull.repo, private: isPrivate },
    number: pr.number,
    title: pr.title,
    body: pr.body ?? "",
    author: pr.author?.login.toLowerCase() ?? "ghost",
    draft: pr.isDraft,
    state: pr.merged ? "merged" : pr.state === "OPEN" ? "open" : "closed",
    headSha: pr.headRefOid,
    baseRef: pr.baseRefName,
    labels: pr.labels.nodes.map((l) => l.name),
    labelEvents,
    files,
    // GitHub lists at most 3,000 files of a pull request; classification must know when it saw fewer.
    filesIncomplete: fileCount < pr.changedFiles,
    reviews,
    assignees: pr.assignees.nodes.map((a) => a.login.toLowerCase()),
    permissions,
    groups: {},
    mergedAt: pr.mergedAt,
    mergedBy: pr.mergedBy?.login.toLowerCase() ?? null,
    ...(await readPolicyDepth(octokit, pull, pr)),
  };
  return { snapshot, check: newestCheck(pr.commits.nodes[0]?.commit, pr.headRefOid) };
}

/** Permissions of the reviewers whose review could count (REST, cached briefly): the >100-reviews path. */
async function permissionsOf(octokit: GitHubClient, pull: PullRef, reviews: Review[], author: string): Promise<Record<string, Permission>> {
  const candidates = new Set<string>();
  for (const r of reviews) {
    if (r.author && !r.authorIsBot && r.author !== author && (r.state === "APPROVED" || r.state === "CHANGES_REQUESTED")) candidates.add(r.author);
  }
  const permissions: Record<string, Permission> = {};
  for (const login of candidates) permissions[login] = await permissionOf(octokit, pull.owner, pull.repo, login);
  return permissions;
}

async function permissionOf(octokit: GitHubClient, owner: string, repo: string, login: string): Promise<Permission> {
  const key = `${owner}/${repo}:${login}`.toLowerCase();
  const cached = permissionCache.get(key);
  if (cached) return cached;
  let permission: Permission;
  try {
    const res = await octokit.request("GET /repos/{owner}/{repo}/collaborators/{username}/permission", { owner, repo, username: login });
    const role = (res.data as { role_name?: string }).role_name;
    permission = role === "maintain" || role === "triage" ? role : (res.data.permission as Permission);
  } catch (error) {
    // 404: not a collaborator (e.g. an outsider approving on a public repository).
    if (statusOf(error) !== 404) throw error;
    permission = "none";
  }
  permissionCache.set(key, permission);
  return permission;
}

async function listFiles(octokit: GitHubClient, pull: PullRef): Promise<{ paths: string[]; count: number }> {
  const files = await octokit.paginate("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", {
    owner: pull.owner,
    repo: pull.repo,
    pull_number: pull.number,
    per_page: 100,
  });
  const paths: string[] = [];
  for (const f of files) {
    paths.push(f.filename);
    // A rename changes two paths: moving a workflow away must not hide that it was a workflow.
    if (f.previous_filename) paths.push(f.previous_filename);
  }
  return { paths, count: files.length };
}

async function listReviews(octokit: GitHubClient, pull: PullRef): Promise<Review[]> {
  const reviews = await octokit.paginate("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", {
    owner: pull.owner,
    repo: pull.repo,
    pull_number: pull.number,
    per_page: 100,
  });
  return reviews.map((r) => ({
    author: r.user?.login.toLowerCase() ?? null,
    authorIsBot: r.user?.type === "Bot",
    state: r.state as ReviewState,
    commitId: r.commit_id ?? null,
    submittedAt: r.submitted_at ?? null,
  }));
}

function toReview(r: ReviewNode): Review {
  return {
    author: r.author?.login.toLowerCase() ?? null,
    authorIsBot: r.author?.__typename === "Bot",
    state: r.state,
    commitId: r.commit?.oid ?? null,
    submittedAt: r.submittedAt,
  };
}

function newestCheck(commit: { oid: string; checkSuites: { nodes: { checkRuns: { nodes: CheckRunNode[] } }[] } | null } | undefined, headSha: string): ExistingCheck | null {
  if (!commit || commit.oid !== headSha) return null;
  let newest: CheckRunNode | null = null;
  for (const suite of commit.checkSuites?.nodes ?? []) {
    for (const run of suite.checkRuns.nodes) if (!newest || run.databaseId > newest.databaseId) newest = run;
  }
  if (!newest) return null;
  return {
    id: newest.databaseId,
    status: newest.status.toLowerCase(),
    conclusion: newest.conclusion?.toLowerCase() ?? null,
    title: newest.title,
    summary: newest.summary,
  };
}
