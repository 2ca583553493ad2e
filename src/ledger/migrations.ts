// One ordered list of schema migrations for both dialects, run when the database is opened. Append new
// migrations at the end (never edit or reorder an applied one); each runs once, inside a transaction,
// while other replicas opening at the same moment wait.
import { sql, type Kysely } from "kysely";
import type { DialectName, LedgerDatabase } from "./database.js";
import { pendingWorkMigration } from "../infra/durable-work.js";
import { freezeBoundariesMigration } from "../services/freeze-timer.js";

export interface Migration {
  /** Unique and stable: recorded in `schema_migrations` once applied. E.g. "0002_pending_work". */
  name: string;
  /** Runs inside the migration transaction; `dialect` selects dialect-specific DDL. */
  up(db: Kysely<any>, dialect: DialectName): Promise<void>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** pg_advisory_xact_lock keys of this app ("CPLG" + purpose), so replicas serialize on them. */
export const ADVISORY_LOCK = { migrations: 0x43504c47_0001, ledgerAppend: 0x43504c47_0002 } as const;

const ledgerEntries: Migration = {
  name: "0001_ledger_entries",
  async up(db, dialect) {
    const pgsql = dialect === "postgres";
    // Column types per SPEC §10. In SQLite, `integer primary key` makes seq the rowid (same 64-bit range,
    // fastest ordered scans); timestamps are ISO 8601 text and body JSON text.
    await db.schema
      .createTable("ledger_entries")
      .addColumn("seq", pgsql ? "bigint" : "integer", (c) => c.primaryKey())
      .addColumn("recorded_at", pgsql ? "timestamptz" : "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("repository", "text", (c) => c.notNull())
      .addColumn("subject", "text", (c) => c.notNull())
      .addColumn("body", pgsql ? "jsonb" : "text", (c) => c.notNull())
      .addColumn("prev_hash", "text", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("ledger_entries_repository_subject").on("ledger_entries").columns(["repository", "subject", "seq"]).execute();
    await db.schema.createIndex("ledger_entries_kind").on("ledger_entries").columns(["kind", "seq"]).execute();
    await db.schema.createIndex("ledger_entries_recorded_at").on("ledger_entries").column("recorded_at").execute();
    // Guard rails, not security (whoever owns the database can drop them; the hash chain and the anchors
    // are what detect that): rows are never updated, and deleted only when a checkpoint covers them
    // (`ledger prune`).
    if (pgsql) {
      await sql`
        create function ledger_entries_guard() returns trigger language plpgsql as $$
        begin
          if tg_op = 'UPDATE' then
            raise exception 'ledger_entries is append-only: rows are never updated';
          end if;
          if old.seq > coalesce((select max((body->>'through_seq')::bigint) from ledger_entries where kind = 'checkpoint'), 0) then
            raise exception 'ledger_entries row % is not covered by a checkpoint; only ledger prune deletes rows', old.seq;
          end if;
          return old;
        end $$`.execute(db);
      await sql`create trigger ledger_entries_guard before update or delete on ledger_entries
        for each row execute function ledger_entries_guard()`.execute(db);
    } else {
      await sql`create trigger ledger_entries_no_update before update on ledger_entries
        begin select raise(abort, 'ledger_entries is append-only: rows are never updated'); end`.execute(db);
      await sql`create trigger ledger_entries_delete_pruned_only before delete on ledger_entries
        when old.seq > coalesce((select max(json_extract(body, '$.through_seq')) from ledger_entries where kind = 'checkpoint'), 0)
        begin select raise(abort, 'ledger_entries row is not covered by a checkpoint; only ledger prune deletes rows'); end`.execute(db);
    }
  },
};

/** The app's migrations, in order. Other modules append theirs here. */
export const migrations: Migration[] = [ledgerEntries, pendingWorkMigration, freezeBoundariesMigration];

/** Applies the migrations not yet recorded in `schema_migrations`, in order, under a lock. */
export async function runMigrations(handle: Pick<LedgerDatabase, "db" | "dialect">, list: readonly Migration[] = migrations): Promise<string[]> {
  checkOrder(list);
  const { db, dialect } = handle;
  const applyPending = async (trx: Kysely<any>): Promise<string[]> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    await trx.schema
      .createTable("schema_migrations")
      .ifNotExists()
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("applied_at", "text", (c) => c.notNull())
      .execute();
    const applied = new Set((await trx.selectFrom("schema_migrations").select("name").execute()).map((r: { name: string }) => r.name));
    const ran: string[] = [];
    for (const migration of list) {
      if (applied.has(migration.name)) continue;
      await migration.up(trx, dialect);
      await trx.insertInto("schema_migrations").values({ name: migration.name, applied_at: new Date().toISOString() }).execute();
      ran.push(migration.name);
    }
    return ran;
  };
  if (dialect === "postgres") {
    return db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${sql.lit(ADVISORY_LOCK.migrations)})`.execute(trx);
      return applyPending(trx);
    });
  }
  // SQLite: BEGIN IMMEDIATE takes the write lock up front, so two processes opening the same file at once
  // run the migrations one after the other instead of failing on a lock upgrade.
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const ran = await applyPending(conn);
      await sql`commit`.execute(conn);
      return ran;
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw error;
    }
  });
}

function checkOrder(list: readonly Migration[]): void {
  const seen = new Set<string>();
  for (const m of list) {
    if (seen.has(m.name)) throw new Error(`migration ${m.name} is listed twice`);
    seen.add(m.name);
  }
}
