// The recorder never blocks or fails a verdict: entries wait while the database is unreachable (also at
// start-up), failures are counted and shown, and everything is written in order once it is back.
import { afterEach, describe, expect, jest, test } from "@jest/globals";
import { openLedgerDatabase, type LedgerDatabase } from "../../src/ledger/database.js";
import { LedgerRecorder, createLedgerRecorder, type RecorderLogger } from "../../src/ledger/recorder.js";
import { entriesAfter } from "../../src/ledger/read.js";
import { verifyLedger } from "../../src/ledger/verify.js";
import { registry } from "../../src/metrics.js";
import { sampleEntry, tempDir, useLedgerTargets } from "./targets.js";

const { targets, postgres } = useLedgerTargets();

async function ledgerErrors(reason: string): Promise<number> {
  const metric = await registry.getSingleMetric("change_policy_ledger_errors_total")!.get();
  return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

function memoryLog(): RecorderLogger & { lines: { level: string; msg: string; obj: object }[] } {
  const lines: { level: string; msg: string; obj: object }[] = [];
  return {
    lines,
    info: (obj, msg) => void lines.push({ level: "info", msg, obj }),
    warn: (obj, msg) => void lines.push({ level: "warn", msg, obj }),
    error: (obj, msg) => void lines.push({ level: "error", msg, obj }),
  };
}

const record = (recorder: LedgerRecorder, i: number) => {
  const e = sampleEntry(i);
  recorder.record(e.kind, e.repository, e.subject, e.body);
};

const titles = async (ledger: LedgerDatabase) => (await entriesAfter(ledger, 0, 100)).map((e) => (e.body as { title: string }).title);

afterEach(() => {
  jest.useRealTimers();
});

describe("database down at start-up", () => {
  test("record() returns at once; opening is retried with backoff (1 s, 2 s, 4 s); entries are written in order once it opens", async () => {
    jest.useFakeTimers({ doNotFake: ["queueMicrotask", "nextTick", "setImmediate"] });
    const dir = tempDir();
    let attempts = 0;
    const log = memoryLog();
    const errorsBefore = await ledgerErrors("open");
    const recorder = createLedgerRecorder({
      log,
      open: async () => {
        attempts += 1;
        if (attempts <= 3) throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
        return openLedgerDatabase({ dataDir: dir });
      },
    });
    record(recorder, 1);
    record(recorder, 2);
    await jest.advanceTimersByTimeAsync(0);
    expect(attempts).toBe(1);
    expect(recorder.status()).toMatchObject({
      ok: false,
      state: "failing",
      waiting: 2,
      written: 0,
      lastError: "cannot open the ledger database: connect ECONNREFUSED 127.0.0.1:5432",
    });
    expect(log.lines.at(-1)).toMatchObject({ level: "error", msg: expect.stringContaining("2 entries wait, retrying in 1 s") });
    await jest.advanceTimersByTimeAsync(999);
    expect(attempts).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(attempts).toBe(2);
    await jest.advanceTimersByTimeAsync(2000);
    expect(attempts).toBe(3);
    record(recorder, 3);
    expect(await ledgerErrors("open")).toBe(errorsBefore + 3);
    expect(recorder.status()).toMatchObject({ waiting: 3, failures: 3 });
    jest.useRealTimers();
    const status = await recorder.flush();
    expect(attempts).toBe(4);
    expect(status).toMatchObject({ ok: true, state: "open", waiting: 0, written: 3, failures: 0, database: { dialect: "sqlite" } });
    expect(await titles(recorder.database!)).toEqual(["Entry 1", "Entry 2", "Entry 3"]);
    await recorder.close();
  });
});

describe("PostgreSQL going away and coming back", () => {
  test("writes fail and wait, are counted and shown, then are written after the server is back, in order, one chain", async () => {
    const options = await targets[1]!.fresh();
    const log = memoryLog();
    const recorder = createLedgerRecorder({ open: () => openLedgerDatabase(options), log });
    for (let i = 1; i <= 3; i++) record(recorder, i);
    expect(await recorder.flush()).toMatchObject({ ok: true, written: 3, waiting: 0 });

    const before = await ledgerErrors("append");
    postgres().pause();
    try {
      for (let i = 4; i <= 5; i++) record(recorder, i);
      const failing = await recorder.flush();
      expect(failing).toMatchObject({ ok: false, state: "failing", waiting: 2, written: 3, lastError: expect.stringMatching(/^cannot write to the ledger: /) });
      expect(failing.nextRetryAt).not.toBeNull();
      expect(await ledgerErrors("append")).toBeGreaterThan(before);
      record(recorder, 6);
      expect(recorder.status().waiting).toBe(3);
    } finally {
      await postgres().restart();
    }
    const back = await recorder.flush();
    expect(back).toMatchObject({ ok: true, state: "open", waiting: 0, written: 6, failures: 0 });
    expect(log.lines.some((l) => l.msg === "ledger: writing again after failures")).toBe(true);
    expect(await titles(recorder.database!)).toEqual(["Entry 1", "Entry 2", "Entry 3", "Entry 4", "Entry 5", "Entry 6"]);
    expect((await verifyLedger(recorder.database!)).ok).toBe(true);
    await recorder.close();
  }, 60_000);

  test("a server that is down when the app starts: entries wait, and are written once it is up", async () => {
    const options = await targets[1]!.fresh();
    postgres().pause();
    let recorder: LedgerRecorder;
    try {
      recorder = createLedgerRecorder({ open: () => openLedgerDatabase(options), log: memoryLog() });
      record(recorder, 1);
      const status = await recorder.flush();
      expect(status).toMatchObject({ ok: false, waiting: 1, database: null, lastError: expect.stringContaining("cannot open the ledger database: cannot open the PostgreSQL database postgres://postgres@127.0.0.1") });
    } finally {
      await postgres().restart();
    }
    expect(await recorder.flush()).toMatchObject({ ok: true, written: 1, database: { dialect: "postgres" } });
    await recorder.close();
  }, 60_000);
});

describe("entries the ledger cannot take", () => {
  test("invalid entries and a full queue are refused, counted and logged, never thrown", async () => {
    const log = memoryLog();
    const invalid = await ledgerErrors("invalid");
    const full = await ledgerErrors("queue_full");
    const recorder = new LedgerRecorder({ open: () => new Promise(() => {}), log, maxWaiting: 2 });
    expect(() => recorder.record("verdict" as never, "acme/api", "#1", {} as never)).not.toThrow();
    for (let i = 1; i <= 3; i++) record(recorder, i);
    expect(recorder.status()).toMatchObject({ waiting: 2, refused: 2 });
    expect(await ledgerErrors("invalid")).toBe(invalid + 1);
    expect(await ledgerErrors("queue_full")).toBe(full + 1);
    expect(log.lines.filter((l) => l.msg === "ledger: entry refused and not recorded").map((l) => (l.obj as { reason: string }).reason)).toEqual([
      'unknown ledger entry kind "verdict"',
      "2 entries are already waiting for the database",
    ]);
  });

  test("close() writes what waits, then closes; entries still waiting at a failed close are logged as lost", async () => {
    const dir = tempDir();
    const recorder = createLedgerRecorder({ open: () => openLedgerDatabase({ dataDir: dir }) });
    for (let i = 1; i <= 3; i++) record(recorder, i);
    expect(await recorder.close()).toMatchObject({ state: "closed", waiting: 0, written: 3 });
    const reopened = await openLedgerDatabase({ dataDir: dir });
    expect(await titles(reopened)).toEqual(["Entry 1", "Entry 2", "Entry 3"]);
    await reopened.close();

    const log = memoryLog();
    const stuck = new LedgerRecorder({ open: () => Promise.reject(new Error("disk I/O error")), log });
    record(stuck, 1);
    expect(await stuck.close(1000)).toMatchObject({ state: "closed", waiting: 1 });
    expect(log.lines.at(-1)).toMatchObject({ level: "error", msg: "ledger: entries could not be written before shutdown and are lost", obj: { waiting: 1, subjects: ["acme/api #2 check"] } });
  });
});
