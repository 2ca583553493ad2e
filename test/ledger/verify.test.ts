// `verifyLedger` names the first bad seq and what is wrong, for every kind of tampering, on both databases.
import { describe, expect, test } from "@jest/globals";
import { appendEntry } from "../../src/ledger/append.js";
import { openLedgerDatabase, type LedgerDatabase } from "../../src/ledger/database.js";
import { entryAt, lastEntry, ledgerExtent } from "../../src/ledger/read.js";
import { PruneRefusedError, pruneLedger } from "../../src/ledger/prune.js";
import { verifyLedger } from "../../src/ledger/verify.js";
import { sampleEntry, seed, tamper, useLedgerTargets } from "./targets.js";

const { targets } = useLedgerTargets();

async function withLedger(target: (typeof targets)[number], count: number, fn: (ledger: LedgerDatabase) => Promise<void>): Promise<void> {
  const ledger = await openLedgerDatabase(await target.fresh());
  try {
    await seed(ledger, count);
    await fn(ledger);
  } finally {
    await ledger.close();
  }
}

describe.each(targets)("$name", (target) => {
  const ts = target.name === "postgres" ? "'2020-01-01T00:00:00.000Z'::timestamptz" : "'2020-01-01T00:00:00.000Z'";
  const bodyEdit = target.name === "postgres" ? `jsonb_set(body, '{title}', '"Entry 8, approved"')` : `json_set(body, '$.title', 'Entry 8, approved')`;

  test("an intact chain passes, in batches smaller than the chain", async () => {
    await withLedger(target, 25, async (ledger) => {
      const progress: number[] = [];
      const result = await verifyLedger(ledger, { batchSize: 10, onProgress: (n) => progress.push(n) });
      expect(result).toMatchObject({ ok: true, count: 25, firstSeq: 1, lastSeq: 25, lastHash: (await lastEntry(ledger))!.hash, problems: [] });
      expect(progress).toEqual([10, 20, 25]);
    });
  });

  test.each([
    ["recorded_at", `recorded_at = ${"TS"}`],
    ["kind", "kind = 'merge'"],
    ["repository", "repository = 'acme/other'"],
    ["subject", "subject = '#999'"],
    ["body", "body = BODY"],
    ["prev_hash", `prev_hash = '${"1".repeat(64)}'`],
  ])("an edited %s: entry 8 named as edited", async (_column, assignment) => {
    await withLedger(target, 20, async (ledger) => {
      await tamper(ledger, `update ledger_entries set ${assignment.replace("TS", ts).replace("BODY", bodyEdit)} where seq = 8`);
      const result = await verifyLedger(ledger);
      expect(result.ok).toBe(false);
      expect(result.problems[0]).toMatchObject({ seq: 8 });
      expect(result.problems.map((p) => p.what).join("\n")).toMatch(/entry 8 (was edited|does not follow entry 7)/);
    });
  });

  test("an edit below the millisecond is seen too", async () => {
    await withLedger(target, 10, async (ledger) => {
      const at = (await entryAt(ledger, 8))!.recorded_at;
      const finer = target.name === "postgres" ? `'${at.replace("Z", "400Z")}'::timestamptz` : `'${at.replace("Z", "400Z")}'`;
      await tamper(ledger, `update ledger_entries set recorded_at = ${finer} where seq = 8`);
      expect((await verifyLedger(ledger)).problems[0]).toMatchObject({ seq: 8, what: expect.stringMatching(/^entry 8 .*edited/) });
    });
  });

  test("an edited hash: entry 8 edited, and entry 9 no longer follows it", async () => {
    await withLedger(target, 20, async (ledger) => {
      await tamper(ledger, `update ledger_entries set hash = '${"a".repeat(64)}' where seq = 8`);
      const result = await verifyLedger(ledger);
      expect(result.problems).toEqual([
        { seq: 8, what: expect.stringContaining("entry 8 was edited: its hash does not match its content") },
        { seq: 9, what: expect.stringContaining("entry 9 does not follow entry 8") },
      ]);
    });
  });

  test("an edited seq (renumbered row): named at the new position", async () => {
    await withLedger(target, 20, async (ledger) => {
      await tamper(ledger, "update ledger_entries set seq = 100 where seq = 20");
      const result = await verifyLedger(ledger);
      expect(result.problems).toEqual([
        { seq: 20, what: "entries 20–99 are missing (deleted): the chain jumps from 19 to 100" },
        { seq: 100, what: expect.stringContaining("entry 100 was edited") },
      ]);
    });
  });

  test("a deleted row: the gap is named", async () => {
    await withLedger(target, 20, async (ledger) => {
      await tamper(ledger, "delete from ledger_entries where seq = 8");
      const result = await verifyLedger(ledger);
      expect(result.problems[0]).toEqual({ seq: 8, what: "entry 8 is missing (deleted): the chain jumps from 7 to 9" });
    });
  });

  test("a reordered chain (two entries swapped): the first swapped seq is named", async () => {
    await withLedger(target, 20, async (ledger) => {
      await tamper(ledger, "update ledger_entries set seq = -8 where seq = 8");
      await tamper(ledger, "update ledger_entries set seq = 8 where seq = 9");
      await tamper(ledger, "update ledger_entries set seq = 9 where seq = -8");
      const result = await verifyLedger(ledger);
      expect(result.problems[0]).toEqual({ seq: 8, what: expect.stringContaining("entry 8 does not follow entry 7: its prev_hash is not entry 7's hash (rows were reordered") });
    });
  });

  test("the first entry deleted, or its prev_hash not 64 zeros", async () => {
    await withLedger(target, 5, async (ledger) => {
      await tamper(ledger, "delete from ledger_entries where seq <= 2");
      expect((await verifyLedger(ledger)).problems[0]).toEqual({ seq: 1, what: "entries 1–2 are missing (deleted) and no checkpoint covers them" });
    });
    await withLedger(target, 5, async (ledger) => {
      await tamper(ledger, `update ledger_entries set prev_hash = '${"f".repeat(64)}' where seq = 1`);
      expect((await verifyLedger(ledger)).problems[0]).toMatchObject({ seq: 1, what: expect.stringContaining("the first entry's prev_hash must be 64 zeros") });
    });
  });

  test("anchors: a matching one passes; a forged one, or one past the end (deleted tail), names its seq", async () => {
    await withLedger(target, 20, async (ledger) => {
      const at15 = (await entryAt(ledger, 15))!;
      const good = await verifyLedger(ledger, { anchors: [{ seq: 15, hash: at15.hash, at: "2026-12-01T00:00:00Z" }] });
      expect(good).toMatchObject({ ok: true, anchorsChecked: 1 });

      const forged = await verifyLedger(ledger, { anchors: [{ seq: 15, hash: at15.hash }, { seq: 12, hash: "c".repeat(64), at: "2026-12-01T00:00:00Z", url: "https://github.com/acme/ledger-anchors/issues/1#issuecomment-9" }] });
      expect(forged.ok).toBe(false);
      expect(forged.problems).toEqual([
        { seq: 12, what: expect.stringContaining("the anchor of 2026-12-01T00:00:00Z (https://github.com/acme/ledger-anchors/issues/1#issuecomment-9) says entry 12 has hash cccccccccccc…") },
      ]);

      await tamper(ledger, "delete from ledger_entries where seq > 17");
      const truncated = await verifyLedger(ledger, { anchors: [{ seq: 20, hash: "d".repeat(64) }] });
      expect(truncated.problems).toEqual([{ seq: 20, what: "the anchor names entry 20, but the ledger ends at 17: entries were deleted" }]);
    });
  });

  test("prune writes a checkpoint first, deletes the old prefix, and the rest still verifies (with anchors)", async () => {
    const ledger = await openLedgerDatabase(await target.fresh());
    try {
      const day = (d: string) => () => new Date(`${d}T12:00:00.000Z`);
      for (let i = 0; i < 10; i++) await appendEntry(ledger, sampleEntry(i), day("2025-01-01"));
      for (let i = 10; i < 15; i++) await appendEntry(ledger, sampleEntry(i), day("2026-06-01"));
      const hashOf10 = (await entryAt(ledger, 10))!.hash;
      const now = new Date("2026-12-02T00:00:00Z");

      await expect(pruneLedger(ledger, { before: new Date("2026-01-01T00:00:00Z"), retentionDays: 400, now })).rejects.toThrow(
        /inside the retention of 400 days .*before 2025-10-28/,
      );
      expect((await ledgerExtent(ledger)).count).toBe(15);

      const result = await pruneLedger(ledger, { before: new Date("2025-06-01T00:00:00Z"), retentionDays: 400, now });
      expect(result).toMatchObject({ pruned: 10, throughSeq: 10 });
      expect(result.checkpoint).toMatchObject({ seq: 16, kind: "checkpoint", body: { through_seq: 10, through_hash: hashOf10, pruned_count: 10, retention_days: 400 } });
      expect(await ledgerExtent(ledger)).toEqual({ count: 6, firstSeq: 11, lastSeq: 16 });
      const verified = await verifyLedger(ledger, { anchors: [{ seq: 10, hash: hashOf10 }, { seq: 3, hash: "0".repeat(64) }] });
      expect(verified).toMatchObject({ ok: true, count: 6, firstSeq: 11, checkpoint: { seq: 16, throughSeq: 10 }, anchorsChecked: 1, anchorsPruned: 1 });

      // After pruning, deleting the next entry is still detected.
      await tamper(ledger, "delete from ledger_entries where seq = 11");
      expect((await verifyLedger(ledger)).problems[0]).toEqual({ seq: 1, what: "entries 1–11 are missing (deleted) and no checkpoint covers them" });
    } finally {
      await ledger.close();
    }
  });

  test("prune refuses a chain that is not intact, and deletes nothing", async () => {
    await withLedger(target, 10, async (ledger) => {
      await tamper(ledger, "update ledger_entries set subject = '#77' where seq = 4");
      const error = await pruneLedger(ledger, { before: new Date("2100-01-01T00:00:00Z"), retentionDays: 0, now: new Date("2100-01-02T00:00:00Z") }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PruneRefusedError);
      expect((error as Error).message).toMatch(/first bad entry 4: entry 4 was edited/);
      expect((await ledgerExtent(ledger)).count).toBe(10);
    });
  });
});
