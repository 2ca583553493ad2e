// The audit report of a period built from the evidence ledger alone (SPEC §10 "Audit", §11): each
// merge's verdict from its `merge` entry (what was true at merge, not now), its post-implementation review
// from the `follow_up` entries, incidents from `incident` entries. No GitHub request. The dashboard's
// audit page and downloads call it; `change-policy audit` can call it with a ledger too (one code path),
// then print it with src/render/audit-report.ts as it does today.
import type { ChangeClass } from "../config/schema.js";
import { CHANGE_CLASSES } from "../config/schema.js";
import type { LedgerDatabase } from "../ledger/database.js";
import type { LedgerEntry } from "../ledger/entries.js";
import { auditExceptions, auditTotals, type AuditedIncident, type AuditedPull, type AuditReport, type EmergencyReview } from "../policy/audit.js";
import { KyselyLedgerSource, type LedgerSource } from "../dashboard/ledger-source.js";
import { mergedAtOf, obj, RECORDING_SLACK_MS, str, strings } from "../dashboard/read-body.js";
import { followUpRows, issueUrl } from "../dashboard/views.js";

export interface LedgerAuditOptions {
  /** owner/repo */
  repository: string;
  /** ISO 8601 UTC, both ends included (merge time). */
  since: string;
  until: string;
  /** Whether an open review is overdue. */
  now: Date;
  /** https://github.com or https://HOST, for issue links. */
  webBaseUrl: string;
}

export async function auditReportFromDatabase(handle: Pick<LedgerDatabase, "db">, options: LedgerAuditOptions): Promise<AuditReport> {
  return auditReportFromLedger(new KyselyLedgerSource(handle), options);
}

export async function auditReportFromLedger(ledger: LedgerSource, options: LedgerAuditOptions): Promise<AuditReport> {
  const repository = options.repository.toLowerCase();
  const recordedUntil = new Date(Date.parse(options.until) + RECORDING_SLACK_MS).toISOString();
  const [mergeEntries, incidentEntries, followUpEntries] = await Promise.all([
    ledger.entriesInPeriod(["merge"], options.since, recordedUntil, repository),
    ledger.entriesInPeriod(["incident"], options.since, options.until, repository),
    ledger.entriesOfKinds(["follow_up"], repository),
  ]);

  // A pull request merged once; should it carry two merge entries (a retried append), the newest wins.
  const merges = new Map<number, LedgerEntry>();
  for (const entry of mergeEntries) {
    const number = Number(obj(entry.body).pull_number);
    const at = mergedAtOf(entry);
    if (Number.isInteger(number) && at >= options.since && at <= options.until) merges.set(number, entry);
  }
  const followUps = new Map(followUpRows(followUpEntries, options.now, options.webBaseUrl).map((f) => [f.pullNumber, f]));
  const completedAt = new Map<number, string>();
  for (const e of followUpEntries) if (obj(e.body).event === "completed") completedAt.set(Number(obj(e.body).pull_number), e.recorded_at);

  const pulls: AuditedPull[] = [];
  for (const [number, entry] of [...merges.entries()].sort((a, b) => mergedAtOf(a[1]).localeCompare(mergedAtOf(b[1])) || a[0] - b[0])) {
    const b = obj(entry.body);
    const changeClass = (CHANGE_CLASSES as readonly string[]).includes(String(b.class)) ? (b.class as ChangeClass) : "normal";
    const approvals = Array.isArray(b.approvals) ? b.approvals.map(obj) : [];
    const approvers = approvals.length
      ? approvals.filter((a) => a.counted === true).map((a) => ({ login: str(a.reviewer) ?? "?", groups: strings(a.groups) }))
      : strings(b.approvers).map((login) => ({ login, groups: [] }));
    const requirements = Array.isArray(b.requirements) ? b.requirements.map(obj) : [];
    const sections = requirements.filter((r) => r.kind === "section" && r.met === true).map((r) => str(r.name) ?? "");
    const followUp = followUps.get(number);
    let emergencyReview: EmergencyReview | null = null;
    if (followUp || changeClass === "emergency") {
      const issueNumber = followUp ? Number(/#(\d+)$/.exec(followUp.issue)?.[1]) : NaN;
      emergencyReview = {
        status: !followUp ? "missing" : followUp.status === "completed late" ? "late" : followUp.status === "completed on time" ? "on time" : followUp.status,
        due: followUp?.dueAt ?? "",
        issue: followUp && Number.isInteger(issueNumber) ? { number: issueNumber, url: followUp.issueUrl ?? "", closedAt: completedAt.get(number) ?? null } : null,
      };
    }
    pulls.push({
      number,
      title: str(b.title) ?? "",
      author: str(b.author) ?? "",
      mergedAt: mergedAtOf(entry),
      mergedBy: str(b.merged_by),
      changeClass,
      checkConclusion: str(b.check_conclusion) ?? "none",
      checkTitle: null,
      approvers,
      sectionsPresent: sections.length ? sections : (Array.isArray(b.sections) ? b.sections.map((s) => str(obj(s).heading) ?? "") : []).filter(Boolean),
      emergencyReview,
    });
  }

  // The check's title at merge explains an exception: read it only for merges that were not `success`.
  for (const pull of pulls) {
    if (pull.checkConclusion === "success") continue;
    const entries = await ledger.entriesOfSubject(repository, `#${pull.number}`);
    const before = entries.filter((e) => e.kind === "check" && e.seq < merges.get(pull.number)!.seq);
    pull.checkTitle = str(obj(before[before.length - 1]?.body).title);
  }

  const incidents: AuditedIncident[] = incidentEntries.map((e) => {
    const b = obj(e.body);
    const issue = str(b.issue);
    const type = str(b.type);
    const pullNumber = Number(b.pull_number);
    return {
      number: Number(/#(\d+)$/.exec(issue ?? "")?.[1] ?? 0),
      title: str(b.reason) ?? (type === "push" ? "Direct push" : "Merged without a passing check"),
      url: issueUrl(options.webBaseUrl, issue) ?? "",
      // The ledger records when an incident was reported, not when its issue was closed.
      state: "open",
      createdAt: e.recorded_at,
      closedAt: null,
      kind: type === "push" ? "push" : type === "bypass" ? "bypass" : "other",
      subject: type === "push" ? (str(b.sha) ?? e.subject) : Number.isInteger(pullNumber) ? `#${pullNumber}` : e.subject,
    };
  });

  const policies = new Map<string, Set<string>>();
  for (const entry of merges.values()) {
    const b = obj(entry.body);
    const baseRef = str(b.base_ref) ?? "";
    if (!policies.has(baseRef)) policies.set(baseRef, new Set());
    policies.get(baseRef)!.add(str(b.policy_blob_sha) ?? "none");
  }

  return {
    repository,
    since: options.since,
    until: options.until,
    generatedAt: options.now.toISOString(),
    recordsFrom: "ledger",
    policies: [...policies.entries()]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([baseRef, blobs]) => ({ baseRef, source: `as recorded at merge: ${[...blobs].map((s) => (s === "none" ? "no policy file" : `blob ${s.slice(0, 12)}`)).join(", ")}` })),
    totals: auditTotals(pulls, incidents),
    exceptions: auditExceptions(pulls, incidents),
    pulls,
    incidents,
    apiRequests: 0,
  };
}
