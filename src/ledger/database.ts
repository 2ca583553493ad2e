// Opens the app's database: PostgreSQL when a URL is given (replicas share it), otherwise an embedded
// SQLite file in the data directory. Both sit behind one Kysely query layer and one list of migrations.
import fs from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql, type ColumnType } from "kysely";
import pg from "pg";
import { runMigrations, type Migration } from "./migrations.js";

export type DialectName = "postgres" | "sqlite";

/** `ledger_entries` exactly as SPEC §10 defines it (auditors query it with SQL). */
export interface LedgerEntriesTable {
  /** bigint: node-pg returns it as a string, SQLite as a number. */
  seq: ColumnType<string | number, number, never>;
  /** timestamptz in PostgreSQL (read back as Date), ISO 8601 text in SQLite. */
  recorded_at: ColumnType<Date | string, string, never>;
  kind: ColumnType<string, string, never>;
  repository: ColumnType<string, string, never>;
  subject: ColumnType<string, string, never>;
  /** jsonb in PostgreSQL (read back parsed), JSON text in SQLite. Inserted as JSON text in both. */
  body: ColumnType<unknown, string, never>;
  prev_hash: ColumnType<string, string, never>;
  hash: ColumnType<string, string, never>;
}

export interface SchemaMigrationsTable {
  name: ColumnType<string, string, never>;
  applied_at: ColumnType<string, string, never>;
}

/**
 * Every table of the app's database. Other modules add theirs by extending this interface where they
 * define the table (declaration merging keeps this file free of their details).
 */
export interface AppDatabase {
  ledger_entries: LedgerEntriesTable;
  schema_migrations: SchemaMigrationsTable;
}

export interface LedgerDatabase {
  db: Kysely<AppDatabase>;
  dialect: DialectName;
  /** Where the data lives, for messages: the SQLite file, or the PostgreSQL URL without its password. */
  location: string;
  /**
   * SQLite only: the raw connection, for write transactions that must run without yielding to the event
   * loop (better-sqlite3 is synchronous; a transaction held across awaits would block other connections).
   * Use it only inside `db.connection().execute(...)`, which holds Kysely's lock on this connection.
   */
  sqlite: BetterSqlite3.Database | null;
  close(): Promise<void>;
}

export interface OpenLedgerDatabaseOptions {
  /** postgres://… ; when set, PostgreSQL is used and `dataDir` ignored. */
  databaseUrl?: string | undefined;
  /** Directory of the SQLite file; created when missing. */
  dataDir: string;
  /** Defaults to the app's list; tests may pass their own. */
  migrations?: readonly Migration[];
  /** PostgreSQL pool size (default 4). */
  poolSize?: number;
}

/** The SQLite file's name inside DATA_DIR. */
export const SQLITE_FILE_NAME = "change-policy.sqlite";
/** Written into the SQLite header (PRAGMA application_id) so a foreign database file is recognised. */
export const SQLITE_APPLICATION_ID = 0x43504c47; // "CPLG"

export class DatabaseOpenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseOpenError";
  }
}

export async function openLedgerDatabase(options: OpenLedgerDatabaseOptions): Promise<LedgerDatabase> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openSqlite(options.dataDir, options);
}

/** postgres://user:secret@host/db → postgres://user:***@host/db, for logs and errors. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}

async function openPostgres(databaseUrl: string, options: OpenLedgerDatabaseOptions): Promise<LedgerDatabase> {
  const location = redactDatabaseUrl(databaseUrl);
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? 4,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // A client that loses its server emits 'error' (on the pool while idle, on the client while checked
  // out); without a listener that kills the process. The query in flight fails and is retried instead.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  const db = new Kysely<AppDatabase>({ dialect: new PostgresDialect({ pool }) });
  const handle: LedgerDatabase = { db, dialect: "postgres", location, sqlite: null, close: () => db.destroy() };
  try {
    await runMigrations(handle, options.migrations);
  } catch (error) {
    await db.destroy().catch(() => {});
    throw new DatabaseOpenError(`cannot open the PostgreSQL database ${location}: ${messageOf(error)}`, { cause: error });
  }
  return handle;
}

async function openSqlite(dataDir: string, options: OpenLedgerDatabaseOptions): Promise<LedgerDatabase> {
  const dir = path.resolve(dataDir);
  const file = path.join(dir, SQLITE_FILE_NAME);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new DatabaseOpenError(`DATA_DIR ${dir} cannot be used as a directory: ${messageOf(error)}`, { cause: error });
  }
  let raw: BetterSqlite3.Database;
  try {
    raw = new BetterSqlite3(file, { timeout: 5_000 });
  } catch (error) {
    throw new DatabaseOpenError(`cannot open the ledger database ${file}: ${messageOf(error)}`, { cause: error });
  }
  try {
    checkSqliteFile(raw, file);
    // WAL lets readers run beside the writer; FULL syncs the WAL on every commit, so an entry reported
    // written survives a power loss, not only a process crash.
    raw.pragma("journal_mode = WAL");
    raw.pragma("synchronous = FULL");
    raw.pragma("foreign_keys = ON");
  } catch (error) {
    raw.close();
    if (error instanceof DatabaseOpenError) throw error;
    throw new DatabaseOpenError(notADatabaseMessage(file, error), { cause: error });
  }
  const db = new Kysely<AppDatabase>({ dialect: new SqliteDialect({ database: raw }) });
  const handle: LedgerDatabase = { db, dialect: "sqlite", location: file, sqlite: raw, close: () => db.destroy() };
  try {
    await runMigrations(handle, options.migrations);
  } catch (error) {
    await db.destroy().catch(() => {});
    throw new DatabaseOpenError(`cannot prepare the ledger database ${file}: ${messageOf(error)}`, { cause: error });
  }
  return handle;
}

/**
 * Refuses a file that is not SQLite, or a SQLite database some other program made: better to stop with
 * the path than to add tables to someone else's data or fail later with "file is not a database".
 */
function checkSqliteFile(raw: BetterSqlite3.Database, file: string): void {
  let applicationId: number;
  let tables: string[];
  try {
    applicationId = raw.pragma("application_id", { simple: true }) as number;
    tables = (raw.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]).map((t) => t.name);
  } catch (error) {
    throw new DatabaseOpenError(notADatabaseMessage(file, error), { cause: error });
  }
  if (applicationId === SQLITE_APPLICATION_ID) return;
  if (applicationId === 0 && tables.length === 0) {
    raw.pragma(`application_id = ${SQLITE_APPLICATION_ID}`);
    return;
  }
  throw new DatabaseOpenError(
    `${file} is a SQLite database of another program (application_id ${applicationId}, tables: ${tables.slice(0, 5).join(", ") || "none"}); ` +
      `point DATA_DIR at a directory of its own, or move that file away`,
  );
}

function notADatabaseMessage(file: string, error: unknown): string {
  return `${file} is not a usable ledger database (${messageOf(error)}); it may be corrupted or not a SQLite file. ` +
    `Restore it from a backup, or move it away to start a new ledger`;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs a raw statement; exported for migrations that need dialect-specific DDL. */
export async function executeRaw(db: Kysely<unknown>, statement: string): Promise<void> {
  await sql.raw(statement).execute(db);
}
