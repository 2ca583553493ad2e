// What each dashboard page shows, built from ledger entries (src/dashboard/views.ts) and printed by
// src/render/dashboard/. Plain data: times are ISO 8601 UTC strings.
import type { AuditReport } from "../policy/audit.js";

export type ChangeClassName = "standard" | "normal" | "emergency";
export const CLASS_NAMES: readonly ChangeClassName[] = ["standard", "normal", "emergency"];

export interface Period {
  /** First instant, ISO 8601 UTC. */
  since: string;
  /** Last instant (included), ISO 8601 UTC. */
  until: string;
  /** The query values that select it again (YYYY-MM-DD). */
  sinceDay: string;
  untilDay: string;
  /** "2026 Q4" for a calendar quarter, else "2026-10-01 – 2026-11-15". */
  label: string;
}

export interface Viewer {
  login: string;
  teams: string[];
}

/** Where in the ledger: everything, one account (installation), or one repository. */
export interface Scope {
  /** "" = every repository; "acme" = an account; "acme/payments" = one repository. */
  value: string;
  /** Repositories known to the ledger, for the picker (owner/repo, sorted). */
  repositories: string[];
}

export interface Anchor {
  seq: number;
  hash: string;
  at: string;
  url: string | null;
}

export interface LedgerStatus {
  entries: number;
  headSeq: number | null;
  headHash: string | null;
  /** The chain was checked from its start (or last checkpoint) through this seq. */
  verifiedThrough: number | null;
  verifiedAt: string | null;
  /** The first problem verification found ("seq 812: hash does not match its contents"), if any. */
  problem: string | null;
  lastAnchor: Anchor | null;
}

export type ClassCounts = Record<ChangeClassName | "other", number>;

export interface MergeCounts {
  merges: number;
  byClass: ClassCounts;
  /** Merged while the Change Policy check was `success`. */
  passing: number;
  emergency: number;
}

export interface RepositoryRow extends MergeCounts {
  repository: string;
  openFollowUps: number;
  overdueFollowUps: number;
  incidents: number;
}

export type FollowUpStatus = "overdue" | "open" | "completed on time" | "completed late";

export interface FollowUpRow {
  repository: string;
  pullNumber: number;
  /** `owner/repo#N` */
  issue: string;
  issueUrl: string | null;
  dueAt: string;
  status: FollowUpStatus;
  /** The last lifecycle event recorded and when. */
  lastEvent: string;
  lastEventAt: string;
  title: string | null;
}

export interface IncidentRow {
  seq: number;
  repository: string;
  subject: string;
  recordedAt: string;
  type: string;
  issue: string | null;
  issueUrl: string | null;
  branch: string | null;
  pusher: string | null;
  reason: string;
  pullNumber: number | null;
}

export interface WeekBucket {
  /** Monday of the ISO week, YYYY-MM-DD. */
  weekStart: string;
  byClass: ClassCounts;
}

export interface OverviewView {
  period: Period;
  scope: Scope;
  totals: MergeCounts;
  repositories: RepositoryRow[];
  /** The first open follow-ups (overdue first); the counts below are of all of them. */
  followUps: FollowUpRow[];
  openFollowUps: number;
  overdueFollowUps: number;
  /** The period's first incidents; `incidentCount` counts all of them. */
  incidents: IncidentRow[];
  incidentCount: number;
  weeks: WeekBucket[];
  ledger: LedgerStatus;
  generatedAt: string;
}

/** One page of a long list. */
export interface Paging {
  /** 1-based. */
  page: number;
  pageSize: number;
  total: number;
}

export interface FollowUpsView {
  period: Period;
  scope: Scope;
  /** This page of: open ones (overdue first, then by due time), then those completed in the period. */
  rows: FollowUpRow[];
  overdue: number;
  paging: Paging;
  generatedAt: string;
}

export interface IncidentsView {
  period: Period;
  scope: Scope;
  rows: IncidentRow[];
  paging: Paging;
  generatedAt: string;
}

export interface EntryRow {
  seq: number;
  recordedAt: string;
  kind: string;
  summary: string;
  hash: string;
}

export interface ApprovalView {
  reviewer: string;
  counted: boolean;
  groups: string[];
  reason: string | null;
}

export interface RequirementView {
  kind: string;
  name: string;
  met: boolean;
  detail: string;
}

export interface MergeFacts {
  seq: number;
  mergedAt: string;
  mergedBy: string | null;
  author: string | null;
  title: string;
  baseRef: string | null;
  headSha: string | null;
  mergeCommitSha: string | null;
  changeClass: string;
  checkConclusion: string | null;
  labels: string[];
  policyBlobSha: string | null;
  descriptionSha256: string | null;
  sections: { heading: string; text: string }[];
  fields: { name: string; value: string }[];
  checked: string[];
  approvals: ApprovalView[];
  requirements: RequirementView[];
}

/** Something that is different now (per the newest ledger entries) from what was true at merge. */
export interface Difference {
  what: string;
  atMerge: string;
  now: string;
  /** The entry that shows it. */
  seq: number;
  recordedAt: string;
}

export interface ChangeView {
  repository: string;
  number: number;
  title: string | null;
  entries: EntryRow[];
  merge: MergeFacts | null;
  /** The newest `check` entry (its conclusion and title), if any. */
  latestCheck: { seq: number; recordedAt: string; conclusion: string; title: string } | null;
  differences: Difference[];
  /** The newest `check` entry recorded after the merge (what "now" is), if any. */
  newestAfterMerge: { seq: number; recordedAt: string } | null;
  followUps: FollowUpRow[];
  incidents: IncidentRow[];
  generatedAt: string;
}

export interface AuditView {
  period: Period;
  scope: Scope;
  /** null when no single repository is chosen (the audit report is per repository, as the CLI's). */
  report: AuditReport | null;
  generatedAt: string;
}
