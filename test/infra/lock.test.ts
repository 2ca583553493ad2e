import { createLock, type Lock } from "../../src/infra/lock.js";
import { startRedis, type RedisProcess } from "../helpers/redis.js";

function deferred() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

describe("lock shared through a real redis-server (two replicas)", () => {
  let redis: RedisProcess;
  let replicaA: Lock;
  let replicaB: Lock;

  beforeAll(async () => {
    redis = await startRedis();
    replicaA = createLock({ redisUrl: redis.url });
    replicaB = createLock({ redisUrl: redis.url });
  });
  afterAll(async () => {
    await replicaA?.close();
    await replicaB?.close();
    await redis?.stop();
  });

  it("lets only one replica run the sweep while the other holds the lock", async () => {
    const holding = deferred();
    const runs: string[] = [];
    const first = replicaA.withLock("sweep", 30_000, async () => {
      runs.push("A");
      await holding.promise;
      return "done by A";
    });
    await new Promise((r) => setTimeout(r, 50)); // A has the lock now
    const second = await replicaB.withLock("sweep", 30_000, async () => {
      runs.push("B");
    });
    holding.release();
    expect(second).toEqual({ ran: false });
    expect(await first).toEqual({ ran: true, value: "done by A" });
    expect(runs).toEqual(["A"]);
  });

  it("releases the lock after the job, so the next sweep can run on any replica", async () => {
    await replicaA.withLock("sweep", 30_000, async () => undefined);
    expect(await replicaB.withLock("sweep", 30_000, async () => "B ran")).toEqual({ ran: true, value: "B ran" });
  });

  it("releases the lock when the job throws", async () => {
    await expect(replicaA.withLock("sweep", 30_000, async () => { throw new Error("boom"); })).rejects.toThrow("boom");
    expect((await replicaB.withLock("sweep", 30_000, async () => 1)).ran).toBe(true);
  });

  it("lets another replica take over after the TTL when the holder died, and the late holder does not release the new lock", async () => {
    const slow = deferred();
    const late = replicaA.withLock("expiring", 100, () => slow.promise);
    await new Promise((r) => setTimeout(r, 200)); // A's lock expired (A is "stuck")
    const takeover = deferred();
    const bRun = replicaB.withLock("expiring", 30_000, () => takeover.promise);
    await new Promise((r) => setTimeout(r, 50));
    slow.release();
    await late; // A finishes and tries to release: must not delete B's lock
    expect(await replicaA.withLock("expiring", 30_000, async () => "A again")).toEqual({ ran: false });
    takeover.release();
    expect((await bRun).ran).toBe(true);
  });

  it("runs each job exactly once when many replicas race for it", async () => {
    const replicas = [replicaA, replicaB, createLock({ redisUrl: redis.url }), createLock({ redisUrl: redis.url })];
    let runs = 0;
    const results = await Promise.all(
      replicas.map((lock) => lock.withLock("race", 30_000, async () => { runs += 1; await new Promise((r) => setTimeout(r, 100)); })),
    );
    await Promise.all(replicas.slice(2).map((lock) => lock.close()));
    expect(runs).toBe(1);
    expect(results.filter((r) => r.ran)).toHaveLength(1);
  });
});

describe("lock without Redis (one replica)", () => {
  it("does not run the same job twice at once in one process", async () => {
    const lock = createLock();
    const holding = deferred();
    const first = lock.withLock("sweep", 1000, () => holding.promise);
    expect(await lock.withLock("sweep", 1000, async () => "second")).toEqual({ ran: false });
    expect((await lock.withLock("other", 1000, async () => "other job")).ran).toBe(true);
    holding.release();
    await first;
    expect(await lock.withLock("sweep", 1000, async () => "again")).toEqual({ ran: true, value: "again" });
  });
});
