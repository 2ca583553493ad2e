// The audit report of a period built from the evidence ledger alone (SPEC §10 "Audit", §11): each
// merge's verdict from its `merge` entry (what was true at merge, not now), its post-implementation review
// from the `follow_up` entries, incidents from `incident` entries. No GitHub request. The dashboard's
// audit page and downloads call it; `change-policy audit` can call it with a ledger too (one code path),
// then print it with src/render/audit-report.ts as it does today.
import type { ChangeClass } from "../config/schema.js";
import { CHANGE_CLASSES } from "../config/schema.js";
import type { LedgerDatabase } from "../ledger/database.js";
import { isoUtc } from "../policy/time.js";
import { auditExceptions, auditTotals, type AuditedIncident, type AuditedPull, type AuditReport, type EmergencyReview } from "../policy/audit.js";
import { LedgerIndex } from "../dashboard/ledger-index.js";
import { KyselyLedgerSource, type LedgerSource } from "../dashboard/ledger-source.js";
import { mergedAtOf, obj, str, strings } from "../dashboard/read-body.js";
import { followUpsIn, mergesIn } from "../dashboard/views.js";

export interface LedgerAuditOptions {
  /** owner/repo */
  repository: string;
  /** Both ends included (merge time). */
  since: Date;
  until: Date;
  /** Whether an open review is overdue. */
  now: Date;
  /** https://github.com or https://HOST, for issue links. */
  webBaseUrl: string;
}

/** For a one-off report (the CLI): read the ledger once into an index, then build the report. */
export async function auditReportFromDatabase(handle: Pick<LedgerDatabase, "db">, options: LedgerAuditOptions): Promise<AuditReport> {
  const source = new KyselyLedgerSource(handle);
  const index = new LedgerIndex(source, { clock: () => options.now, webBaseUrl: options.webBaseUrl, verify: false });
  await index.catchUp();
  return auditReportFromLedger(index, source, options);
}

/** The report from an up-to-date index (the dashboard keeps one) and the ledger it indexes. */
export async function auditReportFromLedger(index: LedgerIndex, ledger: LedgerSource, options: LedgerAuditOptions): Promise<AuditReport> {
  const repository = options.repository.toLowerCase();
  const since = options.since.toISOString();
  const until = options.until.toISOString();
  const facts = mergesIn(index, { since, until }, repository).sort((a, b) => a.mergedAt.localeCompare(b.mergedAt) || a.pullNumber - b.pullNumber);
  const mergeEntries = new Map((await ledger.entriesBySeq(facts.map((f) => f.seq))).map((e) => [e.seq, e]));
  const followUps = new Map(followUpsIn(index, repository, options.now).map((f) => [f.pullNumber, f]));
  const completedAt = new Map([...index.followUps.values()].filter((f) => f.repository === repository && f.completedAt).map((f) => [f.pullNumber, f.completedAt!]));

  const pulls: AuditedPull[] = [];
  const merges = new Map<number, number>();
  for (const fact of facts) {
    const entry = mergeEntries.get(fact.seq);
    if (!entry) continue;
    const number = fact.pullNumber;
    merges.set(number, fact.seq);
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
    const before = entries.filter((e) => e.kind === "check" && e.seq < merges.get(pull.number)!);
    pull.checkTitle = str(obj(before[before.length - 1]?.body).title);
  }

  const incidents: AuditedIncident[] = index.incidents
    .filter((i) => i.repository === repository && i.recordedAt >= since && i.recordedAt <= until)
    .map((i) => ({
      number: Number(/#(\d+)$/.exec(i.issue ?? "")?.[1] ?? 0),
      title: i.reason || (i.type === "push" ? "Direct push" : "Merged without a passing check"),
      url: i.issueUrl ?? "",
      // The ledger records when an incident was reported, not when its issue was closed.
      state: "open",
      createdAt: i.recordedAt,
      closedAt: null,
      kind: i.type === "push" ? "push" : i.type === "bypass" ? "bypass" : "other",
      subject: i.type === "bypass" && i.pullNumber !== null ? `#${i.pullNumber}` : i.subject.replace(/^push /, ""),
    }));

  const policies = new Map<string, Set<string>>();
  for (const seq of merges.values()) {
    const b = obj(mergeEntries.get(seq)!.body);
    const baseRef = str(b.base_ref) ?? "";
    if (!policies.has(baseRef)) policies.set(baseRef, new Set());
    policies.get(baseRef)!.add(str(b.policy_blob_sha) ?? "none");
  }

  return {
    repository,
    since: isoUtc(options.since),
    until: isoUtc(options.until),
    generatedAt: isoUtc(options.now),
    source: "ledger",
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
