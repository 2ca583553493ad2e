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
  test("six submissions within the window cause one run, with the last one submitted", async () => {
    const coalescer = new Coalescer(new MemoryCoalesceStore(), quietLog);
    const { runs, make } = recorder();
    const timing = { windowMs: 40, maxWaitMs: 1_000 };
    for (let i = 1; i <= 6; i++) {
      void coalescer.submit("pr#2", make(`event ${i}`), timing);
      await sleep(5);
    }
    expect(runs).toEqual([]);
    expect(coalescer.pending()).toBe(1);
    await sleep(120);
    expect(runs).toEqual(["start event 6", "end event 6"]);
    expect(coalescer.pending()).toBe(0);
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
    await sleep(30); // the first run is in progress
    expect(runs).toEqual(["start first"]);
    void coalescer.submit("pr#2", make("second"), timing);
    void coalescer.submit("pr#2", make("third"), timing);
    await sleep(150);
    expect(runs).toEqual(["start first", "end first", "start third", "end third"]);
  });

  test("a constant stream still runs once the maximum wait is over", async () => {
    const coalescer = new Coalescer(new MemoryCoalesceStore(), quietLog);
    const { make } = recorder();
    const timing = { windowMs: 30, maxWaitMs: 80 };
    const started = Date.now();
    let firstRunAt = 0;
    for (let i = 0; i < 20 && !firstRunAt; i++) {
      void coalescer.submit("pr#2", async () => {
        firstRunAt ||= Date.now();
        await make(`event ${i}`)();
      }, timing);
      await sleep(10);
    }
    expect(firstRunAt - started).toBeGreaterThanOrEqual(75);
    expect(firstRunAt - started).toBeLessThan(400);
    await coalescer.drain();
  });

  test("submit resolves when the run covering it finished; drain runs waiting work at once", async () => {
    const coalescer = new Coalescer(new MemoryCoalesceStore(), quietLog);
    const { runs, make } = recorder();
    let settled = false;
    void coalescer.submit("pr#2", make("only"), { windowMs: 60_000, maxWaitMs: 60_000 }).then(() => (settled = true));
    const started = Date.now();
    await coalescer.drain();
    expect(Date.now() - started).toBeLessThan(1_000);
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
