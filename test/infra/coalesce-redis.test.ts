import { jest } from "@jest/globals";
import { Redis } from "ioredis";
import { Coalescer } from "../../src/infra/coalesce.js";
import { RedisCoalesceStore } from "../../src/infra/coalesce-redis.js";
import { startRedis, type RedisProcess } from "../helpers/redis.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: RedisProcess;
const clients: Redis[] = [];

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit()));
  await server.stop();
});

/** One replica: its own Redis connection and coalescer, recording the runs it made. */
function replica(name: string, runs: string[], prefix: string, lockTtlMs = 60_000) {
  const redis = new Redis(server.url);
  clients.push(redis);
  const coalescer = new Coalescer(new RedisCoalesceStore(redis, { prefix, lockTtlMs }), { warn: jest.fn(), error: jest.fn() });
  const submit = (key: string, label: string, ms = 0, windowMs = 60) =>
    coalescer.submit(key, async () => {
      runs.push(`${name} start ${label}`);
      if (ms) await sleep(ms);
      runs.push(`${name} end ${label}`);
    }, { windowMs, maxWaitMs: 2_000 });
  // Connected before the test's clock starts: a first command queued behind the connection would
  // see the next replica's event too, and that is a burst, not a lone event.
  const ready = () => redis.ping();
  return { coalescer, submit, ready };
}

test("a burst spread over two replicas runs twice in all: its first event at once, the rest once after the last event", async () => {
  const runs: string[] = [];
  const a = replica("A", runs, "t1");
  const b = replica("B", runs, "t1");
  await Promise.all([a.ready(), b.ready()]);
  const settled = [];
  for (let i = 1; i <= 6; i++) {
    settled.push((i % 2 ? a : b).submit("2:org/repo#7", `event ${i}`));
    await sleep(15);
  }
  await Promise.all(settled);
  await Promise.all([a.coalescer.drain(), b.coalescer.drain()]);
  expect(runs).toHaveLength(4);
  expect(runs.slice(0, 2)).toEqual(["A start event 1", "A end event 1"]);
  // The window is shared: the second run started after the last event, whichever replica got it.
  expect(runs[2]).toMatch(/^[AB] start event [56]$/);
  expect(runs[3]).toMatch(/end/);
});

test("an event on the other replica during a run causes exactly one more run", async () => {
  const runs: string[] = [];
  const a = replica("A", runs, "t2");
  const b = replica("B", runs, "t2");
  const first = a.submit("2:org/repo#8", "first", 150, 20);
  await sleep(80); // A is evaluating
  expect(runs).toEqual(["A start first"]);
  const second = b.submit("2:org/repo#8", "second", 0, 20);
  const third = b.submit("2:org/repo#8", "third", 0, 20);
  await Promise.all([first, second, third]);
  await sleep(300);
  await Promise.all([a.coalescer.drain(), b.coalescer.drain()]);
  const starts = runs.filter((r) => r.includes("start"));
  expect(starts).toHaveLength(2);
  expect(starts[0]).toBe("A start first");
  // The re-run happens after the first one ended, never concurrently.
  expect(runs.indexOf("A end first")).toBeLessThan(runs.indexOf(starts[1]!));
});

test("different PRs do not wait for each other", async () => {
  const runs: string[] = [];
  const a = replica("A", runs, "t3");
  const b = replica("B", runs, "t3");
  await Promise.all([a.submit("2:org/repo#1", "one", 0, 10), b.submit("2:org/repo#2", "two", 0, 10)]);
  expect(runs.filter((r) => r.includes("start")).sort()).toEqual(["A start one", "B start two"]);
});

test("if the evaluating replica dies, its lock expires and another replica evaluates", async () => {
  const runs: string[] = [];
  const redis = new Redis(server.url);
  clients.push(redis);
  const store = new RedisCoalesceStore(redis, { prefix: "t4", lockTtlMs: 200 });
  await store.touch("2:org/repo#9");
  const dead = await store.claim("2:org/repo#9", { windowMs: 0, maxWaitMs: 0 });
  expect(dead.kind).toBe("run"); // ... and never releases
  const b = replica("B", runs, "t4", 200);
  await b.submit("2:org/repo#9", "takeover", 0, 50);
  expect(runs).toEqual(["B start takeover", "B end takeover"]);
});

test("when Redis is unreachable, the PR is evaluated anyway (and the problem logged)", async () => {
  const dead = new Redis("redis://127.0.0.1:1", { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  dead.on("error", () => undefined);
  const log = { warn: jest.fn(), error: jest.fn() };
  const coalescer = new Coalescer(new RedisCoalesceStore(dead), log);
  const runs: string[] = [];
  const started = Date.now();
  await coalescer.submit("2:org/repo#10", async () => void runs.push("evaluated"), { windowMs: 10, maxWaitMs: 100 });
  expect(runs).toEqual(["evaluated"]);
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(log.warn).toHaveBeenCalledWith(expect.anything(), "coalescing store unavailable; evaluating without coalescing");
  dead.disconnect();
});
