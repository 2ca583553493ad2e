// The two databases every ledger test runs against: SQLite files in a temp dir, and a real PostgreSQL
// server (one throwaway cluster per test file, a fresh database per test).
import { afterAll, beforeAll } from "@jest/globals";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { openLedgerDatabase, type LedgerDatabase, type OpenLedgerDatabaseOptions } from "../../src/ledger/database.js";
import { appendEntries, type AppendInput } from "../../src/ledger/append.js";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";

export interface LedgerTarget {
  name: "sqlite" | "postgres";
  /** Options of a new, empty database. */
  fresh(): Promise<OpenLedgerDatabaseOptions>;
}

export function tempDir(prefix = "change-policy-ledger-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Registers the hooks that start and stop PostgreSQL; call at the top level of a test file. */
export function useLedgerTargets(): { targets: LedgerTarget[]; postgres: () => PostgresCluster } {
  let cluster: PostgresCluster | undefined;
  const dirs: string[] = [];
  let n = 0;
  beforeAll(async () => {
    cluster = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
  const targets: LedgerTarget[] = [
    {
      name: "sqlite",
      async fresh() {
        const dir = tempDir();
        dirs.push(dir);
        return { dataDir: dir };
      },
    },
    {
      name: "postgres",
      async fresh() {
        const name = `ledger_test_${process.pid}_${++n}`;
        const admin = new pg.Client({ connectionString: cluster!.url });
        await admin.connect();
        await admin.query(`create database ${name}`);
        await admin.end();
        return { databaseUrl: cluster!.url.replace(/\/postgres$/, `/${name}`), dataDir: "unused" };
      },
    },
  ];
  return { targets, postgres: () => cluster! };
}

/** An entry of a pull request, with a body that varies with `i`. */
export function sampleEntry(i: number, repository = "acme/api"): AppendInput<"check"> {
  return {
    kind: "check",
    repository,
    subject: `#${(i % 50) + 1}`,
    body: {
      pull_number: (i % 50) + 1,
      head_sha: i.toString(16).padStart(40, "0"),
      check_run_id: 1000 + i,
      class: i % 3 === 0 ? "normal" : "standard",
      conclusion: i % 4 === 0 ? "failure" : "success",
      title: `Entry ${i}`,
      requirements: [{ kind: "section", name: "Impact analysis", met: true, detail: "present (120 characters)", source: "normal change" }],
      approvals: [{ reviewer: "alice", commit_sha: null, counted: true, groups: ["cab"], reason: null }],
      rules: [],
      policy_blob_sha: "b".repeat(40),
    },
  };
}

export async function seed(handle: LedgerDatabase, count: number, from = 0): Promise<void> {
  for (let i = from; i < from + count; i += 1000) {
    await appendEntries(handle, Array.from({ length: Math.min(1000, from + count - i) }, (_, j) => sampleEntry(i + j)));
  }
}

/** What someone with write access to the database does: remove the guard triggers, then edit. */
export async function tamper(handle: LedgerDatabase, statement: string): Promise<void> {
  if (handle.dialect === "postgres") {
    await sql`alter table ledger_entries disable trigger ledger_entries_guard`.execute(handle.db);
  } else {
    await sql`drop trigger if exists ledger_entries_no_update`.execute(handle.db);
    await sql`drop trigger if exists ledger_entries_delete_pruned_only`.execute(handle.db);
  }
  await sql.raw(statement).execute(handle.db);
}

export { openLedgerDatabase };
