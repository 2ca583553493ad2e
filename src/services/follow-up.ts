// Emergency changes: the post-implementation review (SPEC §3, policy §5.6 and §9); any other class
// whose policy has `post_review` gets the same (SPEC §9).
// - A merged emergency PR (or one of such a class) gets exactly one follow-up issue and one comment linking it
//   (openPostImplementationReview, called by src/services/merged-pull.ts).
// - Closing the issue completes the review only when a member of the `from` group does it; any
//   other close is undone (handleFollowUpClosed, from src/handlers/follow-up-closed.ts).
// - Reminders and overdue escalation are the sweep's job (src/services/sweep.ts).
// Every write is idempotent through hidden markers, so redeliveries and replicas are harmless.
import { isoUtc } from "../policy/time.js";
import { postReviewOf } from "../config/schema.js";
import type { GitHubClient } from "../github/client.js";
import { loadPolicyConfig } from "../github/config.js";
import { commentOnce, openIssueOnce } from "../github/issues.js";
import { isGroupMember } from "../github/groups.js";
import {
  commentMarker,
  completionTiming,
  dueTime,
  followUpAssignees,
  followUpMarker,
  followUpRepository,
  type ReviewTerms,
} from "../policy/post-review.js";
import {
  completedComment,
  followUpBody,
  followUpTitle,
  pullLinkComment,
  reopenedComment,
  reopenedUnverifiedComment,
} from "../render/follow-up.js";
import type { MergedPullContext } from "./merged-pull-context.js";

/** Opens the follow-up issue (once) and links it from the pull request (once); nothing when the class has no review. */
export async function openPostImplementationReview(octokit: GitHubClient, merged: MergedPullContext): Promise<void> {
  const { config, snapshot, verdict, log } = merged;
  const changeClass = verdict.changeClass;
  const post = postReviewOf(config, changeClass);
  if (!post) return;
  const pr = { owner: snapshot.repository.owner, repo: snapshot.repository.name, number: snapshot.number };
  const mergedAt = snapshot.mergedAt ? isoUtc(new Date(snapshot.mergedAt)) : isoUtc(merged.now);
  const terms: ReviewTerms = {
    pr,
    due: dueTime(mergedAt, post.within_hours),
    from: post.from,
    remindBeforeHours: post.remind_before_hours,
    ...(changeClass !== "emergency" ? { changeClass } : {}),
  };
  const target = followUpRepository(post, pr);
  const marker = followUpMarker(pr);

  const opened = await openIssueOnce(
    octokit,
    target,
    { marker, ...(post.labels[0] ? { label: post.labels[0] } : {}) },
    {
      title: followUpTitle(snapshot),
      body: followUpBody(config, {
        pr: { ...pr, title: snapshot.title, body: snapshot.body, url: webUrl(octokit, `${pr.owner}/${pr.repo}/pull/${pr.number}`) },
        declaredBy: verdict.classification.declaredBy,
        mergedBy: snapshot.mergedBy ?? null,
        mergedAt,
        terms,
        withinHours: post.within_hours,
        alreadyOverdue: new Date(terms.due).getTime() <= merged.now.getTime(),
      }),
      labels: post.labels,
      assignees: followUpAssignees(post, config.groups),
    },
  );
  const issueRef = { ...target, number: opened.issue.number, url: opened.issue.url };
  log.info({ followUp: `${target.owner}/${target.repo}#${opened.issue.number}`, created: opened.created, due: terms.due }, "post-implementation review");
  if (opened.assigneesDropped) {
    log.warn({ followUp: issueRef.number }, "GitHub refused the follow-up's assignees (not collaborators of the repository); opened unassigned");
  }
  await commentOnce(
    octokit,
    { owner: pr.owner, repo: pr.repo, issue_number: pr.number },
    commentMarker("follow-up-link", `${target.owner}/${target.repo}#${opened.issue.number}`),
    pullLinkComment(pr, issueRef, terms.due, changeClass),
  );
}

export interface FollowUpClosed {
  issue: { owner: string; repo: string; number: number };
  terms: ReviewTerms;
  closedBy: string;
  closedAt: string;
  installationId?: number;
  log: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void };
}

/** A member of `from` completes the review (recorded with its timing); anyone else's close is undone. */
export async function handleFollowUpClosed(octokit: GitHubClient, closed: FollowUpClosed): Promise<void> {
  const { issue, terms, closedBy, closedAt, log } = closed;
  const where = { owner: issue.owner, repo: issue.repo, issue_number: issue.number };
  // The group's members come from the pull request's repository's current policy (its default branch).
  const policy = await loadPolicyConfig(octokit, { owner: terms.pr.owner, repo: terms.pr.repo });
  if (policy.kind !== "ok") {
    const reason =
      policy.kind === "none"
        ? `no .github/change-policy.yml governs ${terms.pr.owner}/${terms.pr.repo} any more`
        : `the policy of ${terms.pr.owner}/${terms.pr.repo} is invalid`;
    log.warn({ closedBy, reason }, "follow-up closed but the policy cannot be read; reopening");
    await reopen(octokit, where);
    await commentOnce(octokit, where, commentMarker("reopened", closedAt), reopenedUnverifiedComment(closedBy, closedAt, reason));
    return;
  }
  if (await isGroupMember(octokit, policy.config, terms.from, closedBy, closed.installationId)) {
    const timing = completionTiming(terms.due, closedAt);
    log.info({ closedBy, onTime: timing.onTime }, "post-implementation review completed");
    await commentOnce(octokit, where, commentMarker("completed", closedAt), completedComment(closedBy, closedAt, timing.text));
    return;
  }
  log.info({ closedBy, group: terms.from }, "follow-up closed by a non-member; reopening");
  await reopen(octokit, where);
  await commentOnce(octokit, where, commentMarker("reopened", closedAt), reopenedComment(policy.config, terms, closedBy, closedAt));
}

async function reopen(octokit: GitHubClient, where: { owner: string; repo: string; issue_number: number }): Promise<void> {
  await octokit.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", { ...where, state: "open" });
}

/** The web address of a path on the same GitHub the API client talks to (github.com or GHES). */
export function webUrl(octokit: GitHubClient, path: string): string {
  const api = String(octokit.request.endpoint.DEFAULTS.baseUrl ?? "https://api.github.com").replace(/\/+$/, "");
  const base = api === "https://api.github.com" ? "https://github.com" : api.replace(/\/api\/v3$/, "");
  return `${base}/${path}`;
}
