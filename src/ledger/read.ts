// Reads entries back in the shape they were hashed in (seq a number, recorded_at ISO with ms, body
// parsed), the same for both dialects. Everything that reads the ledger goes through here.
import type { LedgerDatabase } from "./database.js";
import type { JsonValue } from "./hash.js";
import type { LedgerEntry, LedgerKind } from "./entries.js";

export interface LedgerRow {
  seq: string | number;
  recorded_at: Date | string;
  kind: string;
  repository: string;
  subject: string;
  body: unknown;
  prev_hash: string;
  hash: string;
}

export function rowToEntry(row: LedgerRow): LedgerEntry {
  return {
    seq: Number(row.seq),
    recorded_at: row.recorded_at instanceof Date ? row.recorded_at.toISOString() : row.recorded_at,
    kind: row.kind,
    repository: row.repository,
    subject: row.subject,
    body: (typeof row.body === "string" ? JSON.parse(row.body) : row.body) as JsonValue,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

const COLUMNS = ["seq", "recorded_at", "kind", "repository", "subject", "body", "prev_hash", "hash"] as const;

/** The newest entry, or null for an empty ledger. */
export async function lastEntry(handle: LedgerDatabase): Promise<LedgerEntry | null> {
  const row = await handle.db.selectFrom("ledger_entries").select(COLUMNS).orderBy("seq", "desc").limit(1).executeTakeFirst();
  return row ? rowToEntry(row) : null;
}

export async function entryAt(handle: LedgerDatabase, seq: number): Promise<LedgerEntry | null> {
  const row = await handle.db.selectFrom("ledger_entries").select(COLUMNS).where("seq", "=", seq).executeTakeFirst();
  return row ? rowToEntry(row) : null;
}

/** Entries with seq > afterSeq, oldest first, at most `limit` (keyset pagination for long walks). */
export async function entriesAfter(handle: LedgerDatabase, afterSeq: number, limit: number): Promise<LedgerEntry[]> {
  const rows = await handle.db.selectFrom("ledger_entries").select(COLUMNS).where("seq", ">", afterSeq).orderBy("seq", "asc").limit(limit).execute();
  return rows.map(rowToEntry);
}

export interface EntryFilter {
  /** `owner/repo`, compared case-insensitively as GitHub does. */
  repository?: string;
  subject?: string;
  kinds?: readonly LedgerKind[];
  /** recorded_at >= since */
  since?: Date;
  /** recorded_at < until */
  until?: Date;
}

/** Every entry matching the filter, oldest first, fetched in batches. */
export async function* entriesWhere(handle: LedgerDatabase, filter: EntryFilter, batchSize = 5_000): AsyncGenerator<LedgerEntry> {
  let after = 0;
  for (;;) {
    let query = handle.db.selectFrom("ledger_entries").select(COLUMNS).where("seq", ">", after);
    if (filter.repository !== undefined) query = query.where("repository", "=", filter.repository.toLowerCase());
    if (filter.subject !== undefined) query = query.where("subject", "=", filter.subject);
    if (filter.kinds !== undefined) query = query.where("kind", "in", filter.kinds.length ? [...filter.kinds] : [""]);
    if (filter.since) query = query.where("recorded_at", ">=", timeParam(handle, filter.since));
    if (filter.until) query = query.where("recorded_at", "<", timeParam(handle, filter.until));
    const rows = await query.orderBy("seq", "asc").limit(batchSize).execute();
    for (const row of rows) yield rowToEntry(row);
    if (rows.length < batchSize) return;
    after = Number(rows[rows.length - 1]!.seq);
  }
}

/** recorded_at compares as timestamptz in PostgreSQL and as ISO text (same order) in SQLite. */
function timeParam(_handle: LedgerDatabase, date: Date): string {
  return date.toISOString();
}

/** How many entries the ledger holds and its seq range. */
export async function ledgerExtent(handle: LedgerDatabase): Promise<{ count: number; firstSeq: number | null; lastSeq: number | null }> {
  const row = await handle.db
    .selectFrom("ledger_entries")
    .select((eb) => [eb.fn.countAll().as("count"), eb.fn.min("seq").as("first"), eb.fn.max("seq").as("last")])
    .executeTakeFirst();
  return {
    count: Number(row?.count ?? 0),
    firstSeq: row?.first == null ? null : Number(row.first),
    lastSeq: row?.last == null ? null : Number(row.last),
  };
}
