// Change freezes (SPEC §9): boundaries, time zones, which classes and environments they stop.
import { parseConfigText } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { evaluatePull } from "../../src/policy/evaluate.js";
import { activeFreezes, nextFreezeBoundary } from "../../src/policy/freezes.js";
import type { PullSnapshot } from "../../src/policy/snapshot.js";
import { renderVerdict } from "../../src/render/check-output.js";
import { pullSnapshot, review } from "../helpers/pull-snapshot.js";

function config(yaml: string): Config {
  const result = parseConfigText(yaml, "t.yml");
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

const YEAR_END = config(
  [
    "groups:",
    "  cto-ciso: { users: [ciso] }",
    "freezes:",
    "  - name: Year-end freeze",
    "    from: 2026-12-20T00:00:00Z",
    "    until: 2027-01-04T00:00:00Z",
    "    environments: [production]",
  ].join("\n"),
);

const COMPLETE_BODY = [
  "## Description",
  "Record partial refunds in their own table.",
  "## Impact analysis",
  "One new table; no change to existing columns.",
  "## Rollback plan",
  "Revert and run the down migration.",
  "",
  "Owner: @alice",
  "Target date: 2026-03-12",
].join("\n");

/** A normal change that meets every requirement of its class. */
function complete(overrides: Partial<PullSnapshot> = {}): PullSnapshot {
  return pullSnapshot({
    body: COMPLETE_BODY,
    groups: { "cto-ciso": ["ciso"] },
    permissions: { bob: "write", ciso: "admin" },
    reviews: [review("bob", "APPROVED", 1), review("ciso", "APPROVED", 2)],
    ...overrides,
  });
}

const at = (iso: string) => new Date(iso);

describe("a normal change during the freeze", () => {
  test("fails although every requirement is met; the title names the freeze and its end, the summary the way out", () => {
    const verdict = evaluatePull(YEAR_END, complete(), { now: at("2026-12-24T09:00:00Z") });
    const output = renderVerdict(verdict);
    expect(output.conclusion).toBe("failure");
    expect(output.title).toBe('Normal change: change freeze "Year-end freeze" until 2027-01-04T00:00:00Z');
    expect(output.summary).toContain('**Change freeze "Year-end freeze"** is active from 2026-12-20T00:00:00Z until 2027-01-04T00:00:00Z: only emergency changes may merge until it ends.');
    expect(verdict.requirements[0]).toEqual({
      kind: "freeze",
      name: 'Change freeze "Year-end freeze"',
      met: false,
      detail:
        "active from 2026-12-20T00:00:00Z until 2027-01-04T00:00:00Z: only emergency changes may merge during it. Wait until 2027-01-04T00:00:00Z (the check re-evaluates then); if this change cannot wait, declare it an emergency (label `emergency`)",
      source: "freezes",
    });
  });

  test.each([
    ["1 ms before it starts", "2026-12-19T23:59:59.999Z", "success"],
    ["the instant it starts", "2026-12-20T00:00:00Z", "failure"],
    ["1 ms before it ends", "2027-01-03T23:59:59.999Z", "failure"],
    ["the instant it ends", "2027-01-04T00:00:00Z", "success"],
  ])("%s: %s", (_name, now, conclusion) => {
    expect(evaluatePull(YEAR_END, complete(), { now: at(now) }).conclusion).toBe(conclusion);
  });

  test("a standard change is frozen too by default; one the freeze does not list passes", () => {
    const docs = complete({ files: ["docs/a.md"], reviews: [review("bob", "APPROVED", 1)] });
    expect(evaluatePull(YEAR_END, docs, { now: at("2026-12-24T00:00:00Z") }).conclusion).toBe("failure");
    const onlyNormal = config("freezes:\n  - { name: Release, from: 2026-12-20T00:00:00Z, until: 2027-01-04T00:00:00Z, classes: [normal] }\n");
    expect(evaluatePull(onlyNormal, docs, { now: at("2026-12-24T00:00:00Z") }).conclusion).toBe("success");
  });
});

describe("time zones", () => {
  const berlin = config("freezes:\n  - { name: Berlin release, from: '2026-06-01T08:00:00+02:00', until: '2026-06-01T18:00:00+02:00' }\n");

  test.each([
    ["05:59Z is before 08:00+02:00", "2026-06-01T05:59:59Z", 0],
    ["06:00Z is 08:00+02:00", "2026-06-01T06:00:00Z", 1],
    ["15:59Z is before 18:00+02:00", "2026-06-01T15:59:59Z", 1],
    ["16:00Z is 18:00+02:00", "2026-06-01T16:00:00Z", 0],
  ])("%s", (_name, now, active) => {
    expect(activeFreezes(berlin, at(now))).toHaveLength(active);
  });

  test("times are shown in UTC, whatever zone the policy used", () => {
    expect(activeFreezes(berlin, at("2026-06-01T10:00:00Z"))).toEqual([
      { name: "Berlin release", from: "2026-06-01T06:00:00Z", until: "2026-06-01T16:00:00Z", classes: ["standard", "normal"] },
    ]);
    const title = renderVerdict(evaluatePull(berlin, complete(), { now: at("2026-06-01T10:00:00Z") })).title;
    expect(title).toBe('Normal change: change freeze "Berlin release" until 2026-06-01T16:00:00Z');
  });
});

describe("emergency changes", () => {
  const emergency = () =>
    complete({
      labels: ["emergency"],
      labelEvents: [{ label: "emergency", actor: "oncall", createdAt: "2026-12-24T03:00:00Z" }],
      body: "## Description\nRoll back the broken cache config now.",
      reviews: [review("bob", "APPROVED", 1)],
    });

  test("pass during a freeze, and the summary says why", () => {
    const verdict = evaluatePull(YEAR_END, emergency(), { now: at("2026-12-24T09:00:00Z") });
    expect(verdict.conclusion).toBe("success");
    expect(verdict.notes).toContain('The change freeze "Year-end freeze" is active until 2027-01-04T00:00:00Z; as an emergency change this pull request may still merge.');
    expect(renderVerdict(verdict).title).toBe("Emergency change: all requirements met");
  });

  test("fail when the freeze lists them: nothing may merge", () => {
    const total = config("freezes:\n  - { name: Data-centre move, from: 2026-12-20T00:00:00Z, until: 2026-12-21T00:00:00Z, classes: [standard, normal, emergency] }\n");
    const verdict = evaluatePull(total, emergency(), { now: at("2026-12-20T12:00:00Z") });
    expect(verdict.conclusion).toBe("failure");
    expect(verdict.requirements[0]!.detail).toBe(
      "active from 2026-12-20T00:00:00Z until 2026-12-21T00:00:00Z: no change may merge during it. Wait until 2026-12-21T00:00:00Z (the check re-evaluates then)",
    );
  });
});

describe("several freezes", () => {
  const two = config(
    [
      "freezes:",
      "  - { name: Black Friday, from: 2026-11-26T00:00:00Z, until: 2026-11-30T00:00:00Z }",
      "  - { name: Payments audit, from: 2026-11-20T00:00:00Z, until: 2026-12-02T00:00:00Z, classes: [normal], environments: [production] }",
    ].join("\n"),
  );

  test("overlapping: each is listed, and the title names the one that ends last", () => {
    const verdict = evaluatePull(two, complete(), { now: at("2026-11-27T00:00:00Z") });
    expect(verdict.requirements.filter((r) => r.kind === "freeze").map((r) => r.name)).toEqual(['Change freeze "Payments audit"', 'Change freeze "Black Friday"']);
    expect(renderVerdict(verdict).title).toBe('Normal change: change freeze "Payments audit" until 2026-12-02T00:00:00Z');
  });

  test("activeFreezes: by class and by environment (case-insensitive; no list = every guarded environment)", () => {
    const now = at("2026-11-27T00:00:00Z");
    const names = (scope: Parameters<typeof activeFreezes>[2]) => activeFreezes(two, now, scope).map((f) => f.name);
    expect(names({})).toEqual(["Payments audit", "Black Friday"]);
    expect(names({ changeClass: "standard" })).toEqual(["Black Friday"]);
    expect(names({ changeClass: "emergency" })).toEqual([]);
    expect(names({ environment: "Production" })).toEqual(["Payments audit", "Black Friday"]);
    expect(names({ environment: "staging" })).toEqual(["Black Friday"]);
    expect(names({ changeClass: "normal", environment: "staging" })).toEqual(["Black Friday"]);
  });

  test.each([
    ["long before", "2026-01-01T00:00:00Z", { at: "2026-11-20T00:00:00.000Z", freeze: "Payments audit", edge: "start" }],
    ["the instant one starts: the next edge after it", "2026-11-20T00:00:00Z", { at: "2026-11-26T00:00:00.000Z", freeze: "Black Friday", edge: "start" }],
    ["inside both", "2026-11-27T00:00:00Z", { at: "2026-11-30T00:00:00.000Z", freeze: "Black Friday", edge: "end" }],
    ["inside the longer one only", "2026-12-01T00:00:00Z", { at: "2026-12-02T00:00:00.000Z", freeze: "Payments audit", edge: "end" }],
    ["after both", "2026-12-02T00:00:00Z", null],
  ])("nextFreezeBoundary %s", (_name, now, expected) => {
    const next = nextFreezeBoundary(two, at(now));
    expect(next && { ...next, at: next.at.toISOString() }).toEqual(expected);
  });

  test("no freezes: nothing is active and there is no boundary", () => {
    const none = config("");
    expect(activeFreezes(none, at("2026-11-27T00:00:00Z"))).toEqual([]);
    expect(nextFreezeBoundary(none, at("2026-11-27T00:00:00Z"))).toBeNull();
  });
});
