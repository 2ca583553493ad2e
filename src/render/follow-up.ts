// The words of the post-implementation review: the follow-up issue and the app's comments on it
// and on the pull request. Pure text; the hidden markers come from src/policy/post-review.ts.
import { tableCell } from "./markdown.js";
import type { PullRef } from "../policy/refs.js";
import { postReviewOf, type ChangeClass, type Config } from "../config/schema.js";
import { fieldStatus, readRequestForChange, sectionStatus } from "../policy/request-for-change.js";
import {
  commentMarker,
  followUpMarker,
  termsMarker,
  type ReviewTerms,
} from "../policy/post-review.js";

/** The policy's review checklist (§5.6 "Post-implementation review documents"). */
export const REVIEW_CHECKLIST = [
  "Actual vs. expected results",
  "Any incidents or downtime",
  "Lessons learned or preventive measures",
];

export interface FollowUpFacts {
  pr: PullRef & { title: string; body: string; url: string };
  declaredBy: string | null;
  mergedBy: string | null;
  mergedAt: string;
  terms: ReviewTerms;
  withinHours: number;
  /** True when the due time had already passed when the issue was opened (a merge dated in the past). */
  alreadyOverdue: boolean;
}

export function followUpTitle(pr: { title: string; number: number }): string {
  return `Post-implementation review: ${pr.title} (#${pr.number})`;
}

export function followUpBody(config: Config, facts: FollowUpFacts): string {
  const { pr, terms } = facts;
  const ref = `${pr.owner}/${pr.repo}#${pr.number}`;
  const emergency = (terms.changeClass ?? "emergency") === "emergency";
  const intro = emergency
    ? `Emergency change ${ref} was merged before the CTO/CISO approved it. The Change Management Policy (§9) requires it to be documented and reviewed by \`${terms.from}\` within ${facts.withinHours} hours of the merge.`
    : `${CLASS_NAMES[terms.changeClass!]} change ${ref} was merged. The Change Management Policy (§5.6) and this repository's policy (\`classes.${terms.changeClass}.post_review\`) require a post-implementation review by \`${terms.from}\` within ${facts.withinHours} hours of the merge.`;
  const lines = [
    followUpMarker(pr),
    termsMarker(terms),
    intro,
    "",
    "| | |",
    "|---|---|",
    `| Pull request | [${tableCell(pr.title)}](${pr.url}) (${ref}) |`,
    emergency
      ? `| Emergency declared by | ${facts.declaredBy ? `@${facts.declaredBy}` : "unknown (the label's author could not be read)"} |`
      : `| Class | ${terms.changeClass} change |`,
    `| Merged by | ${facts.mergedBy ? `@${facts.mergedBy}` : "unknown"} |`,
    `| Merged at | ${facts.mergedAt} |`,
    `| **Due** | **${terms.due}**${facts.alreadyOverdue ? " (already passed when this issue was opened)" : ""} |`,
    `| Reviewers | ${describeGroup(config, terms.from)} |`,
    "",
    "### Still to document",
    "",
    ...stillToDocument(config, terms.changeClass ?? "emergency", pr.body),
    "",
    "### Review checklist (policy §5.6)",
    "",
    ...REVIEW_CHECKLIST.map((item) => `- [ ] ${item}`),
    "",
    "### How to complete this review",
    "",
    `Write the missing documentation and the checklist's answers in comments on this issue (or in the pull request's description). A member of \`${terms.from}\` then closes this issue; that closing is the CTO/CISO's approval and is recorded with its time. If anyone else closes it, the app reopens it.`,
  ];
  return lines.join("\n");
}

/** post_review.require, each marked as already in the PR description (✅) or still missing (task). */
function stillToDocument(config: Config, changeClass: ChangeClass, prBody: string): string[] {
  const required = postReviewOf(config, changeClass)?.require ?? [];
  if (required.length === 0) return ["Nothing beyond the checklist below (`post_review.require` is empty)."];
  const rfc = readRequestForChange(prBody);
  return required.map((name) => {
    const section = config.sections[name];
    if (section) {
      const status = sectionStatus(rfc, section);
      const heading = section.headings[0]!;
      return status.present
        ? `- [x] ${heading}: present in the pull request description`
        : `- [ ] ${heading}: missing from the pull request description; write it here`;
    }
    const field = config.fields[name];
    const label = field?.names[0] ?? name;
    const present = field ? fieldStatus(rfc, field).present : false;
    return present
      ? `- [x] ${label}: present in the pull request description`
      : `- [ ] ${label}: missing from the pull request description; write it here`;
  });
}

export function describeGroup(config: Config, group: string): string {
  const g = config.groups[group];
  const members = [...(g?.users ?? []).map((u) => `@${u}`), ...(g?.teams ?? []).map((t) => `team @${t}`)];
  return members.length > 0
    ? `\`${group}\`: ${members.join(", ")}`
    : `\`${group}\` (no members configured: an admin must set \`groups.${group}\` in .github/change-policy.yml)`;
}

export function pullLinkComment(
  pr: PullRef,
  issue: { owner: string; repo: string; number: number; url: string },
  due: string,
  changeClass: ChangeClass = "emergency",
): string {
  return [
    commentMarker("follow-up-link", `${issue.owner}/${issue.repo}#${issue.number}`),
    `This ${changeClass} change needs a post-implementation review by **${due}**: ${issue.owner}/${issue.repo}#${issue.number} (${issue.url}).`,
  ].join("\n");
}

export function reminderComment(terms: ReviewTerms, assignees: string[]): string {
  return [
    commentMarker("reminder", terms.due),
    `${mentions(assignees, terms.from)}: reminder — this post-implementation review is due at **${terms.due}** (in less than ${terms.remindBeforeHours} hours). Complete the checklist and close the issue when the review is done.`,
  ].join("\n");
}

export function overdueComment(terms: ReviewTerms, assignees: string[], lateBy: string): string {
  return [
    commentMarker("overdue", terms.due),
    `${mentions(assignees, terms.from)}: this post-implementation review is **overdue** — it was due at ${terms.due} (${lateBy} ago). The policy (${policySection(terms)}) requires the ${policySection(terms) === "§9" ? "CTO/CISO " : ""}review within the deadline; complete it and close this issue, and record why it was late.`,
  ].join("\n");
}

export function completedComment(closedBy: string, closedAt: string, timing: string): string {
  return [
    commentMarker("completed", closedAt),
    `Post-implementation review completed by @${closedBy} at ${closedAt}: ${timing}.`,
  ].join("\n");
}

export function reopenedComment(config: Config, terms: ReviewTerms, closedBy: string, closedAt: string): string {
  return [
    commentMarker("reopened", closedAt),
    `Reopened: @${closedBy} closed this issue, but only a member of ${describeGroup(config, terms.from)} may complete a post-implementation review (policy ${policySection(terms)}). Ask one of them to review the change and close the issue.`,
  ].join("\n");
}

/** Reopened because the policy could not be read: fail closed rather than accept an unverified close. */
export function reopenedUnverifiedComment(closedBy: string, closedAt: string, reason: string): string {
  return [
    commentMarker("reopened", closedAt),
    `Reopened: @${closedBy} closed this issue, but the app could not verify that they may complete the review (${reason}). Fix that, then a member of the reviewing group closes the issue again.`,
  ].join("\n");
}

const CLASS_NAMES: Record<ChangeClass, string> = { standard: "Standard", normal: "Normal", emergency: "Emergency" };

/** Where the policy asks for this review: §9 for emergency changes, §5.6 for the others. */
function policySection(terms: ReviewTerms): string {
  return (terms.changeClass ?? "emergency") === "emergency" ? "§9" : "§5.6";
}

function mentions(assignees: string[], group: string): string {
  return assignees.length > 0 ? assignees.map((a) => `@${a}`).join(" ") : `Reviewers of \`${group}\` (nobody is assigned)`;
}

