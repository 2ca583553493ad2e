// The audit report from the ledger: verdicts as recorded at merge; exceptions for what changed after the
// merge on GitHub and for merges the ledger has no entry for.
import { afterEach, beforeEach, expect, test } from "@jest/globals";
import { appendEntry } from "../../src/ledger/append.js";
import { buildLedgerAuditReport, type PullNow } from "../../src/ledger/audit.js";
import { openLedgerDatabase, type LedgerDatabase } from "../../src/ledger/database.js";
import { requestForChangeRecord, type MergeBody } from "../../src/ledger/entries.js";
import { renderAuditReport } from "../../src/render/audit-report.js";
import { tempDir } from "./targets.js";

const BODY = "## Description\nUpgrade the client.\n\n## Impact analysis\nOutbound requests only, nothing else.\n\n## Rollback plan\nRevert.";
const SINCE = new Date("2026-07-01T00:00:00Z");
const UNTIL = new Date("2026-09-30T23:59:59Z");
const NOW = new Date("2026-10-15T09:00:00Z");
let ledger: LedgerDatabase;

beforeEach(async () => {
  ledger = await openLedgerDatabase({ dataDir: tempDir() });
});
afterEach(async () => {
  await ledger.close();
});

function merge(number: number, fields: Partial<MergeBody>): MergeBody {
  return {
    pull_number: number, title: `Change ${number}`, base_ref: "main", head_sha: String(number).repeat(40).slice(0, 40), merge_commit_sha: "f".repeat(40),
    merged_at: "2026-07-03T10:00:00Z", merged_by: "bob", author: "alice", check_conclusion: "success", class: "normal",
    approvers: ["carol"], approvals: [{ reviewer: "carol", commit_sha: null, counted: true, groups: ["cab"], reason: null }],
    ...requestForChangeRecord(BODY), labels: ["normal"], policy_blob_sha: "1111111aaaa", requirements: [
      { kind: "section", name: "Impact analysis", met: true, detail: "present", source: "normal change" },
      { kind: "section", name: "Rollback plan", met: true, detail: "present", source: "normal change" },
      { kind: "approval", name: "1 approval from cab", met: true, detail: "@carol", source: "normal change" },
    ],
    ...fields,
  };
}

const at = (iso: string) => () => new Date(iso);
const now = (number: number, fields: Partial<PullNow> = {}): PullNow => ({ number, title: `Change ${number}`, author: "alice", body: BODY, labels: ["normal"], mergedAt: "2026-07-03T10:00:00Z", mergedBy: "bob", baseRef: "main", ...fields });

test("merges as recorded at merge, with what changed since on GitHub and what was never recorded", async () => {
  const head10 = merge(10, {}).head_sha;
  await appendEntry(ledger, { kind: "check", repository: "acme/api", subject: "#10", body: { pull_number: 10, head_sha: head10, check_run_id: 1, class: "normal", conclusion: "success", title: "Normal change: all requirements met", requirements: [], approvals: [], rules: [], policy_blob_sha: "1111111aaaa" } }, at("2026-07-03T09:59:00.000Z"));
  await appendEntry(ledger, { kind: "merge", repository: "acme/api", subject: "#10", body: merge(10, {}) }, at("2026-07-03T10:00:01.000Z"));
  await appendEntry(ledger, { kind: "merge", repository: "acme/api", subject: "#10", body: merge(10, { title: "duplicate delivery" }) }, at("2026-07-03T10:00:02.000Z"));
  await appendEntry(ledger, { kind: "merge", repository: "acme/api", subject: "#11", body: merge(11, { class: "standard", check_conclusion: "failure", merged_at: "2026-08-01T08:00:00Z", policy_blob_sha: "2222222bbbb", approvals: [] }) }, at("2026-08-01T08:00:01.000Z"));
  await appendEntry(ledger, { kind: "merge", repository: "acme/api", subject: "#12", body: merge(12, { class: "emergency", merged_at: "2026-09-01T00:00:00Z", labels: ["emergency"] }) }, at("2026-09-01T00:00:01.000Z"));
  await appendEntry(ledger, { kind: "follow_up", repository: "acme/api", subject: "#12", body: { event: "opened", pull_number: 12, issue: "acme/api#40", due_at: "2026-09-03T00:00:00Z" } }, at("2026-09-01T00:00:02.000Z"));
  await appendEntry(ledger, { kind: "follow_up", repository: "acme/api", subject: "#12", body: { event: "completed", pull_number: 12, issue: "acme/api#40", due_at: "2026-09-03T00:00:00Z", on_time: false, late_by_minutes: 120 } }, at("2026-09-03T02:00:00.000Z"));
  await appendEntry(ledger, { kind: "merge", repository: "acme/api", subject: "#13", body: merge(13, { merged_at: "2026-10-02T00:00:00Z" }) }, at("2026-10-02T00:00:01.000Z"));
  await appendEntry(ledger, { kind: "merge", repository: "acme/web", subject: "#10", body: merge(10, { class: "emergency" }) }, at("2026-07-05T00:00:01.000Z"));

  const report = await buildLedgerAuditReport(ledger, {
    repository: "acme/api",
    since: SINCE,
    until: UNTIL,
    now: NOW,
    pullsNow: [
      now(10, { body: `${BODY}\n\nEdited after the merge.`, labels: ["normal", "hotfix"] }),
      now(11, { mergedAt: "2026-08-01T08:00:00Z" }),
      now(12, { mergedAt: "2026-09-01T00:00:00Z", labels: ["emergency"] }),
      now(14, { mergedAt: "2026-09-20T12:00:00Z", mergedBy: "mallory" }),
    ],
    policyBlobNow: () => "2222222bbbb",
    apiRequests: 7,
  });

  expect(report.pulls.map((p) => [p.number, p.title, p.changeClass, p.checkConclusion, p.checkTitle, p.approvers, p.sectionsPresent])).toEqual([
    [10, "Change 10", "normal", "success", "Normal change: all requirements met", [{ login: "carol", groups: ["cab"] }], ["Impact analysis", "Rollback plan"]],
    [11, "Change 11", "standard", "failure", null, [{ login: "carol", groups: [] }], ["Impact analysis", "Rollback plan"]],
    [12, "Change 12", "emergency", "success", null, [{ login: "carol", groups: ["cab"] }], ["Impact analysis", "Rollback plan"]],
  ]);
  expect(report.pulls[2]!.emergencyReview).toEqual({ status: "late", due: "2026-09-03T00:00:00Z", issue: { number: 40, url: "https://github.com/acme/api/issues/40", closedAt: "2026-09-03T02:00:00Z" } });
  expect(report.totals).toMatchObject({ pulls: 3, byClass: { standard: 1, normal: 1, emergency: 1 }, byCheckConclusion: { success: 2, failure: 1 } });
  expect(report.exceptions).toEqual([
    { kind: "check-not-success", reference: "#11", detail: "standard change merged by @bob while the Change Policy check was `failure`" },
    { kind: "emergency-review-late", reference: "#12", detail: "emergency review #40 closed 2026-09-03T02:00:00Z, after its due time 2026-09-03T00:00:00Z" },
    { kind: "description-edited-after-merge", reference: "#10", detail: expect.stringMatching(/^description edited after merge \(SHA-256 [0-9a-f]{12}… at merge, [0-9a-f]{12}… now\)/) },
    { kind: "labels-changed-after-merge", reference: "#10", detail: "labels changed after merge: added `hotfix`" },
    { kind: "policy-changed-after-merge", reference: "#10", detail: "the policy on `main` changed after merge (blob 1111111 at merge, 2222222 now); this report shows the verdict at merge" },
    { kind: "policy-changed-after-merge", reference: "#12", detail: "the policy on `main` changed after merge (blob 1111111 at merge, 2222222 now); this report shows the verdict at merge" },
    { kind: "no-ledger-entry", reference: "#14", detail: "merged 2026-09-20T12:00:00Z by @mallory with no merge entry in the ledger: what was true at merge is not recorded" },
  ]);
  expect(report).toMatchObject({ source: "ledger", apiRequests: 7, policies: [{ baseRef: "main", source: "policy blob 1111111, 2222222 at merge (recorded in the ledger)" }] });
  const markdown = renderAuditReport(report, "md");
  expect(markdown).toContain("from the evidence ledger (what the app recorded at each merge), compared with GitHub now");
  expect(markdown).toContain("- **#14** merged 2026-09-20T12:00:00Z by @mallory with no merge entry in the ledger");
  expect(renderAuditReport(report, "csv")).toContain("description-edited-after-merge");
});

test("without GitHub data: the recorded verdicts only; an emergency merge with no follow-up recorded is missing its review", async () => {
  await appendEntry(ledger, { kind: "merge", repository: "acme/api", subject: "#12", body: merge(12, { class: "emergency", merged_at: "2026-09-01T00:00:00Z" }) }, at("2026-09-01T00:00:01.000Z"));
  const report = await buildLedgerAuditReport(ledger, { repository: "acme/api", since: SINCE, until: UNTIL, now: NOW });
  expect(report.exceptions).toEqual([{ kind: "emergency-review-missing", reference: "#12", detail: "no post-implementation review issue found (due 2026-09-03T00:00:00Z)" }]);
});
