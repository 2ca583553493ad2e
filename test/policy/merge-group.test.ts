import fc from "fast-check";
import type { Verdict } from "../../src/policy/evaluate.js";
import { combineMergeGroup, parseMergeGroupRef } from "../../src/policy/merge-group.js";

const SHA = "929f8209d40f77f4abc622a499c93a83babdbe64";

describe("parseMergeGroupRef", () => {
  test.each([
    [`refs/heads/gh-readonly-queue/main/pr-104-${SHA}`, { base: "main", number: 104, parentSha: SHA }],
    [`refs/heads/gh-readonly-queue/release/1.4/pr-7-${SHA}`, { base: "release/1.4", number: 7, parentSha: SHA }],
    [`refs/heads/gh-readonly-queue/main/pr-12-${"a".repeat(64)}`, { base: "main", number: 12, parentSha: "a".repeat(64) }],
  ])("%s", (ref, expected) => {
    expect(parseMergeGroupRef(ref)).toEqual(expected);
  });

  test.each([
    ["not a queue ref", "refs/heads/main"],
    ["no base", `refs/heads/gh-readonly-queue/pr-104-${SHA}`],
    ["an empty base segment", `refs/heads/gh-readonly-queue/release//pr-104-${SHA}`],
    ["no number", `refs/heads/gh-readonly-queue/main/pr--${SHA}`],
    ["a leading zero", `refs/heads/gh-readonly-queue/main/pr-0104-${SHA}`],
    ["a short sha", "refs/heads/gh-readonly-queue/main/pr-104-929f820"],
    ["upper-case sha", `refs/heads/gh-readonly-queue/main/pr-104-${SHA.toUpperCase()}`],
    ["trailing text", `refs/heads/gh-readonly-queue/main/pr-104-${SHA}x`],
    ["a number too large", `refs/heads/gh-readonly-queue/main/pr-12345678901-${SHA}`],
    ["a tag ref", `refs/tags/gh-readonly-queue/main/pr-104-${SHA}`],
    ["a huge ref", `refs/heads/gh-readonly-queue/${"a/".repeat(5000)}pr-1-${SHA}`],
  ])("%s → null", (_name, ref) => {
    expect(parseMergeGroupRef(ref)).toBeNull();
  });

  test("any input is answered quickly and never throws", () => {
    const started = performance.now();
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (tail) => {
        const parsed = parseMergeGroupRef(`refs/heads/gh-readonly-queue/${tail}`);
        return parsed === null || (parsed.number > 0 && parsed.base.length > 0);
      }),
      { numRuns: 2000 },
    );
    // 2,000 refs of up to 2,000 characters: linear work, far below a second even on a loaded machine.
    expect(performance.now() - started).toBeLessThan(5000);
    const adversarial = `refs/heads/gh-readonly-queue/${"pr-1-".repeat(200)}/${"pr-1-".repeat(200)}${"a".repeat(39)}`;
    expect(parseMergeGroupRef(adversarial)).toBeNull();
  });
});

function verdict(conclusion: "success" | "failure"): Verdict {
  return {
    changeClass: "normal",
    classification: { changeClass: "normal", reasons: ["the default class"], ignoredEmergencyLabels: [], declaredBy: null },
    requirements: [{ kind: "approval", name: "1 peer approval", met: conclusion === "success", detail: conclusion === "success" ? "approved by @bob" : "has 0 of 1", source: "normal change" }],
    conclusion,
    notes: [],
    rules: [],
    approvers: [],
  };
}

describe("combineMergeGroup", () => {
  test.each<[string, Parameters<typeof combineMergeGroup>[0], "success" | "failure", number[]]>([
    ["every PR passes", [{ number: 12, title: "a", outcome: { kind: "verdict", verdict: verdict("success") } }, { number: 13, title: "b", outcome: { kind: "verdict", verdict: verdict("success") } }], "success", []],
    ["one PR fails", [{ number: 13, title: "b", outcome: { kind: "verdict", verdict: verdict("failure") } }, { number: 12, title: "a", outcome: { kind: "verdict", verdict: verdict("success") } }], "failure", [13]],
    ["a PR that could not be evaluated fails the group", [{ number: 12, title: null, outcome: { kind: "error", reason: "GitHub had an internal error (502)." } }], "failure", [12]],
    ["no PR at all is no pass", [], "failure", []],
  ])("%s", (_name, members, conclusion, failing) => {
    const result = combineMergeGroup(members);
    expect(result.conclusion).toBe(conclusion);
    expect(result.failing).toEqual(failing);
    expect(result.members.map((m) => m.number)).toEqual([...members.map((m) => m.number)].sort((a, b) => a - b));
  });

  test("a failing member carries what it lacks", () => {
    const result = combineMergeGroup([{ number: 12, title: "a", outcome: { kind: "verdict", verdict: verdict("failure") } }]);
    expect(result.members[0]!.missing.map((r) => r.name)).toEqual(["1 peer approval"]);
  });
});
