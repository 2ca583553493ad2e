// The audit report (the same AuditReport that `change-policy audit` renders) from the ledger: each
// merge's class, approvers, sections and check conclusion as recorded AT the merge, not as GitHub shows
// them now. Compared with what GitHub says now (passed in by the caller, so this reads no GitHub), it lists
// as exceptions the merges whose description, labels or policy changed afterwards, and the merged pull
// requests that have no `merge` entry. The dashboard uses it too.
import { CHANGE_CLASSES, type ChangeClass } from "../config/schema.js";
import {
  auditExceptions,
  auditTotals,
  emergencyReview,
  type AuditedIncident,
  type AuditedPull,
  type AuditReport,
  type EmergencyReview,
  type EmergencyReviewStatus,
  type Exception,
  type IssueFacts,
} from "../policy/audit.js";
import { isoUtc } from "../policy/time.js";
import type { LedgerDatabase } from "./database.js";
import { sha256Hex, subjects, type FollowUpBody, type LedgerEntry, type MergeBody } from "./entries.js";
import { entriesWhere } from "./read.js";

/** A merged pull request as GitHub shows it now (e.g. from listMergedPulls' snapshots). */
export interface PullNow {
  number: number;
  title: string;
  author: string;
  body: string;
  labels: string[];
  mergedAt: string | null;
  mergedBy: string | null;
  baseRef: string;
}

export interface LedgerAuditOptions {
  /** `owner/repo` */
  repository: string;
  /** The period, by merge time; both ends included. */
  since: Date;
  until: Date;
  now: Date;
  /** Merged PRs of the period as GitHub lists them now; omitted: no comparison, no "no entry" list. */
  pullsNow?: readonly PullNow[];
  /** The policy file's blob sha on each base branch now (null: no policy file); omitted: no comparison. */
  policyBlobNow?: (baseRef: string) => string | null | undefined;
  /** Incidents of the period (auditIncidents), as in the GitHub audit. */
  incidents?: AuditedIncident[];
  /** Follow-up issues by PR number, when the caller read them; otherwise the ledger's follow_up entries decide. */
  followUps?: ReadonlyMap<number, IssueFacts | null>;
  /** Post-review deadline of emergency changes, for merges without a recorded follow-up (default 48). */
  emergencyWithinHours?: number;
  /** For links to follow-up issues built from the ledger (default https://github.com). */
  webUrl?: string;
  /** GitHub requests the caller spent on pullsNow/policyBlobNow/incidents, for the report. */
  apiRequests?: number;
}

/** Merges are recorded shortly after they happen; allow for retries of a database that was down. */
const RECORDING_SLACK_MS = 7 * 86_400_000;

export async function buildLedgerAuditReport(ledger: LedgerDatabase, options: LedgerAuditOptions): Promise<AuditReport> {
  const repository = options.repository.toLowerCase();
  const sinceMs = options.since.getTime();
  const untilMs = options.until.getTime();

  // The entries of the repository since the period began: merges, and the checks and follow-ups around them.
  const merges = new Map<number, LedgerEntry<"merge">>();
  const checks = new Map<string, LedgerEntry<"check">[]>();
  const followUps = new Map<number, LedgerEntry<"follow_up">[]>();
  for await (const entry of entriesWhere(ledger, {
    repository,
    kinds: ["merge", "check", "follow_up"],
    since: new Date(sinceMs - RECORDING_SLACK_MS),
  })) {
    if (entry.kind === "merge") {
      const merge = entry as LedgerEntry<"merge">;
      const mergedAt = Date.parse(merge.body.merged_at);
      // The first entry of a merge counts (a redelivered event may have written it twice).
      if (mergedAt >= sinceMs && mergedAt <= untilMs && !merges.has(merge.body.pull_number)) merges.set(merge.body.pull_number, merge);
    } else if (entry.kind === "check") {
      const check = entry as LedgerEntry<"check">;
      const key = `${check.subject} ${check.body.head_sha}`;
      checks.set(key, [...(checks.get(key) ?? []), check]);
    } else {
      const followUp = entry as LedgerEntry<"follow_up">;
      followUps.set(followUp.body.pull_number, [...(followUps.get(followUp.body.pull_number) ?? []), followUp]);
    }
  }

  const webUrl = (options.webUrl ?? "https://github.com").replace(/\/$/, "");
  const pulls: AuditedPull[] = [];
  for (const merge of [...merges.values()].sort((a, b) => a.body.merged_at.localeCompare(b.body.merged_at) || a.body.pull_number - b.body.pull_number)) {
    const b = merge.body;
    const changeClass = asChangeClass(b.class);
    // The check's title at merge: the newest check entry on the merged head commit written before the merge entry.
    const checkAtMerge = (checks.get(`${merge.subject} ${b.head_sha}`) ?? []).filter((c) => c.seq < merge.seq).at(-1);
    const counted = b.approvals.filter((a) => a.counted);
    pulls.push({
      number: b.pull_number,
      title: b.title,
      author: b.author,
      mergedAt: b.merged_at,
      mergedBy: b.merged_by,
      changeClass,
      checkConclusion: b.check_conclusion ?? "none",
      checkTitle: checkAtMerge?.body.title ?? null,
      approvers: counted.length ? counted.map((a) => ({ login: a.reviewer, groups: a.groups })) : b.approvers.map((login) => ({ login, groups: [] })),
      sectionsPresent: b.requirements.filter((r) => r.kind === "section" && r.met).map((r) => r.name),
      emergencyReview:
        changeClass !== "emergency"
          ? null
          : options.followUps?.has(b.pull_number)
            ? emergencyReview(b.merged_at, options.emergencyWithinHours ?? 48, options.followUps.get(b.pull_number) ?? null, options.now)
            : reviewFromLedger(b, followUps.get(b.pull_number) ?? [], options, webUrl),
    });
  }

  const incidents = options.incidents ?? [];
  const exceptions: Exception[] = [...auditExceptions(pulls, incidents), ...changedAfterMerge(merges, options), ...withoutEntry(merges, options)];
  const blobs = new Map<string, Set<string>>();
  for (const m of merges.values()) {
    const set = blobs.get(m.body.base_ref) ?? new Set<string>();
    set.add(m.body.policy_blob_sha ?? "none");
    blobs.set(m.body.base_ref, set);
  }
  return {
    repository: options.repository,
    since: isoUtc(options.since),
    until: isoUtc(options.until),
    generatedAt: isoUtc(options.now),
    policies: [...blobs.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([baseRef, shas]) => ({ baseRef, source: `policy blob ${[...shas].map((s) => (s === "none" ? "none (defaults)" : s.slice(0, 7))).join(", ")} at merge (recorded in the ledger)` })),
    totals: auditTotals(pulls, incidents),
    exceptions,
    pulls,
    incidents,
    apiRequests: options.apiRequests ?? 0,
    source: "ledger",
  };
}

function asChangeClass(value: string): ChangeClass {
  return (CHANGE_CLASSES as readonly string[]).includes(value) ? (value as ChangeClass) : "normal";
}

/** The emergency review as the ledger's follow_up entries tell it (the newest event decides). */
function reviewFromLedger(merge: MergeBody, events: LedgerEntry<"follow_up">[], options: LedgerAuditOptions, webUrl: string): EmergencyReview {
  const last = events.at(-1)?.body as FollowUpBody | undefined;
  const opened = events[0]?.body as FollowUpBody | undefined;
  const due = opened?.due_at ?? new Date(Date.parse(merge.merged_at) + (options.emergencyWithinHours ?? 48) * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  if (!last) return { status: "missing", due, issue: null };
  const ref = /^([^/\s]+\/[^#\s]+)#(\d+)$/.exec(last.issue);
  const completed = last.event === "completed";
  const status: EmergencyReviewStatus = completed ? (last.on_time ? "on time" : "late") : options.now.getTime() > Date.parse(due) ? "overdue" : "open";
  const closedAt = completed ? events.at(-1)!.recorded_at.replace(/\.\d{3}Z$/, "Z") : null;
  return { status, due, issue: ref ? { number: Number(ref[2]), url: `${webUrl}/${ref[1]}/issues/${ref[2]}`, closedAt } : null };
}

/** Description, labels or policy different now from what was recorded at merge. */
function changedAfterMerge(merges: Map<number, LedgerEntry<"merge">>, options: LedgerAuditOptions): Exception[] {
  const exceptions: Exception[] = [];
  const now = new Map((options.pullsNow ?? []).map((p) => [p.number, p]));
  for (const merge of merges.values()) {
    const b = merge.body;
    const reference = subjects.pull(b.pull_number);
    const pull = now.get(b.pull_number);
    if (pull) {
      const digest = sha256Hex(pull.body ?? "");
      if (digest !== b.description_sha256) {
        exceptions.push({ kind: "description-edited-after-merge", reference, detail: `description edited after merge (SHA-256 ${b.description_sha256.slice(0, 12)}… at merge, ${digest.slice(0, 12)}… now); the ledger holds the Request for Change as read at merge` });
      }
      const before = new Set(b.labels.map((l) => l.toLowerCase()));
      const after = new Set(pull.labels.map((l) => l.toLowerCase()));
      const added = [...after].filter((l) => !before.has(l)).sort();
      const removed = [...before].filter((l) => !after.has(l)).sort();
      if (added.length || removed.length) {
        const parts = [added.length ? `added ${added.map((l) => `\`${l}\``).join(", ")}` : "", removed.length ? `removed ${removed.map((l) => `\`${l}\``).join(", ")}` : ""].filter(Boolean);
        exceptions.push({ kind: "labels-changed-after-merge", reference, detail: `labels changed after merge: ${parts.join("; ")}` });
      }
    }
    const blobNow = options.policyBlobNow?.(b.base_ref);
    if (blobNow !== undefined && (blobNow ?? null) !== (b.policy_blob_sha ?? null)) {
      const show = (sha: string | null) => (sha ? sha.slice(0, 7) : "none");
      exceptions.push({ kind: "policy-changed-after-merge", reference, detail: `the policy on \`${b.base_ref}\` changed after merge (blob ${show(b.policy_blob_sha)} at merge, ${show(blobNow)} now); this report shows the verdict at merge` });
    }
  }
  return exceptions;
}

/** Pull requests GitHub lists as merged in the period that the ledger has no merge entry for. */
function withoutEntry(merges: Map<number, LedgerEntry<"merge">>, options: LedgerAuditOptions): Exception[] {
  return (options.pullsNow ?? [])
    .filter((p) => !merges.has(p.number) && p.mergedAt && Date.parse(p.mergedAt) >= options.since.getTime() && Date.parse(p.mergedAt) <= options.until.getTime())
    .sort((a, b) => (a.mergedAt ?? "").localeCompare(b.mergedAt ?? "") || a.number - b.number)
    .map((p) => ({
      kind: "no-ledger-entry" as const,
      reference: subjects.pull(p.number),
      detail: `merged ${p.mergedAt}${p.mergedBy ? ` by @${p.mergedBy}` : ""} with no merge entry in the ledger: what was true at merge is not recorded`,
    }));
}
