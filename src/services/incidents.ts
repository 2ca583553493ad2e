// Unauthorized changes become security-incident issues (SPEC §4, policy §7 and §12):
// - a push to a watched branch that brings commits no merged pull request accounts for;
// - a pull request merged while its `Change Policy` check was not `success` (reportBypassMerge,
//   called by src/services/merged-pull.ts, which has already read the merge and left emergency
//   changes to their post-implementation review).
// Each incident is opened once: a hidden marker names the push or the merge, and is looked up first.
import { isoUtc } from "../policy/time.js";
import type { Logger } from "probot";
import { statusOf, type GitHubClient } from "../github/client.js";
import { pullsOfCommits } from "../github/commit-pulls.js";
import { loadPolicyConfig } from "../github/config.js";
import { openIssueOnce } from "../github/issues.js";
import { recordIncidentOpened } from "../metrics.js";
import { missingRequirements } from "../policy/evaluate.js";
import {
  bypassIncidentMarker,
  incidentRepository,
  isWatchedBranch,
  pushIncidentMarker,
  unauthorizedCommits,
  type PushedCommit,
} from "../policy/incidents.js";
import { bypassIncidentBody, bypassIncidentTitle, pushIncidentBody, pushIncidentTitle } from "../render/incident.js";
import { defaultConfig, type Config } from "../config/schema.js";
import type { MergedPullContext } from "./merged-pull-context.js";
import { isZeroSha } from "../policy/incidents.js";
import type { ServiceDependencies } from "./dependencies.js";

const BRANCH_PREFIX = "refs/heads/";

/** What a push event says about itself (the handler takes it from the payload). */
export interface PushFacts {
  where: { owner: string; repo: string };
  ref: string;
  before: string;
  after: string;
  created: boolean;
  deleted: boolean;
  forced: boolean;
  compareUrl: string;
  defaultBranch: string;
  pusher: { name: string; email: string | null };
  sender: string;
  /** When GitHub says the push happened (seconds since the epoch), if it says. */
  pushedAt?: number;
  commits: PushedCommit[];
}

/** A push to a watched branch that brings commits no merged PR accounts for is an incident (SPEC §4). */
export async function reportUnauthorizedPush(octokit: GitHubClient, push: PushFacts, deps: ServiceDependencies, log: Logger): Promise<void> {
  // Deleting a branch brings no commits; tags are releases of commits already on a branch. A force
  // push is looked at even without new commits: it can remove reviewed changes.
  if (push.deleted || !push.ref.startsWith(BRANCH_PREFIX) || (push.commits.length === 0 && !push.forced)) return;
  const branch = push.ref.slice(BRANCH_PREFIX.length);
  const { where, defaultBranch } = push;

  // The policy on the default branch decides what is watched. When the push itself goes to the
  // default branch, the policy is read as it was before the push: a push cannot unwatch itself.
  const ref = branch === defaultBranch && !isZeroSha(push.before) ? push.before : defaultBranch;
  const policy = await loadPolicyConfig(octokit, { ...where, ref });
  if (policy.kind === "none") return;
  if (policy.kind === "invalid") {
    // An invalid policy still watches the default branch with the default incident settings: a
    // broken file must not switch the control off. Its problems are shown on every PR's check.
    log.warn({ problems: policy.problems.length }, "invalid policy; watching the default branch with default incident settings");
  }
  const config: Pick<Config, "incidents"> = policy.kind === "ok" ? policy.config : defaultConfig();
  if (!isWatchedBranch(config, branch, defaultBranch)) return;

  const commits = push.commits;
  const associations = commits.length > 0 ? await pullsOfCommits(octokit, where, commits.map((c) => c.sha)) : new Map();
  const unauthorized = unauthorizedCommits(branch, commits, associations, { branchCreated: push.created || isZeroSha(push.before) });
  // Merging a pull request never force-pushes: a force push to a watched branch rewrote its history.
  if (unauthorized.length === 0 && !push.forced) {
    log.debug({ commits: commits.length }, "push: every commit belongs to a merged pull request");
    return;
  }

  const marker = pushIncidentMarker(where, push.after);
  const pushedAt = push.pushedAt !== undefined ? new Date(push.pushedAt * 1000) : deps.now();
  const incident = {
    where,
    branch,
    before: push.before,
    after: push.after,
    forced: push.forced,
    compareUrl: push.compareUrl,
    pusher: push.pusher,
    sender: push.sender,
    pushedAt: isoUtc(pushedAt),
    commits: unauthorized,
    totalCommits: commits.length,
    marker,
  };
  await fileIncident("direct_push", octokit, config, where, marker, pushIncidentTitle(incident), pushIncidentBody(incident), log);
}

/** A merge that bypassed the `Change Policy` check (the caller has excluded emergency changes). */
export async function reportBypassMerge(octokit: GitHubClient, merged: MergedPullContext): Promise<void> {
  const { snapshot, verdict, check, config, log } = merged;
  const where = { owner: snapshot.repository.owner, repo: snapshot.repository.name };
  const marker = bypassIncidentMarker(where, snapshot.number);
  const incident = {
    where,
    number: snapshot.number,
    title: snapshot.title,
    author: snapshot.author,
    mergedBy: snapshot.mergedBy ?? null,
    mergedAt: snapshot.mergedAt ?? null,
    changeClass: verdict.changeClass,
    headSha: snapshot.headSha,
    check: check ? { conclusion: check.conclusion, status: check.status, title: check.title } : null,
    missing: missingRequirements(verdict),
    marker,
  };
  await fileIncident("bypass", octokit, config, where, marker, bypassIncidentTitle(incident), bypassIncidentBody(incident), log);
}

async function fileIncident(
  kind: "direct_push" | "bypass",
  octokit: GitHubClient,
  config: Pick<Config, "incidents">,
  where: { owner: string; repo: string },
  marker: string,
  title: string,
  body: string,
  log: MergedPullContext["log"],
): Promise<void> {
  const target = incidentRepository(config, where);
  const labels = config.incidents.labels;
  const find = { marker, ...(labels[0] ? { label: labels[0] } : {}) };
  let opened;
  let filedIn = target;
  try {
    opened = await openIssueOnce(octokit, target, find, { title, body, labels, assignees: [] });
  } catch (error) {
    const status = statusOf(error);
    const elsewhere = target.owner.toLowerCase() !== where.owner.toLowerCase() || target.repo.toLowerCase() !== where.repo.toLowerCase();
    if (!elsewhere || (status !== 403 && status !== 404 && status !== 410)) throw error;
    // An incident must not be lost because the incident repository is misconfigured or out of the
    // app's reach: it goes to the repository where it happened, saying why.
    log.error({ incidentRepository: `${target.owner}/${target.repo}`, status }, "cannot open the incident in incidents.repository; opening it where it happened");
    const note = `> [!WARNING]\n> This incident belongs in ${target.owner}/${target.repo} (\`incidents.repository\`), but GitHub refused to open it there (HTTP ${status}). Give the app access to that repository with issues: write, or fix the setting.\n`;
    filedIn = where;
    opened = await openIssueOnce(octokit, where, find, { title, body: body.replace(marker, `${marker}\n${note}`), labels, assignees: [] });
  }
  if (opened.created) recordIncidentOpened(kind);
  log.warn(
    { incident: `${filedIn.owner}/${filedIn.repo}#${opened.issue.number}`, created: opened.created },
    opened.created ? "security incident opened" : "security incident already open (redelivery)",
  );
}
