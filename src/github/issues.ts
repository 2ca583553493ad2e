// Issues and comments the app writes exactly once, found again by a hidden HTML marker in their body.
// Generic: the emergency follow-up uses it, and so can any other "one issue per event" feature
// (e.g. incident issues): pick a marker that names the event, and pass it to openIssueOnce/commentOnce.
//
// With the app's database, the job that opens an issue is held by one run at a time
// (src/services/pending-work.ts `rememberAndRunOnce`), so deliveries do not race to create. What
// follows is how "exactly once" holds without it (duplicate deliveries, two replicas at once), and
// what a run finds when the issue already exists:
// 1. Look before creating. The search API is avoided on purpose: it is eventually consistent (a
//    just-created issue is invisible for seconds to minutes) and throttled to 1 request per 2 s.
//    Instead the repository's issues are listed, filtered by the feature's label and sorted newest
//    first (`GET /repos/{owner}/{repo}/issues?labels=…&state=all&sort=created&direction=desc`);
//    that listing reads the primary data and sees an issue right after it is created. Only the
//    newest `maxPages` pages are read: duplicates arrive minutes apart, not hundreds of issues later.
// 2. Create the issue.
// 3. Look again. If a concurrent writer created one too, both writers now see both issues; the
//    OLDEST (lowest number) wins everywhere, and a writer whose issue lost closes it as a duplicate
//    and removes the marker from it (so it is never found, swept or "completed" again).
// Comments use the same idea: list the issue's comments, write only if no comment has the marker.
import type { GitHubClient } from "./client.js";
import { statusOf } from "./client.js";

import type { RepoRef } from "./types.js";
export type { RepoRef };

export interface MarkedIssue {
  number: number;
  state: "open" | "closed";
  url: string;
  body: string;
  createdAt: string;
  labels: string[];
  assignees: string[];
}

export interface FindOptions {
  /** The exact hidden marker, e.g. `<!-- change-policy:follow-up acme/api#42 -->`. */
  marker: string;
  /** Narrows the listing to issues with this label (strongly recommended: it keeps the read to one page). */
  label?: string;
  state?: "open" | "closed" | "all";
  /** Newest pages of 100 issues to read; default 3. */
  maxPages?: number;
}

interface RestIssue {
  number: number;
  state: string;
  html_url: string;
  body?: string | null;
  created_at: string;
  labels: (string | { name?: string })[];
  assignees?: { login: string }[] | null;
  pull_request?: unknown;
}

const PER_PAGE = 100;

/** Every issue carrying the marker, oldest first (the oldest is the canonical one). */
export async function findIssuesByMarker(octokit: GitHubClient, repo: RepoRef, options: FindOptions): Promise<MarkedIssue[]> {
  const found: MarkedIssue[] = [];
  const maxPages = options.maxPages ?? 3;
  for (let page = 1; page <= maxPages; page++) {
    const res = await octokit.request("GET /repos/{owner}/{repo}/issues", {
      owner: repo.owner,
      repo: repo.repo,
      state: options.state ?? "all",
      ...(options.label ? { labels: options.label } : {}),
      sort: "created",
      direction: "desc",
      per_page: PER_PAGE,
      page,
    });
    const issues = res.data as RestIssue[];
    for (const issue of issues) {
      if (!issue.pull_request && (issue.body ?? "").includes(options.marker)) found.push(toMarkedIssue(issue));
    }
    if (issues.length < PER_PAGE) break;
  }
  return found.sort((a, b) => a.number - b.number);
}

export async function findIssueByMarker(octokit: GitHubClient, repo: RepoRef, options: FindOptions): Promise<MarkedIssue | null> {
  return (await findIssuesByMarker(octokit, repo, options))[0] ?? null;
}

/** Lists open issues with a label (all pages): what a sweep walks through. */
export async function listOpenIssuesWithLabel(octokit: GitHubClient, repo: RepoRef, label: string): Promise<MarkedIssue[]> {
  const issues = (await octokit.paginate("GET /repos/{owner}/{repo}/issues", {
    owner: repo.owner,
    repo: repo.repo,
    state: "open",
    labels: label,
    per_page: PER_PAGE,
  })) as RestIssue[];
  return issues.filter((i) => !i.pull_request).map(toMarkedIssue);
}

export interface NewIssue {
  title: string;
  /** Must contain the marker. */
  body: string;
  labels: string[];
  assignees: string[];
}

export interface OpenedIssue {
  issue: MarkedIssue;
  /** False when it already existed (a duplicate delivery) or a concurrent writer's issue won. */
  created: boolean;
  /** Assignees GitHub refused (not collaborators); the issue was opened without assignees. */
  assigneesDropped: boolean;
}

/** Opens the issue unless one with the marker exists; see the header comment for the race rule. */
export async function openIssueOnce(
  octokit: GitHubClient,
  repo: RepoRef,
  find: Omit<FindOptions, "state">,
  issue: NewIssue,
): Promise<OpenedIssue> {
  if (!issue.body.includes(find.marker)) throw new Error("openIssueOnce: the issue body must contain the marker");
  const existing = await findIssueByMarker(octokit, repo, find);
  if (existing) return { issue: existing, created: false, assigneesDropped: false };

  let assigneesDropped = false;
  let created: RestIssue;
  try {
    created = (await octokit.request("POST /repos/{owner}/{repo}/issues", { ...repo, ...issue })).data as RestIssue;
  } catch (error) {
    // 422 when an assignee cannot be assigned (not a collaborator): the issue matters more than its assignees.
    if (statusOf(error) !== 422 || issue.assignees.length === 0) throw error;
    assigneesDropped = true;
    created = (await octokit.request("POST /repos/{owner}/{repo}/issues", { ...repo, ...issue, assignees: [] })).data as RestIssue;
  }
  const mine = toMarkedIssue(created);

  const all = await findIssuesByMarker(octokit, repo, { ...find, maxPages: 1 });
  const winner = all[0];
  if (!winner || winner.number === mine.number) return { issue: mine, created: true, assigneesDropped };
  await closeAsDuplicate(octokit, repo, mine, winner, find.marker);
  return { issue: winner, created: false, assigneesDropped: false };
}

async function closeAsDuplicate(octokit: GitHubClient, repo: RepoRef, mine: MarkedIssue, winner: MarkedIssue, marker: string): Promise<void> {
  await octokit.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", {
    ...repo,
    issue_number: mine.number,
    state: "closed",
    state_reason: "not_planned",
    body: `Duplicate of #${winner.number}, opened at the same moment by another delivery of the same event.\n\n${mine.body.replaceAll(marker, "").replace(/<!-- change-policy:[^>]{0,300}-->/g, "")}`,
  });
}

export interface IssueNumberRef extends RepoRef {
  issue_number: number;
}

/** The app's first comment carrying the marker, or null. */
export async function findCommentByMarker(octokit: GitHubClient, where: IssueNumberRef, marker: string): Promise<{ id: number; body: string } | null> {
  const comments = await octokit.paginate("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", { ...where, per_page: 100 });
  const hit = comments.find((c) => (c.body ?? "").includes(marker));
  return hit ? { id: hit.id, body: hit.body ?? "" } : null;
}

/** Writes the comment unless one with the marker exists; true when it wrote one. */
export async function commentOnce(octokit: GitHubClient, where: IssueNumberRef, marker: string, body: string): Promise<boolean> {
  if (!body.includes(marker)) throw new Error("commentOnce: the comment body must contain the marker");
  if (await findCommentByMarker(octokit, where, marker)) return false;
  await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { ...where, body });
  return true;
}

function toMarkedIssue(issue: RestIssue): MarkedIssue {
  return {
    number: issue.number,
    state: issue.state === "closed" ? "closed" : "open",
    url: issue.html_url,
    body: issue.body ?? "",
    createdAt: issue.created_at,
    labels: issue.labels.map((l) => (typeof l === "string" ? l : (l.name ?? ""))),
    assignees: (issue.assignees ?? []).map((a) => a.login.toLowerCase()),
  };
}
