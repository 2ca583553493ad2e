// "What differs on GitHub now" on the one-change page comes from the ledger alone: the `merge` entry
// against the `check` entries recorded after it (src/services/merged-pull.ts recordEditAfterMerge).
import { differencesAfterMerge } from "../../src/dashboard/views.js";
import type { LedgerEntry } from "../../src/ledger/entries.js";

const entry = (seq: number, kind: string, body: Record<string, unknown>): LedgerEntry =>
  ({ seq, recorded_at: `2026-11-24T1${seq}:00:00.000Z`, kind, repository: "acme/payments", subject: "#12", body, prev_hash: "0".repeat(64), hash: "1".repeat(64) }) as LedgerEntry;

const merge = entry(1, "merge", { description_sha256: "a".repeat(64), labels: ["backend"], class: "normal", policy_blob_sha: "b".repeat(40), check_conclusion: "success", requirements: [] });

test("a description and labels edited after the merge are listed, with when it was recorded", () => {
  const after = entry(2, "check", { after_merge: true, description_sha256: "c".repeat(64), labels: ["backend", "hotfix"], class: "normal", policy_blob_sha: "b".repeat(40), conclusion: "success", title: "Normal change: all requirements met", requirements: [] });
  const differences = differencesAfterMerge(merge, [after]);
  expect(differences.map((d) => d.what)).toEqual(["Description edited after merge", "Labels changed after merge"]);
  expect(differences[1]).toMatchObject({ atMerge: "backend", now: "backend, hotfix", seq: 2 });
});

test("nothing recorded after the merge: nothing differs", () => {
  expect(differencesAfterMerge(merge, [])).toEqual([]);
});
