// The audit report of a period from the evidence ledger (SPEC §10 "Audit", §11): each merge's class,
// approvers, sections and check conclusion from its `merge` entry (what was true at merge, not now), its
// post-implementation review from the `follow_up` entries, incidents from `incident` entries. Given what
// GitHub says now (the CLI, with credentials), it also lists as exceptions the merges whose description,
// labels or policy changed after the merge and the merged pull requests the ledger has no entry for.
// One builder for both callers: the dashboard's audit page and downloads (its in-memory index, no GitHub
// request) and `change-policy audit --from-ledger` (an index read once, GitHub now when it can); both
// print it with src/render/audit-report.ts.
import type { ChangeClass } from "../config/schema.js";
import { CHANGE_CLASSES, defaultConfig } from "../config/schema.js";
import type { LedgerDatabase } from "../ledger/database.js";
import { sha256Hex, subjects, type LedgerEntry } from "../ledger/entries.js";
import { isoUtc } from "../policy/time.js";
import { dueTime } from "../policy/post-review.js";
import { auditExceptions, auditTotals, type AuditedIncident, type AuditedPull, type AuditReport, type EmergencyReview, type Exception } from "../policy/audit.js";
import { followUpNow, LedgerIndex, pullNumberOf } from "../dashboard/ledger-index.js";
import { KyselyLedgerSource, type LedgerSource } from "../dashboard/ledger-source.js";
import { mergedAtOf, obj, str, strings, type Obj } from "../dashboard/read-body.js";

/** A merged pull request as GitHub shows it now (what the exceptions compare the merge entry with). */
export interface PullNow {
  number: number;
  body: string;
  labels: string[];
  mergedAt: string | null;
  mergedBy: string | null;
}

/** What GitHub says now, read on demand (only the CLI passes it: a dashboard page makes no GitHub request). */
export interface GitHubNow {
  /** The pull requests GitHub lists as merged in the period. */
  mergedPulls(): Promise<readonly PullNow[]>;
  /** The policy file's blob sha on a base branch now; null when the branch has none. */
  policyBlobSha(baseRef: string): Promise<string | null>;
  /** GitHub requests these reads have cost so far (printed in the report). */
  requests(): number;
}

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
  /** Omitted: the recorded verdicts only, no comparison with GitHub (the report says so). */
  github?: GitHubNow;
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

  // The period's merge entries; a retried append may have written one twice: the first is the one at merge.
  const seqs = index.merges.filter((m) => m.repository === repository && m.mergedAt >= since && m.mergedAt <= until).map((m) => m.seq);
  const merges = new Map<number, LedgerEntry>();
  for (const entry of await ledger.entriesBySeq(seqs)) {
    const number = pullNumberOf(entry);
    if (number !== null && !merges.has(number)) merges.set(number, entry);
  }
  const ordered = [...merges.entries()].sort(([a, x], [b, y]) => mergedAtOf(x).localeCompare(mergedAtOf(y)) || a - b);

  const followUps = new Map([...index.followUps.values()].filter((f) => f.repository === repository).map((f) => [f.pullNumber, { ...followUpNow(f, options.now), completedAt: f.completedAt }]));
  const withinHours = defaultConfig().classes.emergency.post_review.within_hours;

  const pulls: AuditedPull[] = [];
  for (const [number, entry] of ordered) {
    const b = obj(entry.body);
    const changeClass = (CHANGE_CLASSES as readonly string[]).includes(String(b.class)) ? (b.class as ChangeClass) : "normal";
    const mergedAt = utc(mergedAtOf(entry));
    const approvals = Array.isArray(b.approvals) ? b.approvals.map(obj) : [];
    const approvers = approvals.length
      ? approvals.filter((a) => a.counted === true).map((a) => ({ login: str(a.reviewer) ?? "?", groups: strings(a.groups) }))
      : strings(b.approvers).map((login) => ({ login, groups: [] }));
    const requirements = Array.isArray(b.requirements) ? b.requirements.map(obj) : [];
    const sections = requirements.filter((r) => r.kind === "section" && r.met === true).map((r) => str(r.name) ?? "");
    let emergencyReview: EmergencyReview | null = null;
    if (changeClass === "emergency") {
      const followUp = followUps.get(number);
      // Without a follow-up the review is missing; it was due the policy's default time after the merge.
      const due = followUp?.dueAt ? utc(followUp.dueAt) : Number.isNaN(Date.parse(mergedAt)) ? mergedAt : dueTime(mergedAt, withinHours);
      const issueNumber = followUp ? Number(/#(\d+)$/.exec(followUp.issue)?.[1]) : NaN;
      emergencyReview = {
        status: !followUp ? "missing" : followUp.status === "completed late" ? "late" : followUp.status === "completed on time" ? "on time" : followUp.status,
        due,
        issue: followUp && Number.isInteger(issueNumber) ? { number: issueNumber, url: followUp.issueUrl ?? "", closedAt: followUp.completedAt ? utc(followUp.completedAt) : null } : null,
      };
    }
    pulls.push({
      number,
      title: str(b.title) ?? "",
      author: str(b.author) ?? "",
      mergedAt,
      mergedBy: str(b.merged_by),
      changeClass,
      checkConclusion: str(b.check_conclusion) ?? "none",
      checkTitle: null,
      approvers,
      sectionsPresent: sections.length ? sections : (Array.isArray(b.sections) ? b.sections.map((s) => str(obj(s).heading) ?? "") : []).filter(Boolean),
      emergencyReview,
    });
  }

  // The check's title at merge explains an exception: read it only for merges that were not `success`
  // (one indexed read per such merge): the newest check on the merged head commit written before the merge.
  for (const pull of pulls) {
    if (pull.checkConclusion === "success") continue;
    const merge = merges.get(pull.number)!;
    const head = str(obj(merge.body).head_sha);
    const before = (await ledger.entriesOfSubject(repository, subjects.pull(pull.number))).filter((e) => e.kind === "check" && e.seq < merge.seq && (head === null || obj(e.body).head_sha === head));
    pull.checkTitle = str(obj(before.at(-1)?.body).title);
  }

  const incidents: AuditedIncident[] = index.incidents
    .filter((i) => i.repository === repository && i.recordedAt >= since && i.recordedAt <= until)
    .map((i) => ({
      number: Number(/#(\d+)$/.exec(i.issue ?? "")?.[1] ?? 0),
      title: i.reason || (i.type === "push" ? "Direct push" : "Merged without a passing check"),
      url: i.issueUrl ?? "",
      // The ledger records when an incident was reported, not when its issue was closed.
      state: "open",
      createdAt: utc(i.recordedAt),
      closedAt: null,
      kind: i.type === "push" ? "push" : i.type === "bypass" ? "bypass" : "other",
      subject: i.type === "bypass" && i.pullNumber !== null ? `#${i.pullNumber}` : i.subject.replace(/^push /, ""),
    }));

  const policies = new Map<string, Set<string>>();
  for (const [, entry] of ordered) {
    const b = obj(entry.body);
    const baseRef = str(b.base_ref) ?? "";
    if (!policies.has(baseRef)) policies.set(baseRef, new Set());
    policies.get(baseRef)!.add(str(b.policy_blob_sha) ?? "none");
  }

  const exceptions: Exception[] = auditExceptions(pulls, incidents);
  if (options.github) exceptions.push(...(await againstGitHubNow(ordered, options.github, options)));

  return {
    repository,
    since: isoUtc(options.since),
    until: isoUtc(options.until),
    generatedAt: isoUtc(options.now),
    source: "ledger",
    comparedWithGitHub: options.github !== undefined,
    policies: [...policies.entries()]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([baseRef, blobs]) => ({ baseRef, source: `as recorded at merge: ${[...blobs].map((s) => (s === "none" ? "no policy file" : `blob ${s.slice(0, 12)}`)).join(", ")}` })),
    totals: auditTotals(pulls, incidents),
    exceptions,
    pulls,
    incidents,
    apiRequests: options.github?.requests() ?? 0,
  };
}

/** An ISO time as the report prints times (UTC, to the second); anything unparsable as it is. */
function utc(text: string): string {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? text : isoUtc(new Date(ms));
}

/**
 * What GitHub shows now that differs from the merge entries: a description (its SHA-256), labels or a
 * policy file changed after the merge, then the pull requests merged in the period with no merge entry.
 */
async function againstGitHubNow(merges: [number, LedgerEntry][], github: GitHubNow, options: LedgerAuditOptions): Promise<Exception[]> {
  const pullsNow = await github.mergedPulls();
  const now = new Map(pullsNow.map((p) => [p.number, p]));
  const blobs = new Map<string, string | null>();
  for (const [, entry] of merges) {
    const baseRef = str(obj(entry.body).base_ref);
    if (baseRef !== null && !blobs.has(baseRef)) blobs.set(baseRef, await github.policyBlobSha(baseRef));
  }

  const changed: Exception[] = [];
  for (const [number, entry] of merges) {
    const b = obj(entry.body);
    const reference = subjects.pull(number);
    const pull = now.get(number);
    if (pull) changed.push(...descriptionAndLabels(b, pull, reference));
    const baseRef = str(b.base_ref);
    if (baseRef !== null && "policy_blob_sha" in b) {
      const atMerge = str(b.policy_blob_sha);
      const blobNow = blobs.get(baseRef) ?? null;
      if (blobNow !== atMerge) {
        const show = (sha: string | null) => (sha ? sha.slice(0, 7) : "none");
        changed.push({ kind: "policy-changed-after-merge", reference, detail: `the policy on \`${baseRef}\` changed after merge (blob ${show(atMerge)} at merge, ${show(blobNow)} now); this report shows the verdict at merge` });
      }
    }
  }

  const recorded = new Set(merges.map(([number]) => number));
  const sinceMs = options.since.getTime();
  const untilMs = options.until.getTime();
  const withoutEntry = pullsNow
    .filter((p) => !recorded.has(p.number) && p.mergedAt && Date.parse(p.mergedAt) >= sinceMs && Date.parse(p.mergedAt) <= untilMs)
    .sort((a, b) => (a.mergedAt ?? "").localeCompare(b.mergedAt ?? "") || a.number - b.number)
    .map((p) => ({
      kind: "no-ledger-entry" as const,
      reference: subjects.pull(p.number),
      detail: `merged ${utc(p.mergedAt!)}${p.mergedBy ? ` by @${p.mergedBy}` : ""} with no merge entry in the ledger: what was true at merge is not recorded`,
    }));
  return [...changed, ...withoutEntry];
}

/** A merge entry without the field (an old one) is not compared on it. */
function descriptionAndLabels(atMerge: Obj, pull: PullNow, reference: string): Exception[] {
  const exceptions: Exception[] = [];
  const recordedSha = str(atMerge.description_sha256);
  const digest = sha256Hex(pull.body ?? "");
  if (recordedSha !== null && digest !== recordedSha) {
    exceptions.push({ kind: "description-edited-after-merge", reference, detail: `description edited after merge (SHA-256 ${recordedSha.slice(0, 12)}… at merge, ${digest.slice(0, 12)}… now); the ledger holds the Request for Change as read at merge` });
  }
  if (Array.isArray(atMerge.labels)) {
    const before = new Set(strings(atMerge.labels).map((l) => l.toLowerCase()));
    const after = new Set(pull.labels.map((l) => l.toLowerCase()));
    const added = [...after].filter((l) => !before.has(l)).sort();
    const removed = [...before].filter((l) => !after.has(l)).sort();
    if (added.length || removed.length) {
      const parts = [added.length ? `added ${added.map((l) => `\`${l}\``).join(", ")}` : "", removed.length ? `removed ${removed.map((l) => `\`${l}\``).join(", ")}` : ""].filter(Boolean);
      exceptions.push({ kind: "labels-changed-after-merge", reference, detail: `labels changed after merge: ${parts.join("; ")}` });
    }
  }
  return exceptions;
}
