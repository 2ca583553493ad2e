// The quarterly audit (policy §10) as pure functions: what each merged pull request looked like to
// the policy, how its emergency review went, and the totals and exceptions an auditor reads first.
// src/cli/audit.ts gathers the records from GitHub; src/render/audit-report.ts prints them.
import { isValid, parseISO } from "date-fns";
import type { ChangeClass, Config } from "../config/schema.js";
import { reviewerStandings } from "./approvals.js";
import { classifyChange, isMember } from "./classify.js";
import { readIncidentMarker } from "./incidents.js";
import { completionTiming, dueTime, readReviewTerms } from "./post-review.js";
import { readRequestForChange, sectionStatus } from "./request-for-change.js";
import type { PullSnapshot } from "./snapshot.js";

export interface IssueFacts {
  number: number;
  title: string;
  state: "open" | "closed";
  url: string;
  body: string;
  createdAt: string;
  closedAt: string | null;
}

export type EmergencyReviewStatus = "on time" | "late" | "open" | "overdue" | "missing";

export interface EmergencyReview {
  status: EmergencyReviewStatus;
  /** ISO 8601 UTC. */
  due: string;
  issue: { number: number; url: string; closedAt: string | null } | null;
}

export interface AuditedPull {
  number: number;
  title: string;
  author: string;
  mergedAt: string;
  mergedBy: string | null;
  changeClass: ChangeClass;
  /** `success`, `failure`, … of the newest `Change Policy` check on the merged head commit; `none` when there was none. */
  checkConclusion: string;
  checkTitle: string | null;
  approvers: { login: string; groups: string[] }[];
  /** First heading of every configured section found in the description. */
  sectionsPresent: string[];
  emergencyReview: EmergencyReview | null;
}

export interface AuditedIncident {
  number: number;
  title: string;
  url: string;
  state: "open" | "closed";
  createdAt: string;
  closedAt: string | null;
  /** push: commits without a merged PR; bypass: merged without a passing check; other: filed by hand. */
  kind: "push" | "bypass" | "other";
  /** The pull request (bypass) or the pushed head commit (push) the incident is about. */
  subject: string | null;
}

export interface Exception {
  kind:
    | "check-not-success"
    | "emergency-review-late"
    | "emergency-review-open"
    | "emergency-review-missing"
    | "incident"
    // From the evidence ledger (src/ledger/audit.ts): what changed after the merge, what is not recorded.
    | "description-edited-after-merge"
    | "labels-changed-after-merge"
    | "policy-changed-after-merge"
    | "no-ledger-entry";
  /** `#12` for a pull request, the issue reference for an incident. */
  reference: string;
  detail: string;
}

export interface AuditTotals {
  pulls: number;
  byClass: Record<ChangeClass, number>;
  byCheckConclusion: Record<string, number>;
  emergencyReviews: Record<EmergencyReviewStatus, number>;
  incidents: { total: number; open: number; closed: number };
}

export function auditPull(
  config: Config,
  pr: PullSnapshot,
  check: { conclusion: string | null; status: string; title: string | null } | null,
  followUp: IssueFacts | null,
  now: Date,
): AuditedPull {
  const changeClass = classifyChange(config, pr).changeClass;
  // Write access is not re-read (one request per approver); the check at merge verified it.
  const assumeWrite = Object.fromEntries(pr.reviews.filter((r) => r.author).map((r) => [r.author!, "write" as const]));
  const standings = reviewerStandings({ ...config, approvals: { ...config.approvals, stale: "keep" } }, { ...pr, permissions: assumeWrite });
  const approvers = standings
    .filter((s) => s.state === "APPROVED" && s.ineligible === null)
    .map((s) => ({ login: s.login, groups: Object.keys(config.groups).filter((g) => isMember(pr, g, s.login)) }));
  const rfc = readRequestForChange(pr.body);
  const sectionsPresent = Object.values(config.sections)
    .filter((section) => sectionStatus(rfc, section).present)
    .map((section) => section.headings[0]!);
  const mergedAt = pr.mergedAt ?? "";
  return {
    number: pr.number,
    title: pr.title,
    author: pr.author,
    mergedAt,
    mergedBy: pr.mergedBy ?? null,
    changeClass,
    checkConclusion: check ? (check.conclusion ?? check.status) : "none",
    checkTitle: check?.title ?? null,
    approvers,
    sectionsPresent,
    emergencyReview: changeClass === "emergency" ? emergencyReview(mergedAt, config.classes.emergency.post_review.within_hours, followUp, now) : null,
  };
}

export function emergencyReview(mergedAt: string, withinHours: number, issue: IssueFacts | null, now: Date): EmergencyReview {
  // The due time the follow-up recorded at merge wins: later config edits do not move it.
  const due = readReviewTerms(issue?.body)?.due ?? (isValid(parseISO(mergedAt)) ? dueTime(mergedAt, withinHours) : mergedAt);
  let status: EmergencyReviewStatus;
  if (!issue) status = "missing";
  else if (issue.state === "closed" && issue.closedAt) status = completionTiming(due, issue.closedAt).onTime ? "on time" : "late";
  else status = now.getTime() > parseISO(due).getTime() ? "overdue" : "open";
  return { status, due, issue: issue ? { number: issue.number, url: issue.url, closedAt: issue.state === "closed" ? issue.closedAt : null } : null };
}

/** Incident issues about this repository opened in the period (the app's, by marker, or filed by hand with the label). */
export function auditIncidents(
  issues: IssueFacts[],
  where: { owner: string; repo: string },
  sameRepository: boolean,
  since: Date,
  until: Date,
): AuditedIncident[] {
  const result: AuditedIncident[] = [];
  for (const issue of issues) {
    const created = parseISO(issue.createdAt).getTime();
    if (created < since.getTime() || created > until.getTime()) continue;
    const marker = readIncidentMarker(issue.body);
    const ours = marker !== null && marker.owner.toLowerCase() === where.owner.toLowerCase() && marker.repo.toLowerCase() === where.repo.toLowerCase();
    if (!ours && (marker !== null || !sameRepository)) continue;
    result.push({
      number: issue.number,
      title: issue.title,
      url: issue.url,
      state: issue.state,
      createdAt: issue.createdAt,
      closedAt: issue.closedAt,
      kind: marker?.kind ?? "other",
      subject: marker ? (marker.kind === "push" ? marker.sha : `#${marker.number}`) : null,
    });
  }
  return result.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.number - b.number);
}

export function auditTotals(pulls: AuditedPull[], incidents: AuditedIncident[]): AuditTotals {
  const byClass: Record<ChangeClass, number> = { standard: 0, normal: 0, emergency: 0 };
  const byCheckConclusion: Record<string, number> = {};
  const emergencyReviews: Record<EmergencyReviewStatus, number> = { "on time": 0, late: 0, open: 0, overdue: 0, missing: 0 };
  for (const pull of pulls) {
    byClass[pull.changeClass]++;
    byCheckConclusion[pull.checkConclusion] = (byCheckConclusion[pull.checkConclusion] ?? 0) + 1;
    if (pull.emergencyReview) emergencyReviews[pull.emergencyReview.status]++;
  }
  const open = incidents.filter((i) => i.state === "open").length;
  return { pulls: pulls.length, byClass, byCheckConclusion, emergencyReviews, incidents: { total: incidents.length, open, closed: incidents.length - open } };
}

/** What an auditor must look at, in the order of the report. */
export function auditExceptions(pulls: AuditedPull[], incidents: AuditedIncident[]): Exception[] {
  const exceptions: Exception[] = [];
  for (const pull of pulls) {
    if (pull.checkConclusion !== "success") {
      exceptions.push({
        kind: "check-not-success",
        reference: `#${pull.number}`,
        detail:
          pull.checkConclusion === "none"
            ? `${pull.changeClass} change merged by ${who(pull.mergedBy)} with no Change Policy check`
            : `${pull.changeClass} change merged by ${who(pull.mergedBy)} while the Change Policy check was \`${pull.checkConclusion}\`${pull.checkTitle ? ` (${pull.checkTitle})` : ""}`,
      });
    }
    const review = pull.emergencyReview;
    if (!review) continue;
    if (review.status === "late") {
      exceptions.push({ kind: "emergency-review-late", reference: `#${pull.number}`, detail: `emergency review #${review.issue!.number} closed ${review.issue!.closedAt}, after its due time ${review.due}` });
    } else if (review.status === "open" || review.status === "overdue") {
      exceptions.push({
        kind: "emergency-review-open",
        reference: `#${pull.number}`,
        detail: `emergency review #${review.issue!.number} still open, ${review.status === "overdue" ? "overdue since" : "due"} ${review.due}`,
      });
    } else if (review.status === "missing") {
      exceptions.push({ kind: "emergency-review-missing", reference: `#${pull.number}`, detail: `no post-implementation review issue found (due ${review.due})` });
    }
  }
  for (const incident of incidents) {
    exceptions.push({
      kind: "incident",
      reference: `#${incident.number}`,
      detail: `security incident (${incident.state}${incident.kind === "other" ? "" : `, ${incident.kind === "push" ? "direct push" : "bypassed check"}`}): ${incident.title}`,
    });
  }
  return exceptions;
}

function who(login: string | null): string {
  return login ? `@${login}` : "an unknown user";
}

/** The whole report: what every renderer prints. */
export interface AuditReport {
  repository: string;
  /** The period, ISO 8601 UTC, both ends included. */
  since: string;
  until: string;
  generatedAt: string;
  /** Which policy judged the PRs of each base branch (as it is now). */
  policies: { baseRef: string; source: string }[];
  totals: AuditTotals;
  exceptions: Exception[];
  pulls: AuditedPull[];
  incidents: AuditedIncident[];
  /** GitHub API requests the report cost. */
  apiRequests: number;
  /** Where each merge's verdict comes from: GitHub now (default), or the ledger's entry written at merge. */
  source?: "github" | "ledger";
}
