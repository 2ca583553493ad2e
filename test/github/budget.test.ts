import { jest } from "@jest/globals";
import { ApiBudget } from "../../src/github/budget.js";

const headers = (remaining: number, resetSeconds: number, resource = "core") => ({
  "x-ratelimit-limit": "5000",
  "x-ratelimit-remaining": String(remaining),
  "x-ratelimit-reset": String(resetSeconds),
  "x-ratelimit-resource": resource,
});

test("tracks the last known limit per installation and resource", () => {
  const budget = new ApiBudget(() => 1_000_000, 0.1);
  budget.record("7", headers(4200, 4000));
  budget.record("7", headers(4100, 4000, "graphql"));
  budget.record("8", headers(10, 4000));
  budget.record("8", { etag: "x" }); // no rate-limit headers: ignored
  expect(budget.snapshot()).toEqual([
    { installation: "7", resource: "core", limit: 5000, remaining: 4200, resetAt: 4_000_000 },
    { installation: "7", resource: "graphql", limit: 5000, remaining: 4100, resetAt: 4_000_000 },
    { installation: "8", resource: "core", limit: 5000, remaining: 10, resetAt: 4_000_000 },
  ]);
  expect(budget.low("7")).toBeNull();
  expect(budget.low("8")).toMatchObject({ remaining: 10 });
});

test("below 10% it slows down by the configured factor and warns once per reset window", () => {
  let now = 1_000_000;
  const budget = new ApiBudget(() => now, 0.1);
  const log = { warn: jest.fn() };
  budget.record("7", headers(499, 2000));
  expect(budget.slowdown("7", log)).toBe(10);
  expect(budget.slowdown("7", log)).toBe(10);
  expect(budget.pauseBeforeBackgroundWork("7", log)).toBe(1_000_000);
  expect(log.warn).toHaveBeenCalledTimes(1);
  expect(log.warn.mock.calls[0]![1]).toContain("GitHub API budget is low");

  // The window resets: fine again without a new response; a new low window warns again.
  now = 2_000_001;
  expect(budget.slowdown("7", log)).toBe(1);
  budget.record("7", headers(100, 5600));
  expect(budget.slowdown("7", log)).toBe(10);
  expect(log.warn).toHaveBeenCalledTimes(2);
});

test("at exactly 10% left it is not yet low", () => {
  const budget = new ApiBudget(() => 0, 0.1);
  budget.record("7", headers(500, 4000));
  expect(budget.low("7")).toBeNull();
});
