// Anchors (SPEC §10): once a day the newest seq and hash go into a comment on a pinned issue of
// LEDGER_ANCHOR_REPOSITORY. GitHub timestamps the comment, and whoever controls the database cannot
// rewrite it, so `ledger verify` can tell a chain rewritten from scratch from the one that was anchored.
// The issue is found by a hidden marker (and a label), created once; comments carry a hidden line
// `<!-- change-policy:ledger-anchor seq=N hash=H -->` that verify reads back.
import type { Probot } from "probot";
import type { GitHubClient } from "../github/client.js";
import { findIssueByMarker, openIssueOnce, type MarkedIssue } from "../github/issues.js";
import type { RepoRef } from "../github/types.js";
import type { LedgerDatabase } from "./database.js";
import { lastEntry } from "./read.js";
import type { Anchor } from "./verify.js";

export const ANCHOR_ISSUE_MARKER = "<!-- change-policy:ledger-anchors -->";
export const ANCHOR_LABEL = "change-policy-ledger";
const ANCHOR_LINE = /<!-- change-policy:ledger-anchor seq=(\d{1,15}) hash=([0-9a-f]{64}) -->/;

/** The job name (and lock name) the server's periodic timer should use. */
export const ANCHOR_JOB_NAME = "ledger-anchor";
/** An anchor is written when the newest one is older than this. */
export const ANCHOR_EVERY_MS = 24 * 60 * 60_000;
/**
 * How often the job looks (2 GitHub requests when nothing is due). Every replica runs its own timer, at
 * its own phase; the lock stops two at once and the "due" check makes it one anchor a day in all.
 */
export const ANCHOR_CHECK_INTERVAL_MS = 60 * 60_000;
/** Slack so that an hourly check does not slip the daily anchor by an hour each day. */
const DUE_SLACK_MS = 30 * 60_000;

/** LEDGER_ANCHOR_REPOSITORY, "owner/repo"; null when unset; throws on anything else. */
export function parseAnchorRepository(value: string | undefined): RepoRef | null {
  const text = value?.trim();
  if (!text) return null;
  const match = /^([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})$/.exec(text);
  if (!match) throw new Error(`LEDGER_ANCHOR_REPOSITORY must be owner/repo, not "${text.slice(0, 100)}"`);
  return { owner: match[1]!, repo: match[2]! };
}

export function anchorCommentBody(entry: { seq: number; hash: string; recorded_at: string }): string {
  return [
    `<!-- change-policy:ledger-anchor seq=${entry.seq} hash=${entry.hash} -->`,
    `Ledger anchor: entry **${entry.seq}** (recorded ${entry.recorded_at}) has hash \`${entry.hash}\`.`,
    "",
    "`change-policy ledger verify` checks the ledger against this comment. Do not edit it.",
  ].join("\n");
}

export function parseAnchorComment(body: string | null | undefined): { seq: number; hash: string } | null {
  const match = ANCHOR_LINE.exec((body ?? "").slice(0, 2_000));
  return match ? { seq: Number(match[1]), hash: match[2]! } : null;
}

function anchorIssueBody(): string {
  return [
    ANCHOR_ISSUE_MARKER,
    "This issue holds the anchors of change-policy's evidence ledger: once a day the app comments with",
    "the newest entry's number and hash. GitHub timestamps each comment, so a ledger rewritten after the",
    "fact no longer matches them (`change-policy ledger verify` reports it).",
    "",
    "Keep this issue open and pinned; do not edit or delete its comments.",
  ].join("\n");
}

export async function findAnchorIssue(octokit: GitHubClient, repo: RepoRef): Promise<MarkedIssue | null> {
  return findIssueByMarker(octokit, repo, { marker: ANCHOR_ISSUE_MARKER, label: ANCHOR_LABEL });
}

export interface AnchorResult {
  /** False when the ledger is empty (nothing to anchor). */
  written: boolean;
  seq: number | null;
  hash: string | null;
  issue: { number: number; url: string } | null;
  /** Whether the issue is pinned; null when it was not created now (left as it is). */
  pinned: boolean | null;
  /** Why pinning failed, when it did (the anchor is written regardless). */
  pinError: string | null;
}

/**
 * Writes the newest seq/hash as a comment on the anchor issue (creating and pinning that issue once).
 * The daily job: run it through the server's periodic-job lock so one replica writes per day.
 */
export async function writeAnchor(octokit: GitHubClient, repo: RepoRef, ledger: LedgerDatabase): Promise<AnchorResult> {
  const newest = await lastEntry(ledger);
  if (!newest) return { written: false, seq: null, hash: null, issue: null, pinned: null, pinError: null };
  const opened = await openIssueOnce(
    octokit,
    repo,
    { marker: ANCHOR_ISSUE_MARKER, label: ANCHOR_LABEL },
    { title: "change-policy evidence ledger anchors", body: anchorIssueBody(), labels: [ANCHOR_LABEL], assignees: [] },
  );
  let pinned: boolean | null = null;
  let pinError: string | null = null;
  if (opened.created) {
    try {
      await pinIssue(octokit, repo, opened.issue.number);
      pinned = true;
    } catch (error) {
      pinned = false;
      pinError = describeError(error);
    }
  }
  await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
    owner: repo.owner,
    repo: repo.repo,
    issue_number: opened.issue.number,
    body: anchorCommentBody(newest),
  });
  return { written: true, seq: newest.seq, hash: newest.hash, issue: { number: opened.issue.number, url: opened.issue.url }, pinned, pinError };
}

/** One line: GraphQL errors name the actual reasons, not just "Request failed due to following response errors". */
function describeError(error: unknown): string {
  const errors = (error as { errors?: { message?: string }[] } | null)?.errors;
  const text = Array.isArray(errors) && errors.length ? errors.map((e) => e.message ?? "").join("; ") : error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, " ").trim().slice(0, 300);
}

const ISSUE_ID_QUERY = /* GraphQL */ `
  query AnchorIssueId($owner: String!, $repo: String!, $number: Int!) {
    repository(owner: $owner, name: $repo) { issue(number: $number) { id isPinned } }
  }`;

const PIN_ISSUE_MUTATION = /* GraphQL */ `
  mutation PinAnchorIssue($issueId: ID!) {
    pinIssue(input: { issueId: $issueId }) { issue { number isPinned } }
  }`;

/** Pins the issue (GraphQL only: REST has no pin). A repository holds at most 3 pinned issues. */
export async function pinIssue(octokit: GitHubClient, repo: RepoRef, number: number): Promise<void> {
  const data = await octokit.graphql<{ repository: { issue: { id: string; isPinned: boolean } | null } | null }>(ISSUE_ID_QUERY, {
    owner: repo.owner,
    repo: repo.repo,
    number,
  });
  const issue = data.repository?.issue;
  if (!issue) throw new Error(`issue ${repo.owner}/${repo.repo}#${number} not found`);
  if (issue.isPinned) return;
  await octokit.graphql(PIN_ISSUE_MUTATION, { issueId: issue.id });
}

interface RestComment {
  id: number;
  body?: string | null;
  html_url?: string;
  created_at?: string;
  user?: { login: string; type?: string } | null;
}

/** Every anchor on the anchor issue, oldest first; [] when there is no anchor issue yet. */
export async function readAnchors(octokit: GitHubClient, repo: RepoRef): Promise<{ issue: MarkedIssue | null; anchors: Anchor[] }> {
  const issue = await findAnchorIssue(octokit, repo);
  if (!issue) return { issue: null, anchors: [] };
  const comments = (await octokit.paginate("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", {
    owner: repo.owner,
    repo: repo.repo,
    issue_number: issue.number,
    per_page: 100,
  })) as RestComment[];
  const anchors: Anchor[] = [];
  for (const comment of comments) {
    const parsed = parseAnchorComment(comment.body);
    if (!parsed) continue;
    anchors.push({
      ...parsed,
      ...(comment.created_at ? { at: comment.created_at } : {}),
      url: comment.html_url ?? `${issue.url}#issuecomment-${comment.id}`,
      ...(comment.user?.login ? { by: comment.user.login } : {}),
    });
  }
  return { issue, anchors };
}

export interface AnchorIfDueResult extends AnchorResult {
  /** False when an anchor was written less than a day ago (nothing done). */
  due: boolean;
}

/** Writes an anchor unless the anchor issue already has one from the last day. */
export async function writeAnchorIfDue(octokit: GitHubClient, repo: RepoRef, ledger: LedgerDatabase, now: Date = new Date()): Promise<AnchorIfDueResult> {
  const issue = await findAnchorIssue(octokit, repo);
  if (issue) {
    const since = new Date(now.getTime() - ANCHOR_EVERY_MS + DUE_SLACK_MS).toISOString();
    const recent = (await octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      owner: repo.owner,
      repo: repo.repo,
      issue_number: issue.number,
      since,
      per_page: 100,
    })).data as RestComment[];
    const latest = recent.filter((c) => parseAnchorComment(c.body) && (c.created_at ?? "") >= since);
    if (latest.length > 0) return { due: false, written: false, seq: null, hash: null, issue: { number: issue.number, url: issue.url }, pinned: null, pinError: null };
  }
  return { due: true, ...(await writeAnchor(octokit, repo, ledger)) };
}

/** The part of pino's Logger the job uses. */
interface JobLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface AnchorJobOptions {
  repository: RepoRef;
  /** The open ledger (e.g. () => recorder.database); null while it is not open yet. */
  ledger: () => LedgerDatabase | null;
  now?: () => Date;
}

/**
 * The periodic job for the server (`running.startPeriodic(ledgerAnchorJob(...))`): acts as the app's
 * installation on the anchor repository.
 */
export function ledgerAnchorJob(options: AnchorJobOptions): { name: string; intervalMs: number; lockTtlMs: number; run(probot: Probot, log: JobLogger): Promise<void> } {
  return {
    name: ANCHOR_JOB_NAME,
    intervalMs: ANCHOR_CHECK_INTERVAL_MS,
    lockTtlMs: 10 * 60_000,
    async run(probot, log) {
      const ledger = options.ledger();
      if (!ledger) {
        log.warn({}, "ledger anchor: the ledger database is not open yet; trying again at the next check");
        return;
      }
      const repo = options.repository;
      const app = await probot.auth();
      const installation = (await app.request("GET /repos/{owner}/{repo}/installation", { owner: repo.owner, repo: repo.repo })).data as { id: number };
      const octokit = (await probot.auth(installation.id)) as GitHubClient;
      const result = await writeAnchorIfDue(octokit, repo, ledger, options.now?.() ?? new Date());
      if (!result.due) return;
      if (!result.written) log.info({}, "ledger anchor: the ledger is empty, nothing to anchor yet");
      else log.info({ seq: result.seq, hash: result.hash, issue: result.issue?.url }, "ledger anchor written");
      if (result.pinned === false) log.warn({ issue: result.issue?.url, reason: result.pinError }, "ledger anchor: could not pin the anchor issue; pin it by hand");
    },
  };
}
