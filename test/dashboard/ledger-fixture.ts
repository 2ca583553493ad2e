// A real evidence ledger (SQLite file, the ledger's own migrations and hash chain) holding a small
// quarter of changes, with bodies shaped as src/ledger/entries.ts defines them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appendEntry } from "../../src/ledger/append.js";
import { openLedgerDatabase, type LedgerDatabase, type OpenLedgerDatabaseOptions } from "../../src/ledger/database.js";
import type { ApprovalRecord, CheckBody, FollowUpBody, IncidentBody, LedgerKind, MergeBody, RequirementRecord } from "../../src/ledger/entries.js";

/** The clock of the dashboard tests: inside 2026 Q4. */
export const NOW = new Date("2026-11-24T12:00:00.000Z");
export const XSS_TITLE = `<script>alert("pwned")</script><img src=x onerror=alert(1)> Fix "quotes" & things`;

export interface TestLedger {
  handle: LedgerDatabase;
  dir: string;
  append<K extends LedgerKind>(at: string, kind: K, repository: string, subject: string, body: unknown): Promise<void>;
  close(): Promise<void>;
}

/** A new SQLite ledger in a temp dir, or the database `options` name (PostgreSQL). */
export async function openTestLedger(options?: OpenLedgerDatabaseOptions): Promise<TestLedger> {
  const dir = mkdtempSync(join(tmpdir(), "dashboard-ledger-"));
  const handle = await openLedgerDatabase(options ?? { dataDir: dir });
  return {
    handle,
    dir,
    async append(at, kind, repository, subject, body) {
      await appendEntry(handle, { kind, repository, subject, body: body as never }, () => new Date(at));
    },
    async close() {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const sha = (seed: string) => seed.repeat(40).slice(0, 40);

export function requirement(name: string, met: boolean, kind: RequirementRecord["kind"] = "section", detail = ""): RequirementRecord {
  return { kind, name, met, detail, source: "description" };
}

export function approval(reviewer: string, groups: string[], counted = true, reason: string | null = null): ApprovalRecord {
  return { reviewer, commit_sha: sha("a"), counted, groups, reason };
}

const SECTIONS = ["Description", "Impact analysis", "Rollback plan"];

export function mergeBody(number: number, overrides: Partial<MergeBody> = {}): MergeBody {
  return {
    pull_number: number,
    title: `Change number ${number}`,
    base_ref: "main",
    head_sha: sha(String(number % 10)),
    merge_commit_sha: sha("m"),
    merged_at: "2026-10-06T10:00:00.000Z",
    merged_by: "carol",
    author: "dave",
    check_conclusion: "success",
    class: "normal",
    approvers: ["cto", "bob"],
    approvals: [approval("cto", ["cto-ciso"]), approval("bob", [])],
    description_sha256: "d".repeat(64),
    sections: [
      { heading: "description", text: "Upgrade the payment client." },
      { heading: "impact analysis", text: "Card payments only; no schema change." },
      { heading: "rollback plan", text: "Revert the merge and redeploy v1.4.2." },
    ],
    fields: { owner: "@dave" },
    checked: ["tested in staging"],
    labels: ["normal-change"],
    policy_blob_sha: "b".repeat(40),
    requirements: SECTIONS.map((s) => requirement(s, true)).concat([requirement("Approval by cto-ciso", true, "approval")]),
    ...overrides,
  };
}

export function checkBody(number: number, overrides: Partial<CheckBody> = {}): CheckBody {
  return {
    pull_number: number,
    head_sha: sha(String(number % 10)),
    check_run_id: 1000 + number,
    class: "normal",
    conclusion: "success",
    title: "Normal change: all requirements met",
    requirements: SECTIONS.map((s) => requirement(s, true)).concat([requirement("Approval by cto-ciso", true, "approval")]),
    approvals: [approval("cto", ["cto-ciso"]), approval("bob", [])],
    rules: [],
    policy_blob_sha: "b".repeat(40),
    ...overrides,
  };
}

export function followUpBody(number: number, event: FollowUpBody["event"], due: string, repository = "acme/payments", extra: Partial<FollowUpBody> = {}): FollowUpBody {
  return { event, pull_number: number, issue: `${repository}#${200 + number}`, due_at: due, actor: null, ...extra };
}

/**
 * acme/payments: #12 normal (edited after merge), #13 emergency whose review is overdue, #14 standard,
 * #15 merged while failing with an HTML title (and its bypass incident), #16 emergency with an open
 * review, a direct push; acme/web: two merges, a review done on time; other/tools: one merge.
 */
export async function seedQuarter(ledger: TestLedger): Promise<void> {
  // Appended in time order, as the app would have (recorded_at never goes backwards as seq grows).
  const pending: { at: string; kind: LedgerKind; repository: string; subject: string; body: unknown }[] = [];
  const a = async (at: string, kind: LedgerKind, repository: string, subject: string, body: unknown) => {
    pending.push({ at, kind, repository, subject, body });
  };
  await a("2026-10-05T09:00:00.000Z", "check", "acme/payments", "#12", checkBody(12, { conclusion: "failure", title: "Normal change: 1 of 4 requirements missing", requirements: [requirement("Description", true), requirement("Impact analysis", true), requirement("Rollback plan", false, "section", "add a ## Rollback plan section"), requirement("Approval by cto-ciso", true, "approval")] }));
  await a("2026-10-06T09:30:00.000Z", "check", "acme/payments", "#12", checkBody(12));
  await a("2026-10-06T10:00:00.000Z", "merge", "acme/payments", "#12", mergeBody(12));
  // After the merge the description lost its rollback plan, a label changed, and the policy file changed.
  await a("2026-10-08T15:00:00.000Z", "check", "acme/payments", "#12", checkBody(12, { conclusion: "failure", class: "emergency", title: "Emergency change: 1 of 4 requirements missing", policy_blob_sha: "c".repeat(40), requirements: [requirement("Description", true), requirement("Impact analysis", true), requirement("Rollback plan", false, "section", "add a ## Rollback plan section"), requirement("Approval by cto-ciso", true, "approval")] }));

  await a("2026-10-20T08:00:00.000Z", "check", "acme/payments", "#13", checkBody(13, { class: "emergency", title: "Emergency change: all requirements met" }));
  await a("2026-10-20T08:05:00.000Z", "merge", "acme/payments", "#13", mergeBody(13, { class: "emergency", merged_at: "2026-10-20T08:05:00.000Z", title: "Hotfix: card payments time out", labels: ["emergency"] }));
  await a("2026-10-20T08:06:00.000Z", "follow_up", "acme/payments", "#13", followUpBody(13, "opened", "2026-10-22T08:05:00.000Z"));
  await a("2026-10-21T08:05:00.000Z", "follow_up", "acme/payments", "#13", followUpBody(13, "reminded", "2026-10-22T08:05:00.000Z"));
  await a("2026-10-22T08:10:00.000Z", "follow_up", "acme/payments", "#13", followUpBody(13, "overdue", "2026-10-22T08:05:00.000Z"));

  await a("2026-11-03T14:00:00.000Z", "check", "acme/payments", "#14", checkBody(14, { class: "standard", title: "Standard change: all requirements met" }));
  await a("2026-11-03T14:30:00.000Z", "merge", "acme/payments", "#14", mergeBody(14, { class: "standard", merged_at: "2026-11-03T14:30:00.000Z", title: "Bump lint rules", approvals: [approval("bob", [])], approvers: ["bob"] }));

  await a("2026-11-10T11:00:00.000Z", "check", "acme/payments", "#15", checkBody(15, { conclusion: "failure", title: "Normal change: 2 of 4 requirements missing" }));
  await a("2026-11-10T11:20:00.000Z", "merge", "acme/payments", "#15", mergeBody(15, { merged_at: "2026-11-10T11:20:00.000Z", title: XSS_TITLE, check_conclusion: "failure", merged_by: "mallory", labels: [`<b>bold</b>`] }));
  await a("2026-11-10T11:21:00.000Z", "incident", "acme/payments", "#15", {
    type: "bypass",
    issue: "acme/payments#301",
    branch: "main",
    pusher: "mallory",
    sha: sha("e"),
    commits: [],
    pull_number: 15,
    reason: "merged while the Change Policy check was failure",
  } satisfies IncidentBody);
  await a("2026-11-12T16:00:00.000Z", "incident", "acme/payments", "push 1a2b3c4", {
    type: "push",
    issue: "acme/payments#302",
    branch: "main",
    pusher: "mallory",
    sha: "1a2b3c4".padEnd(40, "0"),
    commits: [{ sha: "1a2b3c4".padEnd(40, "0"), author: "mallory", message: "quick fix" }],
    reason: "1 commit pushed to main outside a merged pull request",
  } satisfies IncidentBody);

  await a("2026-11-20T09:00:00.000Z", "merge", "acme/payments", "#16", mergeBody(16, { class: "emergency", merged_at: "2026-11-20T09:00:00.000Z", title: "Hotfix: refund rounding" }));
  await a("2026-11-20T09:01:00.000Z", "follow_up", "acme/payments", "#16", followUpBody(16, "opened", "2026-11-27T09:00:00.000Z"));

  await a("2026-10-14T10:00:00.000Z", "merge", "acme/web", "#7", mergeBody(7, { class: "emergency", merged_at: "2026-10-14T10:00:00.000Z", title: "Hotfix: login loop" }));
  await a("2026-10-14T10:01:00.000Z", "follow_up", "acme/web", "#7", followUpBody(7, "opened", "2026-10-16T10:00:00.000Z", "acme/web"));
  await a("2026-10-15T10:00:00.000Z", "follow_up", "acme/web", "#7", followUpBody(7, "completed", "2026-10-16T10:00:00.000Z", "acme/web", { on_time: true, actor: "cto" }));
  await a("2026-11-05T10:00:00.000Z", "merge", "acme/web", "#8", mergeBody(8, { class: "standard", merged_at: "2026-11-05T10:00:00.000Z", title: "Copy changes" }));

  await a("2026-11-18T10:00:00.000Z", "merge", "other/tools", "#3", mergeBody(3, { merged_at: "2026-11-18T10:00:00.000Z", title: "Tooling update" }));
  pending.sort((x, y) => x.at.localeCompare(y.at));
  for (const e of pending) await ledger.append(e.at, e.kind, e.repository, e.subject, e.body);
}

/** Inserted before the quarter's entries, so recorded_at keeps growing with seq. */
export async function seedLastQuarter(ledger: TestLedger): Promise<void> {
  await ledger.append("2026-09-10T10:00:00.000Z", "merge", "acme/payments", "#9", mergeBody(9, { merged_at: "2026-09-10T10:00:00.000Z", title: "Last quarter's change" }));
}
