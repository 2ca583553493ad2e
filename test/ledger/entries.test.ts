// The bodies writers record: built from the verdict and the pull request as read, so that every writer
// records the same facts (who approved and whether it counted, the Request for Change as read).
import { expect, test } from "@jest/globals";
import { createHash } from "node:crypto";
import { parseConfigText } from "../../src/config/load.js";
import { checkEntryBody, mergeEntryBody } from "../../src/ledger/entries.js";
import { evaluatePull } from "../../src/policy/evaluate.js";
import { ledgerReadinessDetail } from "../../src/ledger/recorder.js";
import { HEAD_SHA, pullSnapshot, review } from "../helpers/pull-snapshot.js";

const parsed = parseConfigText("groups:\n  cab: { users: [carol] }\nclasses:\n  normal:\n    approvals: [{ count: 1, from: cab }]\n", "test.yml");
if (!parsed.ok) throw new Error("test config invalid");
const config = parsed.value;
const BODY = "## Description\nUpgrade the HTTP client.\n\n## Impact analysis\nOutbound requests only, nothing else changes.\n\n## Rollback plan\nRevert and redeploy.\n\nOwner: @alice";
const pr = pullSnapshot({
  body: BODY,
  labels: ["backend"],
  reviews: [review("carol", "APPROVED", 1), review("dave", "APPROVED", 2, { commitId: "b".repeat(40) })],
  permissions: { carol: "write", dave: "write" },
  groups: { cab: ["carol"] },
  state: "merged",
  mergedAt: "2026-12-02T14:00:00Z",
  mergedBy: "bob",
});

test("a check entry holds the verdict as published, each approval with its groups and why one did not count", () => {
  const verdict = evaluatePull(config, pr);
  const body = checkEntryBody({ config, pr, verdict, conclusion: verdict.conclusion, title: "Normal change: all requirements met", checkRunId: 99, policyBlobSha: "p".repeat(40) });
  expect(body).toMatchObject({ pull_number: 7, head_sha: HEAD_SHA, check_run_id: 99, class: verdict.changeClass, conclusion: verdict.conclusion, policy_blob_sha: "p".repeat(40) });
  expect(body.approvals).toEqual([
    { reviewer: "carol", commit_sha: HEAD_SHA, counted: true, groups: ["cab"], reason: null },
    { reviewer: "dave", commit_sha: "b".repeat(40), counted: false, groups: [], reason: expect.stringContaining("older commit") },
  ]);
  expect(body.requirements).toEqual(verdict.requirements.map(({ kind, name, met, detail, source }) => ({ kind, name, met, detail, source })));
});

test("a merge entry holds the Request for Change as read: SHA-256 of the description, sections, fields, labels", () => {
  const verdict = evaluatePull(config, pr);
  const body = mergeEntryBody({ config, pr, verdict, checkConclusion: "success", mergeCommitSha: "m".repeat(40), policyBlobSha: null });
  expect(body).toMatchObject({ pull_number: 7, merged_at: "2026-12-02T14:00:00Z", merged_by: "bob", author: "author", check_conclusion: "success", labels: ["backend"], approvers: ["carol"] });
  expect(body.description_sha256).toBe(createHash("sha256").update(BODY).digest("hex"));
  expect(body.sections.map((s) => s.heading)).toEqual(["description", "impact analysis", "rollback plan"]);
  expect(body.sections[1]!.text).toBe("Outbound requests only, nothing else changes.");
  expect(body.fields).toMatchObject({ owner: expect.stringContaining("alice") });
});

test("readiness detail says why the ledger is not writing, without making the server unready", () => {
  const base = { ok: false, state: "failing" as const, waiting: 3, written: 10, refused: 0, failures: 2, lastError: "cannot write to the ledger: connect ECONNREFUSED", lastErrorAt: null, nextRetryAt: "2026-12-02T14:00:02.000Z", database: null };
  expect(ledgerReadinessDetail(base)).toBe("ledger: failing (2 attempts; 3 entries waiting; next retry 2026-12-02T14:00:02.000Z): cannot write to the ledger: connect ECONNREFUSED");
  expect(ledgerReadinessDetail({ ...base, ok: true, state: "open", waiting: 0, failures: 0 })).toBe("ledger: ok");
});
