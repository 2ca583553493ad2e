// Durable pending work on the app's database, SQLite files and a real PostgreSQL: recorded before the
// answer, one job per pending key, claimed with a lease that another replica takes over when the
// holder dies, run again when recorded during a run, retried with backoff, found again after a
// restart — by the runner at start-up, on a timer that keeps no idle process awake.
import { describe, expect, jest, test } from "@jest/globals";
import { openLedgerDatabase, type LedgerDatabase } from "../../src/ledger/database.js";
import { DurableWork, retryDelayMs, startDurableWorkRunner, type PendingJob } from "../../src/infra/durable-work.js";
import { GitHubRateLimitError } from "../../src/github/transient-errors.js";
import { useLedgerTargets } from "../ledger/targets.js";

const { targets } = useLedgerTargets();
const T0 = Date.parse("2026-11-24T12:00:00.000Z");

/** A replica: its own connection (pool) to the same database, and a clock the test moves. */
class Replica {
  readonly clock = { ms: T0 };
  readonly work: DurableWork;
  constructor(
    readonly handle: LedgerDatabase,
    name: string,
  ) {
    this.work = new DurableWork(handle, { owner: name, leaseMs: 60_000, graceMs: 30_000, now: () => new Date(this.clock.ms) });
  }
  advance(ms: number): void {
    this.clock.ms += ms;
  }
}

const evaluate = (n: number) => ({ kind: "evaluate", key: `evaluate:2:acme/api#${n}`, payload: { installationId: 2, owner: "acme", repo: "api", number: n } });

describe.each(targets)("$name", (target) => {
  let handles: LedgerDatabase[] = [];
  const open = async (options: Awaited<ReturnType<typeof target.fresh>>) => {
    const handle = await openLedgerDatabase(options);
    handles.push(handle);
    return handle;
  };
  afterEach(async () => {
    await Promise.all(handles.map((h) => h.close()));
    handles = [];
  });

  test("a recorded job is due after the grace given to the process that recorded it", async () => {
    const a = new Replica(await open(await target.fresh()), "a");
    expect(await a.work.record(evaluate(12))).toEqual({ id: expect.any(Number), version: 1, created: true });
    expect(await a.work.claimDue()).toEqual([]);
    a.advance(30_000);
    const [job] = await a.work.claimDue();
    expect(job).toMatchObject({
      kind: "evaluate",
      key: "evaluate:2:acme/api#12",
      payload: { installationId: 2, owner: "acme", repo: "api", number: 12 },
      createdAt: "2026-11-24T12:00:00.000Z",
      notBefore: "2026-11-24T12:00:30.000Z",
      attempts: 1,
      claimedBy: "a",
      claimedUntil: "2026-11-24T12:01:30.000Z",
      doneAt: null,
    });
    expect(await a.work.complete(job!)).toBe("done");
    expect(await a.work.pending()).toEqual([]);
    expect(await a.work.find("evaluate:2:acme/api#12")).toMatchObject({ outcome: "done", doneAt: "2026-11-24T12:00:30.000Z" });
  });

  test("a key recorded twice while pending is one job (latest payload, earliest due time); once done, a new one", async () => {
    const a = new Replica(await open(await target.fresh()), "a");
    const first = await a.work.record({ ...evaluate(12), notBefore: new Date(T0 + 10_000) });
    const second = await a.work.record({ ...evaluate(12), payload: { ...evaluate(12).payload, headShaHint: "abc" } });
    expect(second).toEqual({ id: first.id, version: 2, created: false });
    const pending = await a.work.pending();
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ payload: { headShaHint: "abc" }, notBefore: "2026-11-24T12:00:10.000Z", version: 2 });

    const job = await a.work.claim("evaluate:2:acme/api#12");
    expect(await a.work.complete(job!)).toBe("done");
    expect(await a.work.record(evaluate(12))).toMatchObject({ version: 1, created: true });
    expect(await a.work.pending()).toHaveLength(1);
  });

  test("a job recorded again while it runs is run again: its run saw the state before the new event", async () => {
    const a = new Replica(await open(await target.fresh()), "a");
    await a.work.record(evaluate(12));
    const job = await a.work.claim("evaluate:2:acme/api#12");
    await a.work.record(evaluate(12)); // a review arrives while the evaluation reads GitHub
    expect(await a.work.complete(job!)).toBe("again");
    const again = await a.work.claimDue();
    expect(again).toMatchObject([{ key: "evaluate:2:acme/api#12", version: 2, attempts: 2 }]);
    expect(await a.work.complete(again[0]!)).toBe("done");
  });

  test("the lease: another replica cannot take a claimed job, but takes it once the holder died", async () => {
    const options = await target.fresh();
    const a = new Replica(await open(options), "a");
    const b = new Replica(await open(options), "b");
    await a.work.record({ ...evaluate(12), notBefore: new Date(T0) });
    const held = await a.work.claim("evaluate:2:acme/api#12");
    expect(held).toMatchObject({ claimedBy: "a" });
    expect(await b.work.claimDue()).toEqual([]);
    expect(await b.work.claim("evaluate:2:acme/api#12")).toBeNull();

    b.advance(60_000); // a is gone: its lease runs out
    const taken = await b.work.claimDue();
    expect(taken).toMatchObject([{ key: "evaluate:2:acme/api#12", claimedBy: "b", attempts: 2 }]);
    expect(await a.work.complete(held!)).toBe("lost"); // a was only slow: its result does not mark b's job
    expect(await b.work.complete(taken[0]!)).toBe("done");
  });

  test("an exclusive claim is held by one run at a time, in this process as across replicas, until it is let go", async () => {
    const options = await target.fresh();
    const a = new Replica(await open(options), "a");
    const b = new Replica(await open(options), "b");
    const merge = { kind: "merged_pull", key: "follow_up:acme/api#7", payload: { number: 7 } };
    await a.work.record({ ...merge, repeatIsSameWork: true });
    // Twenty redeliveries claiming at once, ten on each replica: one run gets it.
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).work.claim(merge.key, { exclusive: true })));
    const held = claims.filter((c) => c !== null);
    expect(held).toHaveLength(1);
    const holder = held[0]!.claimedBy === "a" ? a : b;
    // The runner does not take it either, while the lease lives.
    expect(await a.work.claimDue()).toEqual([]);
    expect(await holder.work.claim(merge.key, { exclusive: true })).toBeNull();
    // A non-exclusive claim by the holder's own process still may (a later evaluation of the same PR).
    expect(await holder.work.claim(merge.key)).toMatchObject({ claimedBy: holder.work.owner });
    expect(await holder.work.complete(held[0]!)).toBe("done");
  });

  test("a repeat recorded as the same work does not make the run in progress run again; other repeats do", async () => {
    const a = new Replica(await open(await target.fresh()), "a");
    const merge = { kind: "merged_pull", key: "follow_up:acme/api#7", payload: { number: 7 }, repeatIsSameWork: true };
    await a.work.record(merge);
    const job = await a.work.claim(merge.key, { exclusive: true });
    expect(await a.work.record(merge)).toMatchObject({ version: 1 });
    expect(await a.work.complete(job!)).toBe("done");
    // After it is done, the same merge delivered again is a new job (it runs, and finds its issue).
    expect(await a.work.record(merge)).toMatchObject({ version: 1, created: true });
    const next = await a.work.claim(merge.key, { exclusive: true });
    expect(next).not.toBeNull();
    expect(await a.work.record({ ...merge, repeatIsSameWork: false })).toMatchObject({ version: 2 });
    expect(await a.work.complete(next!)).toBe("again");
    // Released: this process may claim it again.
    expect(await a.work.claim(merge.key, { exclusive: true })).toMatchObject({ version: 2 });
  });

  test("two replicas claiming 60 due jobs at the same moment get each job exactly once", async () => {
    const options = await target.fresh();
    const a = new Replica(await open(options), "a");
    const b = new Replica(await open(options), "b");
    for (let n = 1; n <= 60; n++) await a.work.record({ ...evaluate(n), notBefore: new Date(T0) });
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).work.claimDue(10)));
    const claimed = claims.flat().map((j) => j.payload as { number: number });
    expect(claimed.map((p) => p.number).sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });

  test("a failed run is retried with backoff, and given up (kept, with its error) after maxAttempts", async () => {
    const handle = await open(await target.fresh());
    const a = new Replica(handle, "a");
    const work = new DurableWork(handle, { owner: "a", maxAttempts: 2, now: () => new Date(a.clock.ms) });
    await work.record({ ...evaluate(12), notBefore: new Date(T0) });
    const [first] = await work.claimDue();
    expect(await work.fail(first!, new Error("GitHub did not answer within 15 s"))).toBe("retry");
    expect(await work.pending()).toMatchObject([{ notBefore: new Date(T0 + retryDelayMs(1)).toISOString(), lastError: "GitHub did not answer within 15 s", claimedBy: null }]);
    expect(await work.claimDue()).toEqual([]);
    a.advance(retryDelayMs(1));
    const [second] = await work.claimDue();
    expect(second).toMatchObject({ attempts: 2 });
    expect(await work.fail(second!, new Error("still down"))).toBe("gave_up");
    expect(await work.pending()).toEqual([]);
    expect(await work.find("evaluate:2:acme/api#12")).toMatchObject({ outcome: "gave_up", lastError: "still down" });
  });

  test("a job survives the process: recorded, the database closed without finishing, found on reopening", async () => {
    const options = await target.fresh();
    const before = new Replica(await openLedgerDatabase(options), "before-crash");
    await before.work.record({ kind: "follow_up", key: "follow_up:acme/api#44", payload: { mergedAt: "2026-11-24T11:59:00Z" }, notBefore: new Date(T0) });
    await before.handle.close();

    const after = new Replica(await open(options), "after-restart");
    expect(await after.work.claimDue()).toMatchObject([{ kind: "follow_up", key: "follow_up:acme/api#44", payload: { mergedAt: "2026-11-24T11:59:00Z" } }]);
  });

  test("done jobs are deleted after a week; pending ones never", async () => {
    const a = new Replica(await open(await target.fresh()), "a");
    await a.work.record({ ...evaluate(1), notBefore: new Date(T0) });
    await a.work.record({ ...evaluate(2), notBefore: new Date(T0) });
    const job = await a.work.claim(evaluate(1).key);
    await a.work.complete(job!);
    a.advance(7 * 24 * 3600_000 + 1);
    expect(await a.work.purge()).toBe(1);
    expect((await a.work.pending()).map((j) => j.key)).toEqual([evaluate(2).key]);
  });

  describe("the runner", () => {
    test("at start-up it runs what a dead process left, by kind; then only on its (unref'd) timer", async () => {
      const options = await target.fresh();
      const dead = new Replica(await openLedgerDatabase(options), "dead");
      await dead.work.record({ ...evaluate(12), notBefore: new Date(T0) });
      await dead.work.record({ kind: "incident", key: "incident:acme/api@abc", payload: { after: "abc" }, notBefore: new Date(T0) });
      await dead.work.claim(evaluate(12).key); // it died mid-run, holding the lease
      await dead.handle.close();

      const fresh = new Replica(await open(options), "fresh");
      fresh.advance(60_000);
      const ran: string[] = [];
      const timer = { unref: jest.fn() };
      let tickOnTimer: (() => void) | undefined;
      const runner = startDurableWorkRunner(fresh.work, {
        handlers: {
          evaluate: async (job: PendingJob) => void ran.push(job.key),
          incident: async (job: PendingJob) => void ran.push(job.key),
        },
        setInterval: (fn) => {
          tickOnTimer = fn;
          return timer;
        },
        clearInterval: () => undefined,
      });
      await runner.tick(); // the start-up look is already running; this waits for it
      expect(ran.sort()).toEqual(["evaluate:2:acme/api#12", "incident:acme/api@abc"]);
      expect(timer.unref).toHaveBeenCalled();
      expect(await fresh.work.pending()).toEqual([]);

      await fresh.work.record({ ...evaluate(13), notBefore: new Date(fresh.clock.ms) });
      tickOnTimer!();
      await runner.stop();
      expect(ran).toContain("evaluate:2:acme/api#13");
    });

    test("a job that hit a rate limit is tried again after its reset, not sooner", async () => {
      const a = new Replica(await open(await target.fresh()), "a");
      await a.work.record({ ...evaluate(12), notBefore: new Date(T0) });
      const retryAt = new Date(T0 + 2 * 3600_000);
      const limited = new GitHubRateLimitError("primary", retryAt, 7_200_000, 60_000, null, 403);
      const runner = startDurableWorkRunner(a.work, { handlers: { evaluate: async () => Promise.reject(limited) }, setInterval: () => ({}), clearInterval: () => undefined });
      await runner.stop();
      expect(await a.work.pending()).toMatchObject([{ key: evaluate(12).key, notBefore: retryAt.toISOString() }]);
    });

    test("a failing handler or an unknown kind keeps the job, for a retry", async () => {
      const a = new Replica(await open(await target.fresh()), "a");
      await a.work.record({ ...evaluate(12), notBefore: new Date(T0) });
      await a.work.record({ kind: "mystery", key: "mystery:1", payload: {}, notBefore: new Date(T0) });
      const warnings: string[] = [];
      const log = { info: () => undefined, warn: (o: object) => void warnings.push(JSON.stringify(o)), error: () => undefined };
      const runner = startDurableWorkRunner(a.work, {
        handlers: { evaluate: async () => Promise.reject(new Error("GitHub did not answer within 15 s")) },
        log,
        setInterval: () => ({}),
        clearInterval: () => undefined,
      });
      await runner.stop();
      const pending = await a.work.pending();
      expect(pending.map((j) => [j.key, j.lastError])).toEqual([
        ["evaluate:2:acme/api#12", "GitHub did not answer within 15 s"],
        ["mystery:1", 'no handler for pending work of kind "mystery"'],
      ]);
      expect(warnings).toHaveLength(2);
    });
  });
});
