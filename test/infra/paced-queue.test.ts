import { jest } from "@jest/globals";
import { PacedQueue } from "../../src/infra/paced-queue.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function queue(options: Partial<ConstructorParameters<typeof PacedQueue>[0]> = {}) {
  const log = { warn: jest.fn(), error: jest.fn() };
  return { log, q: new PacedQueue({ spacingMs: 0, maxPauseMs: 1_000, pauseFor: () => 0, log, ...options }) };
}

test("one job at a time, in order, spaced", async () => {
  const { q } = queue({ spacingMs: 40 });
  const events: string[] = [];
  const starts: number[] = [];
  for (const name of ["a", "b", "c"]) {
    q.push({ key: name, installation: "1", run: async () => {
      starts.push(Date.now());
      events.push(`start ${name}`);
      await sleep(10);
      events.push(`end ${name}`);
    } });
  }
  await q.idle();
  expect(events).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(45);
  expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(45);
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

test("while the budget is low it waits, re-checking, then continues", async () => {
  let low = true;
  const { q } = queue({ pauseFor: () => (low ? 10_000 : 0), maxPauseMs: 20 });
  const runs: string[] = [];
  q.push({ key: "pr#1", installation: "1", run: async () => void runs.push("pr#1") });
  await sleep(100);
  expect(runs).toEqual([]);
  low = false;
  await q.idle();
  expect(runs).toEqual(["pr#1"]);
});

test("stop() lets the running job finish and drops the rest, saying how many", async () => {
  const { q, log } = queue({ spacingMs: 1_000 });
  const runs: string[] = [];
  q.push({ key: "a", installation: "1", run: async () => {
    await sleep(30);
    runs.push("a");
  } });
  q.push({ key: "b", installation: "1", run: async () => void runs.push("b") });
  await sleep(5);
  const started = Date.now();
  await q.stop();
  expect(Date.now() - started).toBeLessThan(500);
  expect(runs).toEqual(["a"]);
  expect(log.warn).toHaveBeenCalledWith({ dropped: 1 }, expect.stringContaining("queued re-evaluations dropped"));
  expect(q.push({ key: "c", installation: "1", run: async () => undefined })).toBe(false);
});
