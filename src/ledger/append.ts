// Appends entries to the hash chain. Appends are serialized across every writer of the database (a
// transaction-scoped advisory lock in PostgreSQL, an immediate write transaction in SQLite), so replicas
// writing at the same moment never fork the chain or leave a gap in seq. Only inserts, never updates.
import { sql, type Kysely } from "kysely";
import type BetterSqlite3 from "better-sqlite3";
import type { AppDatabase, LedgerDatabase } from "./database.js";
import { ADVISORY_LOCK } from "./migrations.js";
import { GENESIS_PREV_HASH, canonicalEntryWithBody, canonicalJson, hashCanonical, normalizeBody, type JsonValue } from "./hash.js";
import { LEDGER_KINDS, type LedgerBodies, type LedgerEntry, type LedgerKind } from "./entries.js";

export interface AppendInput<K extends LedgerKind = LedgerKind> {
  kind: K;
  /** `owner/repo` ("" only for a checkpoint); stored lower-cased, as GitHub compares names. */
  repository: string;
  /** `#12`, `push 1a2b3c4`, `deployment 77` (see `subjects` in entries.ts). */
  subject: string;
  body: LedgerBodies[K];
}

/** Limits that keep one entry reasonable; a PR description is at most 65,536 characters. */
export const MAX_BODY_BYTES = 1_000_000;
const MAX_NAME_LENGTH = 300;

/** The entry itself is unusable (retrying cannot help): unknown kind, oversized body, bad names. */
export class LedgerInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LedgerInputError";
  }
}

interface Prepared {
  kind: string;
  repository: string;
  subject: string;
  body: JsonValue;
  bodyJson: string;
}

export async function appendEntry<K extends LedgerKind>(handle: LedgerDatabase, input: AppendInput<K>, now: () => Date = () => new Date()): Promise<LedgerEntry<K>> {
  const [entry] = await appendEntries(handle, [input], now);
  return entry as LedgerEntry<K>;
}

/** Appends several entries in one transaction (one lock, one fsync), in the order given. */
export async function appendEntries(handle: LedgerDatabase, inputs: readonly AppendInput[], now: () => Date = () => new Date()): Promise<LedgerEntry[]> {
  const prepared = inputs.map(prepare);
  if (prepared.length === 0) return [];
  if (handle.dialect === "postgres") return appendPostgres(handle.db, prepared, now);
  return appendSqlite(handle, prepared, now);
}

/** Throws LedgerInputError when the entry can never be stored (so a writer can refuse it at once). */
export function checkAppendInput(input: AppendInput): void {
  prepare(input);
}

function prepare(input: AppendInput): Prepared {
  if (!(LEDGER_KINDS as readonly string[]).includes(input.kind)) throw new LedgerInputError(`unknown ledger entry kind ${JSON.stringify(String(input.kind).slice(0, 40))}`);
  for (const [name, value] of [["repository", input.repository], ["subject", input.subject]] as const) {
    if (typeof value !== "string" || value.length > MAX_NAME_LENGTH) throw new LedgerInputError(`ledger entry ${name} must be a string of at most ${MAX_NAME_LENGTH} characters`);
  }
  if (input.kind !== "checkpoint" && !/^[^/\s]+\/[^/\s]+$/.test(input.repository)) {
    throw new LedgerInputError(`ledger entry repository must be owner/repo, got ${JSON.stringify(input.repository.slice(0, 80))}`);
  }
  const body = normalizeBody(input.body);
  // Stored as canonical JSON: the text hashed is the text stored (in SQLite, verify hashes it as is).
  const bodyJson = canonicalJson(body);
  if (Buffer.byteLength(bodyJson) > MAX_BODY_BYTES) throw new LedgerInputError(`ledger entry body is ${Buffer.byteLength(bodyJson)} bytes; at most ${MAX_BODY_BYTES} are stored`);
  return { kind: input.kind, repository: input.repository.toLowerCase(), subject: input.subject, body, bodyJson };
}

/** Chains the prepared entries after `last` (null: the chain is empty). recorded_at never goes backwards. */
function chain(last: { seq: number; hash: string; recorded_at: string } | null, prepared: Prepared[], now: Date): LedgerEntry[] {
  let seq = last?.seq ?? 0;
  let prevHash = last?.hash ?? GENESIS_PREV_HASH;
  let recordedAt = now.toISOString();
  if (last && last.recorded_at > recordedAt) recordedAt = last.recorded_at;
  return prepared.map((p) => {
    seq += 1;
    const fields = { seq, recorded_at: recordedAt, kind: p.kind, repository: p.repository, subject: p.subject, body: p.body };
    const hash = hashCanonical(prevHash, canonicalEntryWithBody(fields, p.bodyJson));
    const entry = { ...fields, prev_hash: prevHash, hash } as LedgerEntry;
    prevHash = hash;
    return entry;
  });
}

function insertValues(entry: LedgerEntry, bodyJson: string) {
  return {
    seq: entry.seq,
    recorded_at: entry.recorded_at,
    kind: entry.kind,
    repository: entry.repository,
    subject: entry.subject,
    body: bodyJson,
    prev_hash: entry.prev_hash,
    hash: entry.hash,
  };
}

function lastEntryQuery(db: Kysely<AppDatabase>) {
  return db.selectFrom("ledger_entries").select(["seq", "hash", "recorded_at"]).orderBy("seq", "desc").limit(1);
}

function toLast(row: { seq: string | number; hash: string; recorded_at: Date | string } | undefined) {
  if (!row) return null;
  return { seq: Number(row.seq), hash: row.hash, recorded_at: row.recorded_at instanceof Date ? row.recorded_at.toISOString() : row.recorded_at };
}

async function appendPostgres(db: Kysely<AppDatabase>, prepared: Prepared[], now: () => Date): Promise<LedgerEntry[]> {
  return db.transaction().execute(async (trx) => {
    // Held until commit: the next writer reads the last entry only after this one's rows are visible.
    await sql`select pg_advisory_xact_lock(${sql.lit(ADVISORY_LOCK.ledgerAppend)})`.execute(trx);
    const last = toLast(await lastEntryQuery(trx).executeTakeFirst());
    const entries = chain(last, prepared, now());
    for (let i = 0; i < entries.length; i += 500) {
      const slice = entries.slice(i, i + 500);
      await trx.insertInto("ledger_entries").values(slice.map((e, j) => insertValues(e, prepared[i + j]!.bodyJson))).execute();
    }
    return entries;
  });
}

const statementCache = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

function statement(raw: BetterSqlite3.Database, text: string): BetterSqlite3.Statement {
  let cache = statementCache.get(raw);
  if (!cache) statementCache.set(raw, (cache = new Map()));
  let stmt = cache.get(text);
  if (!stmt) cache.set(text, (stmt = raw.prepare(text)));
  return stmt;
}

async function appendSqlite(handle: LedgerDatabase, prepared: Prepared[], now: () => Date): Promise<LedgerEntry[]> {
  const raw = handle.sqlite;
  if (!raw) throw new Error("SQLite handle without its connection");
  const lastQuery = lastEntryQuery(handle.db).compile();
  // Holding Kysely's lock on the connection: no other Kysely transaction is open on it meanwhile.
  return handle.db.connection().execute(async (conn) => {
    // The whole transaction runs synchronously (better-sqlite3), so it never waits on the event loop
    // while holding SQLite's write lock; BEGIN IMMEDIATE takes that lock before reading the last entry.
    const write = raw.transaction(() => {
      const last = toLast(statement(raw, lastQuery.sql).get(...lastQuery.parameters) as never);
      const entries = chain(last, prepared, now());
      entries.forEach((entry, i) => {
        const insert = conn.insertInto("ledger_entries").values(insertValues(entry, prepared[i]!.bodyJson)).compile();
        statement(raw, insert.sql).run(...insert.parameters);
      });
      return entries;
    });
    return write.immediate();
  });
}
