import { jest } from "@jest/globals";
import { Coalescer, dueAt, MemoryCoalesceStore } from "../../src/infra/coalesce.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quietLog = { warn: jest.fn(), error: jest.fn() };

function recorder() {
  const runs: string[] = [];
  const make = (label: string, ms = 0) => async () => {
    runs.push(`start ${label}`);
    if (ms) await sleep(ms);
    runs.push(`end ${label}`);
  };
  return { runs, make };
}

describe("the in-process coalescer", () => {
  // Fake clocks: windows are asserted exactly, and nothing flakes on a loaded machine.
  beforeEach(() => jest.useFakeTimers({ doNotFake: ["setImmediate", "nextTick", "queueMicrotask"] }));
  afterEach(() => jest.useRealTimers());

  test("a lone submission runs at once, without waiting for a window", async () => {
    const coalescer = new Coalescer(new MemoryCoalesceStore(), quietLog);
    const { runs, make } = recorder();
    void coalescer.submit("pr#2", make("event 1"), { windowMs: 2_000, maxWaitMs: 10_000 });
    await jest.advanceTimersByTimeAsync(0);
    expect(runs).toEqual(["start event 1", "end event 1"]);
    expect(coalescer.pending()).toBe(0);
  });

  test("six submissions in a burst cause two runs: the first at once, then one after the burst with the last one submitted", async () => {
    const coalescer = new Coalescer(new MemoryCoalesceStore(), quietLog);
    const { runs, make } = recorder();
    const timing = { windowMs: 40, maxWaitMs: 1_000 };
    for (let i = 1; i <= 6; i++) {
      void coalescer.submit("pr#2", make(`event ${i}`), timing);
      await jest.advanceTimersByTimeAsync(5);
    }
    expect(runs).toEqual(["start event 1", "end event 1"]);
    expect(coalescer.pending()).toBe(1);
    await jest.advanceTimersByTimeAsync(34); // 39 ms after the last submission: still inside its window
    expect(runs).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(2);
    expect(runs).toEqual(["start event 1", "end event 1", "start event 6", "end event 6"]);
    expect(coalescer.pending()).toBe(0);
  });

  test("a submission a window after the last run is lone again and runs at once", async () => {
    const coalescer = new Coalescer(new MemoryCoalesceStore(), quietLog);
    const { runs, make } = recorder();
    const timing = { windowMs: 40, maxWaitMs: 1_000 };
    void coalescer.submit("pr#2", make("first"), timing);
    await jest.advanceTimersByTimeAsync(100);
    void coalescer.submit("pr#2", make("later"), timing);
    await jest.advanceTimersByTimeAsync(0);
    expect(runs).toEqual(["start first", "end first", "start later", "end later"]);
  });

  test("different keys are evaluated separately", async () => {
    const coalescer = new Coalescer(new MemoryCoalesceStore(), quietLog);
    const { runs, make } = recorder();
    void coalescer.submit("pr#1", make("one"), { windowMs: 10, maxWaitMs: 100 });
    void coalescer.submit("pr#2", make("two"), { windowMs: 10, maxWaitMs: 100 });
    await coalescer.drain();
    expect(runs.sort()).toEqual(["end one", "end two", "start one", "start two"]);
  });

  test("a submission during a run causes exactly one more run after it", async () => {
    const coalescer = new Coalescer(new MemoryCoalesceStore(), quietLog);
    const { runs, make } = recorder();
    const timing = { windowMs: 10, maxWaitMs: 100 };
    void coalescer.submit("pr#2", make("first", 60), timing);
    await jest.advanceTimersByTimeAsync(30); // the first run is in progress
    expect(runs).toEqual(["start first"]);
    void coalescer.submit("pr#2", make("second"), timing);
    void coalescer.submit("pr#2", make("third"), timing);
    await jest.advanceTimersByTimeAsync(150);
    expect(runs).toEqual(["start first", "end first", "start third", "end third"]);
  });

  test("a constant stream still runs again once the maximum wait is over", async () => {
    const coalescer = new Coalescer(new MemoryCoalesceStore(), quietLog);
    const timing = { windowMs: 30, maxWaitMs: 80 };
    const started = Date.now();
    const runAt: number[] = [];
    for (let i = 0; i < 20; i++) {
      void coalescer.submit("pr#2", async () => void runAt.push(Date.now() - started), timing);
      await jest.advanceTimersByTimeAsync(10);
    }
    // The first at once; the stream's next submission (10 ms) starts a burst that runs at most 80 ms later.
    expect(runAt[0]).toBe(0);
    expect(runAt[1]).toBe(90);
    await coalescer.drain();
  });

  test("submit resolves when the run covering it finished; drain runs waiting work at once", async () => {
    const coalescer = new Coalescer(new MemoryCoalesceStore(), quietLog);
    const { runs, make } = recorder();
    let settled = false;
    void coalescer.submit("pr#2", make("only"), { windowMs: 60_000, maxWaitMs: 60_000 }).then(() => (settled = true));
    await coalescer.drain();
    expect(runs).toEqual(["start only", "end only"]);
    expect(settled).toBe(true);
    expect(coalescer.pending()).toBe(0);
  });

  test("an error in a run is logged and does not block the key", async () => {
    const log = { warn: jest.fn(), error: jest.fn() };
    const coalescer = new Coalescer(new MemoryCoalesceStore(), log);
    const { runs, make } = recorder();
    void coalescer.submit("pr#2", async () => Promise.reject(new Error("boom")), { windowMs: 0, maxWaitMs: 0 });
    await coalescer.drain();
    expect(log.error).toHaveBeenCalledWith(expect.objectContaining({ key: "pr#2" }), "background evaluation failed");
    void coalescer.submit("pr#2", make("again"), { windowMs: 0, maxWaitMs: 0 });
    await coalescer.drain();
    expect(runs).toEqual(["start again", "end again"]);
  });

  test("when the shared store fails, it evaluates anyway (twice is better than never)", async () => {
    const log = { warn: jest.fn(), error: jest.fn() };
    const down = () => Promise.reject(new Error("redis down"));
    const broken = { touch: down, claim: down, release: down };
    const coalescer = new Coalescer(broken, log);
    const { runs, make } = recorder();
    void coalescer.submit("pr#2", make("anyway"), { windowMs: 10, maxWaitMs: 10 });
    await coalescer.drain();
    expect(runs).toEqual(["start anyway", "end anyway"]);
    expect(log.warn).toHaveBeenCalledWith(expect.anything(), "coalescing store unavailable; evaluating without coalescing");
  });
});

test.each([
  // last, first, window, maxWait → due
  [1_000, 1_000, 2_000, 10_000, 3_000],
  [9_500, 1_000, 2_000, 10_000, 11_000],
  [10_500, 1_000, 2_000, 10_000, 11_000],
  [1_000, 1_000, 2_000, 500, 3_000],
])("dueAt(last %d, first %d, window %d, maxWait %d) = %d", (last, first, windowMs, maxWaitMs, due) => {
  expect(dueAt(last, first, { windowMs, maxWaitMs })).toBe(due);
});
