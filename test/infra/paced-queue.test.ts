import { jest } from "@jest/globals";
import { PacedQueue } from "../../src/infra/paced-queue.js";

// Fake clocks: the pauses are asserted to the millisecond, and nothing flakes on a loaded machine.
beforeEach(() => jest.useFakeTimers({ doNotFake: ["setImmediate", "nextTick", "queueMicrotask"] }));
afterEach(() => jest.useRealTimers());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function queue(options: Partial<ConstructorParameters<typeof PacedQueue>[0]> = {}) {
  const log = { warn: jest.fn(), error: jest.fn() };
  return { log, q: new PacedQueue({ spacingMs: 0, maxPauseMs: 1_000, pauseFor: () => 0, log, ...options }) };
}

test("one job at a time, in order, with the spacing between the end of one and the start of the next", async () => {
  const { q } = queue({ spacingMs: 40 });
  const t0 = Date.now();
  const events: string[] = [];
  for (const name of ["a", "b", "c"]) {
    q.push({ key: name, installation: "1", run: async () => {
      events.push(`start ${name} at ${Date.now() - t0}`);
      await sleep(10);
      events.push(`end ${name} at ${Date.now() - t0}`);
    } });
  }
  await jest.advanceTimersByTimeAsync(0);
  expect(events).toEqual(["start a at 0"]);
  await jest.advanceTimersByTimeAsync(49); // a ends at 10; b may not start before 10 + 40
  expect(events).toEqual(["start a at 0", "end a at 10"]);
  await jest.advanceTimersByTimeAsync(1);
  expect(events.at(-1)).toBe("start b at 50");
  await jest.advanceTimersByTimeAsync(100);
  expect(events).toEqual(["start a at 0", "end a at 10", "start b at 50", "end b at 60", "start c at 100", "end c at 110"]);
  await q.idle();
});

test("a job whose key is already waiting is not queued twice (a running one may be queued again)", async () => {
  const { q } = queue();
  const runs: string[] = [];
  expect(q.push({ key: "pr#1", installation: "1", run: async () => void runs.push("running") })).toBe(true);
  expect(q.push({ key: "pr#1", installation: "1", run: async () => void runs.push("waiting") })).toBe(true);
  expect(q.push({ key: "pr#1", installation: "1", run: async () => void runs.push("duplicate") })).toBe(false);
  await q.idle();
  expect(runs).toEqual(["running", "waiting"]);
});

test("a failing job is logged and the next one still runs", async () => {
  const { q, log } = queue();
  const runs: string[] = [];
  q.push({ key: "bad", installation: "1", run: async () => Promise.reject(new Error("boom")) });
  q.push({ key: "good", installation: "1", run: async () => void runs.push("good") });
  await q.idle();
  expect(runs).toEqual(["good"]);
  expect(log.error).toHaveBeenCalledWith(expect.objectContaining({ key: "bad" }), "background re-evaluation failed");
});

test("while the budget is low it waits, re-checking every maxPauseMs, then continues at the next check", async () => {
  let low = true;
  const checks: number[] = [];
  const t0 = Date.now();
  const { q } = queue({ pauseFor: () => (checks.push(Date.now() - t0), low ? 10_000 : 0), maxPauseMs: 20 });
  const runs: string[] = [];
  q.push({ key: "pr#1", installation: "1", run: async () => void runs.push(`pr#1 at ${Date.now() - t0}`) });
  await jest.advanceTimersByTimeAsync(100);
  // Not the 10 s the budget asks for at once: it looks again every 20 ms.
  expect(checks).toEqual([0, 20, 40, 60, 80, 100]);
  expect(runs).toEqual([]);
  low = false;
  await jest.advanceTimersByTimeAsync(19);
  expect(runs).toEqual([]);
  await jest.advanceTimersByTimeAsync(1);
  expect(runs).toEqual(["pr#1 at 120"]);
  await q.idle();
});

test("stop() lets the running job finish and drops the rest, saying how many, without waiting for the spacing", async () => {
  const { q, log } = queue({ spacingMs: 1_000 });
  const runs: string[] = [];
  q.push({ key: "a", installation: "1", run: async () => {
    await sleep(30);
    runs.push("a");
  } });
  q.push({ key: "b", installation: "1", run: async () => void runs.push("b") });
  await jest.advanceTimersByTimeAsync(5);
  let stopped = false;
  const stopping = q.stop().then(() => (stopped = true));
  await jest.advanceTimersByTimeAsync(24);
  expect(stopped).toBe(false); // a is still running (it ends at 30)
  await jest.advanceTimersByTimeAsync(1);
  expect(stopped).toBe(true);
  await stopping;
  expect(runs).toEqual(["a"]);
  expect(log.warn).toHaveBeenCalledWith({ dropped: 1 }, expect.stringContaining("queued re-evaluations dropped"));
  expect(q.push({ key: "c", installation: "1", run: async () => undefined })).toBe(false);
});
