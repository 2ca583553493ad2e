// `ledger prune`: the only deletion of ledger rows. Entries recorded before a date, once older than the
// retention, are replaced by a `checkpoint` entry holding the last pruned hash, so the rest of the chain
// still verifies from there. The chain is verified first: pruning must not hide tampering.
import type { LedgerDatabase } from "./database.js";
import { appendEntry } from "./append.js";
import { subjects, type CheckpointBody, type LedgerEntry } from "./entries.js";
import { entryAt, ledgerExtent } from "./read.js";
import { verifyLedger, type VerifyResult } from "./verify.js";

/** Policy §10: at least a year; the default keeps 400 days. */
export const DEFAULT_RETENTION_DAYS = 400;
const DAY_MS = 86_400_000;

export class PruneRefusedError extends Error {
  constructor(message: string, readonly verification?: VerifyResult) {
    super(message);
    this.name = "PruneRefusedError";
  }
}

export interface PruneOptions {
  before: Date;
  retentionDays: number;
  now?: Date;
}

export interface PruneResult {
  pruned: number;
  /** The checkpoint written, or null when nothing was old enough. */
  checkpoint: LedgerEntry<"checkpoint"> | null;
  throughSeq: number | null;
}

export async function pruneLedger(handle: LedgerDatabase, options: PruneOptions): Promise<PruneResult> {
  const now = options.now ?? new Date();
  const oldestAllowed = new Date(now.getTime() - options.retentionDays * DAY_MS);
  if (options.before.getTime() > oldestAllowed.getTime()) {
    throw new PruneRefusedError(
      `--before ${options.before.toISOString()} is inside the retention of ${options.retentionDays} days (LEDGER_RETENTION_DAYS); ` +
        `entries may be pruned only before ${oldestAllowed.toISOString()}`,
    );
  }
  const verification = await verifyLedger(handle);
  if (!verification.ok) {
    const first = verification.problems[0]!;
    throw new PruneRefusedError(`the ledger is not intact (first bad entry ${first.seq}: ${first.what}); nothing was pruned, so the evidence stays as found`, verification);
  }
  // The pruned range is a prefix: everything before the first entry recorded at or after `before`.
  const firstKept = await handle.db
    .selectFrom("ledger_entries")
    .select("seq")
    .where("recorded_at", ">=", options.before.toISOString())
    .orderBy("seq", "asc")
    .limit(1)
    .executeTakeFirst();
  const extent = await ledgerExtent(handle);
  if (extent.firstSeq === null || extent.lastSeq === null) return { pruned: 0, checkpoint: null, throughSeq: null };
  const throughSeq = firstKept ? Number(firstKept.seq) - 1 : extent.lastSeq;
  if (throughSeq < extent.firstSeq) return { pruned: 0, checkpoint: null, throughSeq: null };
  const last = await entryAt(handle, throughSeq);
  if (!last) throw new Error(`entry ${throughSeq} vanished while pruning`);
  const count = throughSeq - extent.firstSeq + 1;
  const body: CheckpointBody = {
    through_seq: throughSeq,
    through_hash: last.hash,
    before: options.before.toISOString(),
    pruned_count: count,
    retention_days: options.retentionDays,
  };
  // The checkpoint first: if the deletion fails or the process dies, nothing is lost and prune can run again.
  const checkpoint = await appendEntry(handle, { kind: "checkpoint", repository: "", subject: subjects.checkpoint(), body });
  const deleted = await handle.db.deleteFrom("ledger_entries").where("seq", "<=", throughSeq).executeTakeFirst();
  return { pruned: Number(deleted.numDeletedRows), checkpoint, throughSeq };
}
