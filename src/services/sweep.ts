// The sweep of open post-implementation reviews (SPEC §3): one reminder before the due time, and
// once overdue the `overdue` label plus one escalation comment. A sweep holds no state of its own:
// it reads each follow-up issue's terms from its hidden marker and what was already said from its
// comments' markers, so two sweeps in a row, two replicas or a lost timer never double-comment.
//
// Cost per repository: one listing of open issues with the follow-up label. Per issue, nothing
// until the reminder window opens; then one comment listing per sweep until the reminder is found,
// and once the `overdue` label is on the issue, nothing again.
import type { Probot } from "probot";
import type { PeriodicJob } from "../infra/periodic-job.js";
import type { Settings } from "../settings.js";
import { statusOf, type GitHubClient } from "../github/client.js";
import { commentOnce, listOpenIssuesWithLabel, type RepoRef } from "../github/issues.js";
import {
  commentMarker,
  formatDelay,
  OVERDUE_LABEL,
  readReviewTerms,
  sweepAction,
} from "../policy/post-review.js";
import { installationRepositories } from "../github/repositories.js";
import { recordFollowUps } from "../metrics.js";
import { overdueComment, reminderComment } from "../render/follow-up.js";

/** The label sweeps look for when none is given: the default of `post_review.labels`. */
export const DEFAULT_SWEEP_LABELS = ["post-implementation-review"];

export interface SweepLog {
  info: (o: object, m: string) => void;
  warn: (o: object, m: string) => void;
  error: (o: object, m: string) => void;
}

export interface SweepOptions {
  now: Date;
  /** Labels that mark follow-up issues (the first of `post_review.labels` in each repository's policy). */
  labels?: string[];
  log?: SweepLog;
}

export interface SweepOutcome {
  repository: string;
  issue: number | null;
  /** reminded / escalated: a comment was written; already-done: another sweep wrote it; error: see message. */
  result: "reminded" | "escalated" | "already-done" | "not-due" | "error";
  /** Past its due time (for the open/overdue metrics). */
  overdue?: boolean;
  message?: string;
}

const silent: SweepLog = { info: () => {}, warn: () => {}, error: () => {} };

export async function sweepRepository(octokit: GitHubClient, repo: RepoRef, options: SweepOptions): Promise<SweepOutcome[]> {
  const log = options.log ?? silent;
  const name = `${repo.owner}/${repo.repo}`;
  const outcomes: SweepOutcome[] = [];
  const seen = new Set<number>();
  for (const label of options.labels?.length ? options.labels : DEFAULT_SWEEP_LABELS) {
    let issues;
    try {
      issues = await listOpenIssuesWithLabel(octokit, repo, label);
    } catch (error) {
      outcomes.push({ repository: name, issue: null, result: "error", message: `could not list issues: ${messageOf(error)}` });
      log.error({ repo: name, err: error }, "sweep: could not list follow-up issues");
      continue;
    }
    for (const issue of issues) {
      if (seen.has(issue.number)) continue;
      seen.add(issue.number);
      const terms = readReviewTerms(issue.body);
      if (!terms) continue; // labelled by hand, not one of the app's follow-ups
      const where = { ...repo, issue_number: issue.number };
      const overdue = options.now.getTime() > new Date(terms.due).getTime();
      try {
        const action = sweepAction(terms, options.now, { alreadyOverdue: issue.labels.some((l) => l.toLowerCase() === OVERDUE_LABEL) });
        if (action === "none") {
          outcomes.push({ repository: name, issue: issue.number, result: "not-due", overdue });
        } else if (action === "remind") {
          const wrote = await commentOnce(octokit, where, commentMarker("reminder", terms.due), reminderComment(terms, issue.assignees));
          outcomes.push({ repository: name, issue: issue.number, result: wrote ? "reminded" : "already-done", overdue });
        } else {
          const late = formatDelay((options.now.getTime() - new Date(terms.due).getTime()) / 60_000);
          // Comment first, label second: the label is what later sweeps trust, so it only appears
          // once the escalation has really been said.
          const wrote = await commentOnce(octokit, where, commentMarker("overdue", terms.due), overdueComment(terms, issue.assignees, late));
          await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", { ...where, labels: [OVERDUE_LABEL] });
          outcomes.push({ repository: name, issue: issue.number, result: wrote ? "escalated" : "already-done", overdue });
        }
      } catch (error) {
        outcomes.push({ repository: name, issue: issue.number, result: "error", message: messageOf(error) });
        log.error({ repo: name, issue: issue.number, err: error }, "sweep: follow-up issue failed");
      }
    }
  }
  const acted = outcomes.filter((o) => o.result === "reminded" || o.result === "escalated").length;
  log.info({ repo: name, followUps: seen.size, acted }, "sweep: repository done");
  return outcomes;
}

export async function sweepInstallation(octokit: GitHubClient, options: SweepOptions & { repositories?: RepoRef[] }): Promise<SweepOutcome[]> {
  const repositories = options.repositories ?? (await installationRepositories(octokit));
  const outcomes: SweepOutcome[] = [];
  for (const repo of repositories) outcomes.push(...(await sweepRepository(octokit, repo, options)));
  return outcomes;
}

/** Sweeps every installation of the app (app-level auth from Probot). */
export async function sweepAllInstallations(app: Probot, options: SweepOptions): Promise<SweepOutcome[]> {
  const appOctokit = (await app.auth()) as GitHubClient;
  const installations = await appOctokit.paginate("GET /app/installations", { per_page: 100 });
  const outcomes: SweepOutcome[] = [];
  for (const installation of installations) {
    const octokit = (await app.auth(installation.id)) as GitHubClient;
    try {
      outcomes.push(...(await sweepInstallation(octokit, options)));
    } catch (error) {
      outcomes.push({ repository: installation.account?.login ?? String(installation.id), issue: null, result: "error", message: messageOf(error) });
      options.log?.error({ installation: installation.id, err: error }, "sweep: installation failed");
    }
  }
  return outcomes;
}

/** A sweep never takes this long; if a replica dies holding the lock, another sweeps after it. */
const SWEEP_LOCK_TTL_MS = 15 * 60_000;

/** The server's sweep timer (SPEC §3): every SWEEP_INTERVAL_MINUTES, on one replica at a time. */
export function sweepJob(settings: Pick<Settings, "sweepIntervalMinutes" | "sweepLabels">, now: () => Date = () => new Date()): PeriodicJob {
  return {
    name: "post-review-sweep",
    intervalMs: settings.sweepIntervalMinutes * 60_000,
    lockTtlMs: SWEEP_LOCK_TTL_MS,
    async run(probot, log) {
      const outcomes = await sweepAllInstallations(probot, { now: now(), labels: settings.sweepLabels, log });
      const errors = outcomes.filter((o) => o.result === "error").length;
      const followUps = outcomes.filter((o) => o.issue !== null && o.result !== "error");
      recordFollowUps(followUps.length, followUps.filter((o) => o.overdue).length);
      log.info({ followUps: outcomes.length, errors }, "sweep finished");
    },
  };
}

function messageOf(error: unknown): string {
  const status = statusOf(error);
  const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
  return status ? `${status}: ${message}` : message;
}
