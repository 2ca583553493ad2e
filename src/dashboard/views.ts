// Builds every dashboard page's view model from ledger entries (no GitHub request: the ledger holds
// what the app saw). Bodies are read leniently: an entry with a missing or odd field still shows, with
// that field as "not recorded", because a page must never fail on one old or unusual entry.
import type { LedgerEntry } from "../ledger/entries.js";
import { applyFollowUp, followUpNow, incidentRow, inScope, type FollowUpState, type LedgerIndex, type MergeFact } from "./ledger-index.js";
import type { LedgerSource } from "./ledger-source.js";
import { weekStart, weeksOf } from "./period.js";
import { list, mergedAtOf, obj, str, strings } from "./read-body.js";
import {
  type ApprovalView,
  type ChangeView,
  type ClassCounts,
  type Difference,
  type EntryRow,
  type FollowUpRow,
  type FollowUpsView,
  type IncidentsView,
  type LedgerStatus,
  type MergeCounts,
  type MergeFacts,
  type OverviewView,
  type Paging,
  type Period,
  type RepositoryRow,
  type Scope,
} from "./view-models.js";

/** Lists on the overview show this many rows; their own pages show the rest. */
export const OVERVIEW_LIST_LIMIT = 25;
/** Rows per page of the follow-ups and incidents pages (a page stays small and quick whatever the ledger holds). */
export const PAGE_SIZE = 100;

export interface ViewContext {
  index: LedgerIndex;
  source: LedgerSource;
  now: Date;
  /** https://github.com or https://HOST: links to issues (never fetched). */
  webBaseUrl: string;
  ledgerStatus: () => Promise<LedgerStatus>;
}

function emptyCounts(): ClassCounts {
  return { standard: 0, normal: 0, emergency: 0, other: 0 };
}

function emptyMergeCounts(): MergeCounts {
  return { merges: 0, byClass: emptyCounts(), passing: 0, emergency: 0 };
}

function countMerge(counts: MergeCounts, merge: MergeFact): void {
  counts.merges++;
  counts.byClass[merge.changeClass]++;
  if (merge.checkConclusion === "success") counts.passing++;
  if (merge.changeClass === "emergency") counts.emergency++;
}

const STATUS_ORDER = { overdue: 0, open: 1, "completed late": 2, "completed on time": 3 } as const;

/** Overdue first, then open, then completed; within each, by due time. */
export function sortFollowUps(rows: FollowUpRow[]): FollowUpRow[] {
  return [...rows].sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.dueAt.localeCompare(b.dueAt) || a.repository.localeCompare(b.repository) || a.pullNumber - b.pullNumber);
}

function isOpen(row: FollowUpRow): boolean {
  return row.status === "open" || row.status === "overdue";
}

/** The merges of the period (by merge time) within the scope. */
export function mergesIn(index: LedgerIndex, period: Pick<Period, "since" | "until">, scope: string): MergeFact[] {
  // A pull request merged once; should it carry two merge entries (a retried append), the newest counts.
  const latest = new Map<string, MergeFact>();
  for (const m of index.merges) if (m.mergedAt >= period.since && m.mergedAt <= period.until && inScope(m.repository, scope)) latest.set(`${m.repository}#${m.pullNumber}`, m);
  return [...latest.values()];
}

/** Every follow-up in the scope, as it stands now. */
export function followUpsIn(index: LedgerIndex, scope: string, now: Date): FollowUpRow[] {
  const rows: FollowUpRow[] = [];
  for (const state of index.followUps.values()) if (inScope(state.repository, scope)) rows.push(followUpNow(state, now));
  return rows;
}

/** The follow-ups of some entries (one change's), as they stand now. */
export function followUpRows(entries: LedgerEntry[], now: Date, webBaseUrl: string): FollowUpRow[] {
  const states = new Map<string, FollowUpState>();
  for (const e of entries) if (e.kind === "follow_up") applyFollowUp(states, e, webBaseUrl);
  return [...states.values()].map((s) => followUpNow(s, now));
}

// ---------------------------------------------------------------------------------------------
// Pages

export async function buildOverview(context: ViewContext, period: Period, scope: Scope): Promise<OverviewView> {
  const { index, now } = context;
  const merges = mergesIn(index, period, scope.value);
  const totals = emptyMergeCounts();
  const perRepository = new Map<string, RepositoryRow>();
  const rowOf = (repository: string) => {
    let row = perRepository.get(repository);
    if (!row) perRepository.set(repository, (row = { repository, ...emptyMergeCounts(), openFollowUps: 0, overdueFollowUps: 0, incidents: 0 }));
    return row;
  };
  const weeks = new Map(weeksOf(period).map((w) => [w, emptyCounts()]));
  for (const merge of merges) {
    countMerge(totals, merge);
    countMerge(rowOf(merge.repository), merge);
    const week = weeks.get(weekStart(new Date(merge.mergedAt)).toISOString().slice(0, 10));
    if (week) week[merge.changeClass]++;
  }
  const incidents = incidentsIn(index, period, scope.value);
  for (const incident of incidents) rowOf(incident.repository).incidents++;
  const followUps = sortFollowUps(followUpsIn(index, scope.value, now).filter(isOpen));
  let overdue = 0;
  for (const followUp of followUps) {
    const row = rowOf(followUp.repository);
    row.openFollowUps++;
    if (followUp.status === "overdue") {
      row.overdueFollowUps++;
      overdue++;
    }
  }
  return {
    period,
    scope,
    totals,
    repositories: [...perRepository.values()].sort((a, b) => a.repository.localeCompare(b.repository)),
    followUps: followUps.slice(0, OVERVIEW_LIST_LIMIT),
    openFollowUps: followUps.length,
    overdueFollowUps: overdue,
    incidents: incidents.slice(0, OVERVIEW_LIST_LIMIT),
    incidentCount: incidents.length,
    weeks: [...weeks.entries()].map(([weekStart, byClass]) => ({ weekStart, byClass })),
    ledger: await context.ledgerStatus(),
    generatedAt: now.toISOString(),
  };
}

function incidentsIn(index: LedgerIndex, period: Period, scope: string) {
  return index.incidents.filter((i) => i.recordedAt >= period.since && i.recordedAt <= period.until && inScope(i.repository, scope));
}

/** The rows of page `page` (1-based; a page past the end shows the last one). */
function pageOf<T>(rows: T[], page: number): { rows: T[]; paging: Paging } {
  const last = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const current = Math.min(Math.max(1, page), last);
  return { rows: rows.slice((current - 1) * PAGE_SIZE, current * PAGE_SIZE), paging: { page: current, pageSize: PAGE_SIZE, total: rows.length } };
}

export async function buildFollowUps(context: ViewContext, period: Period, scope: Scope, page = 1): Promise<FollowUpsView> {
  const rows = followUpsIn(context.index, scope.value, context.now);
  const shown = sortFollowUps(rows.filter((r) => isOpen(r) || (r.lastEventAt >= period.since && r.lastEventAt <= period.until)));
  return { period, scope, ...pageOf(shown, page), overdue: shown.filter((r) => r.status === "overdue").length, generatedAt: context.now.toISOString() };
}

export async function buildIncidents(context: ViewContext, period: Period, scope: Scope, page = 1): Promise<IncidentsView> {
  return { period, scope, ...pageOf(incidentsIn(context.index, period, scope.value), page), generatedAt: context.now.toISOString() };
}

// ---------------------------------------------------------------------------------------------
// One change

function approvals(value: unknown): ApprovalView[] {
  return list(value).map((a) => {
    const o = obj(a);
    return { reviewer: str(o.reviewer) ?? "?", counted: o.counted === true, groups: strings(o.groups), reason: str(o.reason) };
  });
}

function requirements(value: unknown): { kind: string; name: string; met: boolean; detail: string }[] {
  return list(value).map((r) => {
    const o = obj(r);
    return { kind: str(o.kind) ?? "", name: str(o.name) ?? "?", met: o.met === true, detail: str(o.detail) ?? "" };
  });
}

function mergeFacts(row: LedgerEntry): MergeFacts {
  const b = obj(row.body);
  return {
    seq: row.seq,
    mergedAt: mergedAtOf(row),
    mergedBy: str(b.merged_by),
    author: str(b.author),
    title: str(b.title) ?? "",
    baseRef: str(b.base_ref),
    headSha: str(b.head_sha),
    mergeCommitSha: str(b.merge_commit_sha),
    changeClass: str(b.class) ?? "unclassified",
    checkConclusion: str(b.check_conclusion),
    labels: strings(b.labels),
    policyBlobSha: str(b.policy_blob_sha),
    descriptionSha256: str(b.description_sha256),
    sections: list(b.sections).map((s) => ({ heading: str(obj(s).heading) ?? "", text: str(obj(s).text) ?? "" })),
    fields: Object.entries(obj(b.fields)).map(([name, value]) => ({ name, value: typeof value === "string" ? value : JSON.stringify(value) })),
    checked: strings(b.checked),
    approvals: approvals(b.approvals),
    requirements: requirements(b.requirements),
  };
}

function summaryOf(row: LedgerEntry): string {
  const b = obj(row.body);
  switch (row.kind) {
    case "check":
      return `Change Policy check ${str(b.conclusion) ?? "?"}: ${str(b.title) ?? ""}${str(b.head_sha) ? ` (head ${str(b.head_sha)!.slice(0, 7)})` : ""}`;
    case "merge":
      return `merged${str(b.merged_by) ? ` by @${str(b.merged_by)}` : ""} as a ${str(b.class) ?? "unclassified"} change, check ${str(b.check_conclusion) ?? "missing"} at merge`;
    case "follow_up":
      return `follow-up ${str(b.event) ?? "event"}${str(b.issue) ? ` ${str(b.issue)}` : ""}${str(b.due_at) ? `, due ${str(b.due_at)}` : ""}${b.on_time === false ? " (late)" : ""}`;
    case "incident":
      return `security incident (${str(b.type) ?? "?"})${str(b.issue) ? ` ${str(b.issue)}` : ""}: ${str(b.reason) ?? ""}`;
    case "deployment":
      return `deployment ${str(b.decision) ?? "decision"} to ${str(b.environment) ?? "?"}`;
    case "merge_group":
      return `merge group check ${str(b.conclusion) ?? "?"}: ${str(b.title) ?? ""}`;
    default:
      return row.kind;
  }
}

function lastIndexOf<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i]!)) return i;
  return -1;
}

function shortSha(sha: string | null): string {
  return sha ? sha.slice(0, 12) : "none";
}

/**
 * What the newest entries after the merge say that differs from the merge entry: the class (labels or
 * files changed), the policy file, the description (its hash, or requirements that flipped, which is how
 * a description edit shows in a check), the labels, and the check's conclusion.
 */
export function differencesAfterMerge(merge: LedgerEntry, later: LedgerEntry[]): Difference[] {
  const atMerge = obj(merge.body);
  const differences: Difference[] = [];
  const newest = (field: string) => [...later].reverse().find((row) => row.kind === "check" && field in obj(row.body));
  const compare = (field: string, what: string, show: (v: unknown) => string, same: (a: unknown, b: unknown) => boolean = (a, b) => JSON.stringify(a) === JSON.stringify(b)) => {
    const row = newest(field);
    if (!row || !(field in atMerge)) return;
    const now = obj(row.body)[field];
    if (!same(atMerge[field], now)) differences.push({ what, atMerge: show(atMerge[field]), now: show(now), seq: row.seq, recordedAt: row.recorded_at });
  };
  compare("description_sha256", "Description edited after merge", (v) => `SHA-256 ${shortSha(str(v))}`);
  compare("labels", "Labels changed after merge", (v) => (strings(v).length ? strings(v).join(", ") : "no labels"), (a, b) => JSON.stringify(strings(a).sort()) === JSON.stringify(strings(b).sort()));
  compare("class", "Class changed after merge", (v) => `${str(v) ?? "unclassified"} change`);
  compare("policy_blob_sha", "Policy file changed after merge", (v) => `blob ${shortSha(str(v))}`);
  const check = [...later].reverse().find((row) => row.kind === "check");
  if (check) {
    const nowConclusion = str(obj(check.body).conclusion);
    const thenConclusion = str(atMerge.check_conclusion);
    if (nowConclusion && nowConclusion !== thenConclusion) {
      differences.push({ what: "Change Policy check changed after merge", atMerge: thenConclusion ?? "no check", now: `${nowConclusion} (${str(obj(check.body).title) ?? ""})`, seq: check.seq, recordedAt: check.recorded_at });
    }
    const before = new Map(requirements(atMerge.requirements).map((r) => [`${r.kind}:${r.name}`, r.met]));
    for (const r of requirements(obj(check.body).requirements)) {
      const was = before.get(`${r.kind}:${r.name}`);
      if (was !== undefined && was !== r.met) {
        differences.push({ what: `Requirement “${r.name}”`, atMerge: was ? "met" : "missing", now: r.met ? "met" : `missing${r.detail ? ` (${r.detail})` : ""}`, seq: check.seq, recordedAt: check.recorded_at });
      }
    }
  }
  return differences;
}

export async function buildChange(context: ViewContext, repository: string, number: number): Promise<ChangeView> {
  const entries = await context.source.entriesOfSubject(repository, `#${number}`);
  const mergeIndex = lastIndexOf(entries, (e) => e.kind === "merge");
  const merge = mergeIndex >= 0 ? entries[mergeIndex]! : null;
  const checkIndex = lastIndexOf(entries, (e) => e.kind === "check");
  const check = checkIndex >= 0 ? entries[checkIndex]! : null;
  const rows: EntryRow[] = entries.map((e) => ({ seq: e.seq, recordedAt: e.recorded_at, kind: e.kind, summary: summaryOf(e), hash: e.hash }));
  const title = merge ? str(obj(merge.body).title) : null;
  const later = merge ? entries.slice(mergeIndex + 1) : [];
  // "Now" is what the app saw when it last evaluated the pull request (follow-ups and incidents say nothing about it).
  const newest = later.filter((e) => e.kind === "check").pop();
  return {
    repository,
    number,
    title,
    entries: rows,
    merge: merge ? mergeFacts(merge) : null,
    latestCheck: check ? { seq: check.seq, recordedAt: check.recorded_at, conclusion: str(obj(check.body).conclusion) ?? "?", title: str(obj(check.body).title) ?? "" } : null,
    differences: merge ? differencesAfterMerge(merge, later) : [],
    newestAfterMerge: newest ? { seq: newest.seq, recordedAt: newest.recorded_at } : null,
    followUps: followUpRows(entries, context.now, context.webBaseUrl),
    incidents: entries.filter((e) => e.kind === "incident").map((e) => incidentRow(e, context.webBaseUrl)),
    generatedAt: context.now.toISOString(),
  };
}
