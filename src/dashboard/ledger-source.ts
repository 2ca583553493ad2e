// The dashboard's reads of the evidence ledger (table `ledger_entries`, SPEC §10), through Kysely on
// SQLite or PostgreSQL, each served by an index of the ledger's migration: the walk by seq (primary
// key), bodies by seq, one pull request's entries by (repository, subject, seq), the ends of the chain.
import type { LedgerDatabase } from "../ledger/database.js";
import type { LedgerEntry } from "../ledger/entries.js";
import { rowToEntry, type LedgerRow } from "../ledger/read.js";

export interface LedgerSource {
  /** Entries with seq > after, by seq, at most `limit` (the index's walk). */
  entriesAfter(after: number, limit: number): Promise<LedgerEntry[]>;
  /** These entries (by seq), in seq order. */
  entriesBySeq(seqs: readonly number[]): Promise<LedgerEntry[]>;
  /** Every entry of one subject (`#12`) of one repository, by seq. */
  entriesOfSubject(repository: string, subject: string): Promise<LedgerEntry[]>;
  /** The newest entry and how many entries there are. */
  head(): Promise<{ seq: number; hash: string; recordedAt: string; count: number } | null>;
}

const COLUMNS = ["seq", "recorded_at", "kind", "repository", "subject", "body", "prev_hash", "hash"] as const;

/** A row as an entry; a body that is not JSON (only a hand edit could do that) reads as null. */
function read(row: LedgerRow): LedgerEntry {
  try {
    return rowToEntry(row);
  } catch {
    return rowToEntry({ ...row, body: "null" });
  }
}

export class KyselyLedgerSource implements LedgerSource {
  constructor(private readonly handle: Pick<LedgerDatabase, "db">) {}

  async entriesAfter(after: number, limit: number): Promise<LedgerEntry[]> {
    const rows = await this.handle.db.selectFrom("ledger_entries").select(COLUMNS).where("seq", ">", after).orderBy("seq").limit(limit).execute();
    return rows.map(read);
  }

  async entriesBySeq(seqs: readonly number[]): Promise<LedgerEntry[]> {
    const result: LedgerEntry[] = [];
    for (let i = 0; i < seqs.length; i += 500) {
      const rows = await this.handle.db.selectFrom("ledger_entries").select(COLUMNS).where("seq", "in", seqs.slice(i, i + 500)).orderBy("seq").execute();
      result.push(...rows.map(read));
    }
    return result.sort((a, b) => a.seq - b.seq);
  }

  async entriesOfSubject(repository: string, subject: string): Promise<LedgerEntry[]> {
    const rows = await this.handle.db.selectFrom("ledger_entries").select(COLUMNS).where("repository", "=", repository).where("subject", "=", subject).orderBy("seq").execute();
    return rows.map(read);
  }

  async head(): Promise<{ seq: number; hash: string; recordedAt: string; count: number } | null> {
    const last = await this.handle.db.selectFrom("ledger_entries").select(["seq", "hash", "recorded_at"]).orderBy("seq", "desc").limit(1).executeTakeFirst();
    if (!last) return null;
    // seq is gapless from the oldest kept entry (prune removes a prefix): the count without a scan.
    const first = await this.handle.db.selectFrom("ledger_entries").select("seq").orderBy("seq").limit(1).executeTakeFirstOrThrow();
    return {
      seq: Number(last.seq),
      hash: last.hash,
      recordedAt: last.recorded_at instanceof Date ? last.recorded_at.toISOString() : last.recorded_at,
      count: Number(last.seq) - Number(first.seq) + 1,
    };
  }
}
