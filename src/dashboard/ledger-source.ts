// The dashboard's reads of the evidence ledger (table `ledger_entries`, SPEC §10), through Kysely on
// SQLite or PostgreSQL. Every query is bounded by the indexes of the ledger's migration: a period
// becomes a seq range (recorded_at never goes backwards as seq grows, so the `recorded_at` index
// finds both ends), then (kind, seq) or (repository, subject, seq) narrow it.
import { sql } from "kysely";
import type { LedgerDatabase } from "../ledger/database.js";
import type { LedgerEntry } from "../ledger/entries.js";
import { rowToEntry, type LedgerRow } from "../ledger/read.js";

/** "" = all repositories, "acme" = one account, "acme/payments" = one repository (lower case, as stored). */
export type ScopeFilter = string;

export interface LedgerSource {
  /** Entries of these kinds recorded in [since, until] (ISO UTC), within the scope, by seq. */
  entriesInPeriod(kinds: readonly string[], since: string, until: string, scope: ScopeFilter): Promise<LedgerEntry[]>;
  /** Every entry of these kinds within the scope (follow-ups stay open across periods), by seq. */
  entriesOfKinds(kinds: readonly string[], scope: ScopeFilter): Promise<LedgerEntry[]>;
  /** Every entry of one subject (`#12`) of one repository, by seq. */
  entriesOfSubject(repository: string, subject: string): Promise<LedgerEntry[]>;
  /** Entries with seq > after, by seq, at most `limit` (chain verification reads in batches). */
  entriesAfter(after: number, limit: number): Promise<LedgerEntry[]>;
  /** Repositories that have entries (owner/repo, sorted). */
  repositories(): Promise<string[]>;
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
  /** Distinct repositories change rarely; a full index scan per page is not worth it. */
  #repositories: { at: number; list: Promise<string[]> } | null = null;

  constructor(
    private readonly handle: Pick<LedgerDatabase, "db">,
    private readonly now: () => number = Date.now,
  ) {}

  async entriesInPeriod(kinds: readonly string[], since: string, until: string, scope: ScopeFilter): Promise<LedgerEntry[]> {
    if (kinds.length === 0) return [];
    const range = await this.#seqRange(since, until);
    if (!range) return [];
    let query = this.handle.db
      .selectFrom("ledger_entries")
      .select(COLUMNS)
      .where("kind", "in", [...kinds])
      .where("seq", ">=", range.first)
      .where("seq", "<=", range.last);
    query = withScope(query, scope);
    return (await query.orderBy("seq").execute()).map(read);
  }

  async entriesOfKinds(kinds: readonly string[], scope: ScopeFilter): Promise<LedgerEntry[]> {
    if (kinds.length === 0) return [];
    const query = withScope(this.handle.db.selectFrom("ledger_entries").select(COLUMNS).where("kind", "in", [...kinds]), scope);
    return (await query.orderBy("seq").execute()).map(read);
  }

  async entriesOfSubject(repository: string, subject: string): Promise<LedgerEntry[]> {
    const rows = await this.handle.db
      .selectFrom("ledger_entries")
      .select(COLUMNS)
      .where("repository", "=", repository)
      .where("subject", "=", subject)
      .orderBy("seq")
      .execute();
    return rows.map(read);
  }

  async entriesAfter(after: number, limit: number): Promise<LedgerEntry[]> {
    const rows = await this.handle.db.selectFrom("ledger_entries").select(COLUMNS).where("seq", ">", after).orderBy("seq").limit(limit).execute();
    return rows.map(read);
  }

  repositories(): Promise<string[]> {
    const cached = this.#repositories;
    if (cached && this.now() - cached.at < 60_000) return cached.list;
    const list = this.handle.db
      .selectFrom("ledger_entries")
      .select("repository")
      .distinct()
      .where("repository", "!=", "")
      .orderBy("repository")
      .execute()
      .then((rows) => rows.map((r) => r.repository));
    this.#repositories = { at: this.now(), list };
    list.catch(() => (this.#repositories = null));
    return list;
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

  /** The seqs of the first and last entries recorded in [since, until], through the recorded_at index. */
  async #seqRange(since: string, until: string): Promise<{ first: number; last: number } | null> {
    const first = await this.handle.db.selectFrom("ledger_entries").select(sql<number>`min(seq)`.as("seq")).where("recorded_at", ">=", since).executeTakeFirst();
    const last = await this.handle.db.selectFrom("ledger_entries").select(sql<number>`max(seq)`.as("seq")).where("recorded_at", "<=", until).executeTakeFirst();
    if (first?.seq === null || first?.seq === undefined || last?.seq === null || last?.seq === undefined) return null;
    const range = { first: Number(first.seq), last: Number(last.seq) };
    return range.first <= range.last ? range : null;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function withScope<Q extends { where: (...args: any[]) => Q }>(query: Q, scope: ScopeFilter): Q {
  if (!scope) return query;
  if (scope.includes("/")) return query.where("repository", "=", scope);
  // One account: every `owner/…` (a range, so that the index serves it; '0' follows '/').
  return query.where("repository", ">=", `${scope}/`).where("repository", "<", `${scope}0`);
}
