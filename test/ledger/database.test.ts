// Opening the database, migrations, appends and their concurrency, on SQLite files and real PostgreSQL.
import { describe, expect, test } from "@jest/globals";
import fs from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import { DatabaseOpenError, SQLITE_FILE_NAME, openLedgerDatabase } from "../../src/ledger/database.js";
import { migrations, type Migration } from "../../src/ledger/migrations.js";
import { LedgerInputError, appendEntry, appendEntries } from "../../src/ledger/append.js";
import { GENESIS_PREV_HASH, entryHash } from "../../src/ledger/hash.js";
import { entriesAfter, lastEntry } from "../../src/ledger/read.js";
import { verifyLedger } from "../../src/ledger/verify.js";
import { sampleEntry, tempDir, useLedgerTargets } from "./targets.js";

const { targets } = useLedgerTargets();

describe.each(targets)("$name", (target) => {
  test("an append returns the entry exactly as stored, chained from 64 zeros", async () => {
    const ledger = await openLedgerDatabase(await target.fresh());
    try {
      const first = await appendEntry(ledger, sampleEntry(1, "Acme/API"), () => new Date("2026-12-02T14:03:33.123Z"));
      const second = await appendEntry(ledger, sampleEntry(2), () => new Date("2026-12-02T14:03:34.000Z"));
      expect(first).toMatchObject({ seq: 1, recorded_at: "2026-12-02T14:03:33.123Z", repository: "acme/api", subject: "#2", prev_hash: GENESIS_PREV_HASH });
      expect(first.hash).toBe(entryHash(GENESIS_PREV_HASH, { ...first, body: first.body as never }));
      expect(second).toMatchObject({ seq: 2, prev_hash: first.hash });
      expect(await entriesAfter(ledger, 0, 10)).toEqual([first, second]);
    } finally {
      await ledger.close();
    }
  });

  test("recorded_at never goes back along the chain, even when a replica's clock is behind", async () => {
    const ledger = await openLedgerDatabase(await target.fresh());
    try {
      await appendEntry(ledger, sampleEntry(1), () => new Date("2026-12-02T14:00:00.000Z"));
      const late = await appendEntry(ledger, sampleEntry(2), () => new Date("2026-12-02T13:59:59.000Z"));
      expect(late.recorded_at).toBe("2026-12-02T14:00:00.000Z");
    } finally {
      await ledger.close();
    }
  });

  test("two replicas appending 1,000 entries at the same moment make one chain without gaps", async () => {
    const options = await target.fresh();
    const [a, b] = [await openLedgerDatabase(options), await openLedgerDatabase(options)];
    try {
      await Promise.all(Array.from({ length: 1000 }, (_, i) => appendEntry(i % 2 ? a : b, sampleEntry(i))));
      const result = await verifyLedger(a);
      expect(result).toMatchObject({ ok: true, count: 1000, firstSeq: 1, lastSeq: 1000, problems: [] });
      const titles = new Set<string>();
      for (let after = 0; after < 1000; after += 500) for (const e of await entriesAfter(b, after, 500)) titles.add((e.body as { title: string }).title);
      expect(titles.size).toBe(1000);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);

  test("rows cannot be updated, nor deleted unless a checkpoint covers them", async () => {
    const ledger = await openLedgerDatabase(await target.fresh());
    try {
      await appendEntries(ledger, [sampleEntry(1), sampleEntry(2)]);
      // By message: once another test file of the same jest worker has loaded better-sqlite3, its
      // SqliteError belongs to that file's realm, so toThrow (which wants an Error of this realm) misses it.
      await expect(sql`update ledger_entries set subject = '#99' where seq = 1`.execute(ledger.db)).rejects.toMatchObject({ message: expect.stringMatching(/append-only/) });
      await expect(sql`delete from ledger_entries where seq = 1`.execute(ledger.db)).rejects.toMatchObject({ message: expect.stringMatching(/not covered by a checkpoint/) });
      expect((await lastEntry(ledger))?.seq).toBe(2);
    } finally {
      await ledger.close();
    }
  });

  test("migrations run once, in order, and a later list can append its own", async () => {
    const options = await target.fresh();
    const first = await openLedgerDatabase(options);
    await appendEntry(first, sampleEntry(1));
    await first.close();
    const ran: string[] = [];
    const extra: Migration = {
      name: "0002_test_jobs",
      async up(db, dialect) {
        ran.push(dialect);
        await db.schema.createTable("test_jobs").addColumn("id", "text", (c) => c.primaryKey()).execute();
      },
    };
    const again = await openLedgerDatabase({ ...options, migrations: [...migrations, extra] });
    const third = await openLedgerDatabase({ ...options, migrations: [...migrations, extra] });
    try {
      expect(ran).toEqual([target.name]);
      const applied = await again.db.selectFrom("schema_migrations").select("name").orderBy("name").execute();
      expect(applied.map((r) => r.name)).toEqual([...migrations.map((m) => m.name), "0002_test_jobs"].sort());
      await sql`insert into test_jobs (id) values ('x')`.execute(third.db);
      expect((await lastEntry(third))?.seq).toBe(1);
    } finally {
      await Promise.all([again.close(), third.close()]);
    }
  });

  test("entries that can never be stored are refused with a reason", async () => {
    const ledger = await openLedgerDatabase(await target.fresh());
    try {
      await expect(appendEntry(ledger, { ...sampleEntry(1), kind: "verdict" } as never)).rejects.toThrow(LedgerInputError);
      await expect(appendEntry(ledger, { ...sampleEntry(1), repository: "not a repo" })).rejects.toThrow(/owner\/repo/);
      await expect(appendEntry(ledger, { ...sampleEntry(1), body: { ...sampleEntry(1).body, title: "x".repeat(1_000_001) } })).rejects.toThrow(/bytes/);
      expect(await lastEntry(ledger)).toBeNull();
    } finally {
      await ledger.close();
    }
  });

  test("text PostgreSQL's jsonb would refuse (NUL, lone surrogates) is stored and still verifies", async () => {
    const ledger = await openLedgerDatabase(await target.fresh());
    try {
      const entry = await appendEntry(ledger, { ...sampleEntry(1), body: { ...sampleEntry(1).body, title: "a\u0000b\udc00 😀" } });
      expect((entry.body as { title: string }).title).toBe("a\ufffdb\ufffd 😀");
      expect((await verifyLedger(ledger)).ok).toBe(true);
    } finally {
      await ledger.close();
    }
  });
});

describe("SQLite file in DATA_DIR", () => {
  test("is created with WAL and full sync; the directory is created when missing", async () => {
    const dir = path.join(tempDir(), "nested", "data");
    const ledger = await openLedgerDatabase({ dataDir: dir });
    try {
      expect(ledger.location).toBe(path.join(dir, SQLITE_FILE_NAME));
      expect(ledger.sqlite!.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(ledger.sqlite!.pragma("synchronous", { simple: true })).toBe(2); // FULL
    } finally {
      await ledger.close();
    }
  });

  test("a corrupted file: a clear error naming the path", async () => {
    const dir = tempDir();
    const file = path.join(dir, SQLITE_FILE_NAME);
    fs.writeFileSync(file, "this is not a database, just some text that happens to be here ".repeat(100));
    const error = await openLedgerDatabase({ dataDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseOpenError);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(/not a usable ledger database .*corrupted/);
    expect(fs.readFileSync(file, "utf8")).toMatch(/^this is not a database/); // left as found
  });

  test("a damaged ledger file (its pages overwritten): a clear error naming the path", async () => {
    const dir = tempDir();
    const ledger = await openLedgerDatabase({ dataDir: dir });
    await appendEntries(ledger, Array.from({ length: 50 }, (_, i) => sampleEntry(i)));
    await ledger.close();
    const file = path.join(dir, SQLITE_FILE_NAME);
    const bytes = fs.readFileSync(file);
    bytes.fill(0x5a, 0, 100); // the header
    fs.writeFileSync(file, bytes);
    const error = await openLedgerDatabase({ dataDir: dir }).catch((e: unknown) => e);
    expect((error as Error).message).toContain(file);
  });

  test("another program's SQLite database: refused, naming the path, and left untouched", async () => {
    const dir = tempDir();
    const file = path.join(dir, SQLITE_FILE_NAME);
    const foreign = new BetterSqlite3(file);
    foreign.exec("create table customers (id integer primary key, name text)");
    foreign.close();
    const error = await openLedgerDatabase({ dataDir: dir }).catch((e: unknown) => e);
    expect((error as Error).message).toContain(`${file} is a SQLite database of another program`);
    expect((error as Error).message).toContain("customers");
    const check = new BetterSqlite3(file);
    expect(check.prepare("select name from sqlite_master where type = 'table'").all()).toEqual([{ name: "customers" }]);
    check.close();
  });

  test("DATA_DIR that is a file: a clear error naming it", async () => {
    const file = path.join(tempDir(), "data");
    fs.writeFileSync(file, "");
    const error = await openLedgerDatabase({ dataDir: file }).catch((e: unknown) => e);
    expect((error as Error).message).toContain(`DATA_DIR ${file} cannot be used as a directory`);
  });
});

describe("PostgreSQL", () => {
  test("an unreachable server: an error naming the URL without its password", async () => {
    const error = await openLedgerDatabase({ databaseUrl: "postgres://app:s3cret@127.0.0.1:1/ledger", dataDir: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseOpenError);
    expect((error as Error).message).toContain("postgres://app:***@127.0.0.1:1/ledger");
    expect((error as Error).message).not.toContain("s3cret");
  }, 20_000);
});
