// The post-implementation review of an emergency change (policy §5.6, §9; SPEC §3), or of any class
// whose policy asks for one (`classes.<class>.post_review`, SPEC §9), as pure decisions: when it is due, what its hidden markers say, and what a sweep or a close must do.
// All state lives in the follow-up issue on GitHub (its body markers, labels and comments), so these
// functions only read that state; src/handlers/ does the I/O.
import { isoUtc } from "./time.js";
import { addHours, differenceInMinutes, isValid, parseISO, subHours } from "date-fns";
import { CHANGE_CLASSES, type ChangeClass, type PostReviewConfig } from "../config/schema.js";

import type { PullRef } from "./refs.js";

/** Label the sweep adds when the due time has passed (SPEC §3). */
export const OVERDUE_LABEL = "overdue";

const LOGIN = /^[a-z0-9](?:[a-z0-9-]{0,38})$/i;
const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

// ---------------------------------------------------------------------------------------------
// Markers. HTML comments are invisible on GitHub but survive in the body and the API, so they are
// how the app finds its own issues and comments again after a restart or on another replica.

/** `<!-- change-policy:follow-up owner/repo#N -->`: links a follow-up issue to its pull request. */
export function followUpMarker(pr: PullRef): string {
  return `<!-- change-policy:follow-up ${pr.owner}/${pr.repo}#${pr.number} -->`;
}

/** The review's own parameters, fixed at merge time so that later config edits do not move the goal posts. */
export interface ReviewTerms {
  pr: PullRef;
  /** ISO 8601 UTC, e.g. 2026-11-26T10:00:00Z. */
  due: string;
  /** The group whose members may complete the review. */
  from: string;
  remindBeforeHours: number;
  /** The class of the merged change; absent means emergency (issues opened before other classes had reviews). */
  changeClass?: ChangeClass;
}

export function termsMarker(terms: ReviewTerms): string {
  // Emergency reviews keep the marker they always had; other classes name theirs.
  const klass = terms.changeClass && terms.changeClass !== "emergency" ? ` class=${terms.changeClass}` : "";
  return `<!-- change-policy:post-review due=${terms.due} from=${terms.from} remind-before-hours=${terms.remindBeforeHours}${klass} -->`;
}

/** Reads both markers back from an issue body; null when the body is not a follow-up issue's. */
export function readReviewTerms(body: string | null | undefined): ReviewTerms | null {
  const pr = readFollowUpMarker(body);
  if (!pr || !body) return null;
  const start = body.indexOf("<!-- change-policy:post-review ");
  if (start < 0) return null;
  const end = body.indexOf("-->", start);
  if (end < 0) return null;
  const fields = new Map<string, string>();
  for (const part of body.slice(start + "<!-- change-policy:post-review ".length, end).trim().split(/\s+/)) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const due = fields.get("due") ?? "";
  const from = fields.get("from") ?? "";
  const remind = Number(fields.get("remind-before-hours"));
  if (!isValid(parseISO(due)) || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(from) || !Number.isFinite(remind) || remind < 0) return null;
  const klass = fields.get("class");
  if (klass !== undefined && !(CHANGE_CLASSES as readonly string[]).includes(klass)) return null;
  return { pr, due, from, remindBeforeHours: remind, ...(klass && klass !== "emergency" ? { changeClass: klass as ChangeClass } : {}) };
}

export function readFollowUpMarker(body: string | null | undefined): PullRef | null {
  if (!body) return null;
  const prefix = "<!-- change-policy:follow-up ";
  const start = body.indexOf(prefix);
  if (start < 0) return null;
  const end = body.indexOf(" -->", start);
  if (end < 0 || end - start > 300) return null;
  const ref = body.slice(start + prefix.length, end).trim();
  const slash = ref.indexOf("/");
  const hash = ref.lastIndexOf("#");
  if (slash <= 0 || hash <= slash) return null;
  const owner = ref.slice(0, slash);
  const repo = ref.slice(slash + 1, hash);
  const number = Number(ref.slice(hash + 1));
  if (!LOGIN.test(owner) || !NAME.test(repo) || !Number.isInteger(number) || number <= 0) return null;
  return { owner, repo, number };
}

/** Markers of the app's own comments; one kind per event, so each comment is written once. */
export type CommentKind = "follow-up-link" | "reminder" | "overdue" | "completed" | "reopened";

export function commentMarker(kind: CommentKind, key: string): string {
  return `<!-- change-policy:${kind} ${key} -->`;
}

// ---------------------------------------------------------------------------------------------
// Time.

/** Due time = merge time + within_hours, as ISO 8601 UTC without milliseconds. */
export function dueTime(mergedAt: string | Date, withinHours: number): string {
  const merged = typeof mergedAt === "string" ? parseISO(mergedAt) : mergedAt;
  if (!isValid(merged)) throw new Error(`the merge time "${String(mergedAt)}" is not a valid date`);
  return isoUtc(addHours(merged, withinHours));
}


/** "3 h 20 min", "2 d 1 h", "45 min", "less than a minute". */
export function formatDelay(minutes: number): string {
  const total = Math.abs(Math.round(minutes));
  if (total < 1) return "less than a minute";
  const days = Math.floor(total / 1440);
  const hours = Math.floor((total % 1440) / 60);
  const mins = total % 60;
  const parts: string[] = [];
  if (days) parts.push(`${days} d`);
  if (hours) parts.push(`${hours} h`);
  if (mins && !days) parts.push(`${mins} min`);
  return parts.join(" ");
}

/** How the review's completion compares with its due time, in the words the issue comment uses. */
export function completionTiming(due: string, closedAt: string | Date): { onTime: boolean; text: string } {
  const closed = typeof closedAt === "string" ? parseISO(closedAt) : closedAt;
  const late = differenceInMinutes(closed, parseISO(due));
  if (closed.getTime() <= parseISO(due).getTime()) {
    return { onTime: true, text: `on time (${formatDelay(-late)} before the due time ${due})` };
  }
  return { onTime: false, text: `late: completed ${formatDelay(late)} after the due time ${due}` };
}

// ---------------------------------------------------------------------------------------------
// Sweep decisions.

export type SweepAction = "none" | "remind" | "escalate";

/**
 * What one sweep must do for an open follow-up issue. `alreadyOverdue` is the `overdue` label;
 * the handler additionally checks comment markers, so a crash between comment and label cannot
 * lead to a second comment. A review already past its due time gets the escalation only: a
 * reminder after the deadline would tell the assignees nothing the escalation does not.
 */
export function sweepAction(terms: ReviewTerms, now: Date, state: { alreadyOverdue: boolean }): SweepAction {
  const due = parseISO(terms.due);
  if (now.getTime() >= due.getTime()) return state.alreadyOverdue ? "none" : "escalate";
  if (now.getTime() >= subHours(due, terms.remindBeforeHours).getTime()) return "remind";
  return "none";
}

/** Where the follow-up issue goes: post_review.repository ("repo" or "owner/repo"), else the PR's repository. */
export function followUpRepository(post: Pick<PostReviewConfig, "repository">, pr: Pick<PullRef, "owner" | "repo">): { owner: string; repo: string } {
  const configured = post.repository.trim();
  if (!configured) return { owner: pr.owner, repo: pr.repo };
  const slash = configured.indexOf("/");
  return slash < 0 ? { owner: pr.owner, repo: configured } : { owner: configured.slice(0, slash), repo: configured.slice(slash + 1) };
}

/** Assignees: post_review.assignees, else the users listed in the `from` group (teams cannot be assigned). */
export function followUpAssignees(post: Pick<PostReviewConfig, "assignees" | "from">, groups: Record<string, { users: string[] }>): string[] {
  const list = post.assignees.length > 0 ? post.assignees : (groups[post.from]?.users ?? []);
  // GitHub accepts at most 10 assignees per issue.
  return [...new Set(list.map((l) => l.toLowerCase()))].slice(0, 10);
}
