// Required checks (SPEC §9 verification): each named check run or commit status, with its state.
import { parseConfigText } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { evaluatePull, type Verdict } from "../../src/policy/evaluate.js";
import type { HeadCheck, PullSnapshot } from "../../src/policy/snapshot.js";
import { requiredCheckNames } from "../../src/policy/verification.js";
import { renderVerdict } from "../../src/render/check-output.js";
import { pullSnapshot, review } from "../helpers/pull-snapshot.js";

function config(yaml: string): Config {
  const result = parseConfigText(yaml, "t.yml");
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

const CONFIG = config(
  [
    "classes:",
    "  standard:",
    "    checks: [test]",
    "  normal:",
    "    checks: [test, CodeQL]",
    "rules:",
    "  - name: Backup before migration",
    "    when: { paths: ['**/migrations/**'] }",
    "    checks: [backup-job]",
  ].join("\n"),
);

const run = (name: string, status: string, conclusion: string | null, app = "github-actions"): HeadCheck => ({ name, kind: "check_run", status, conclusion, app });
const commitStatus = (name: string, state: "success" | "failure" | "error" | "pending"): HeadCheck => ({
  name,
  kind: "status",
  status: state === "pending" ? "pending" : "completed",
  conclusion: state === "pending" ? null : state,
  app: null,
});

/** A standard docs change that meets everything but its checks. */
function evaluate(checks: HeadCheck[] | undefined, overrides: Partial<PullSnapshot> = {}): Verdict {
  return evaluatePull(
    CONFIG,
    pullSnapshot({
      files: ["docs/a.md"],
      body: "## Description\nExplain how to rotate the signing keys.",
      permissions: { bob: "write" },
      reviews: [review("bob", "APPROVED", 1)],
      ...(checks ? { checks } : {}),
      ...overrides,
    }),
  );
}

const testCheck = (v: Verdict) => v.requirements.find((r) => r.name === "Check `test`")!;

describe("the state of a required check", () => {
  test.each<[string, HeadCheck[], boolean, string]>([
    ["success", [run("test", "completed", "success")], true, "success (github-actions)"],
    ["neutral", [run("test", "completed", "neutral")], true, "neutral (github-actions)"],
    ["skipped", [run("test", "completed", "skipped")], true, "skipped (github-actions)"],
    ["in progress", [run("test", "in_progress", null)], false, "pending: in progress (github-actions); the check re-evaluates when it completes"],
    ["queued", [run("test", "queued", null)], false, "pending: queued (github-actions); the check re-evaluates when it completes"],
    ["failure", [run("test", "completed", "failure")], false, "failure (github-actions); fix it and run it again"],
    ["cancelled", [run("test", "completed", "cancelled")], false, "cancelled (github-actions); fix it and run it again"],
    ["timed out", [run("test", "completed", "timed_out")], false, "timed out (github-actions); fix it and run it again"],
    ["action required", [run("test", "completed", "action_required")], false, "action required (github-actions); fix it and run it again"],
    ["a commit status: success", [commitStatus("test", "success")], true, "success (commit status)"],
    ["a commit status: pending", [commitStatus("test", "pending")], false, "pending (commit status); the check re-evaluates when it completes"],
    ["a commit status: error", [commitStatus("test", "error")], false, "error (commit status); fix it and run it again"],
    ["from another app, by name", [run("test", "completed", "success", "buildkite")], true, "success (buildkite)"],
    ["not reported", [run("lint", "completed", "success")], false, "has not reported on the head commit; it must run and pass"],
    ["reported under another case", [run("Test", "completed", "success")], false, "has not reported on the head commit (a check named `Test` did: names must match exactly); it must run and pass"],
    [
      "reported twice, once failing",
      [run("test", "completed", "success"), commitStatus("test", "failure")],
      false,
      "failure (commit status); fix it and run it again (2 reports with this name)",
    ],
    ["reported twice, one still running", [run("test", "completed", "success"), run("test", "in_progress", null, "circleci")], false, "pending: in progress (circleci); the check re-evaluates when it completes (2 reports with this name)"],
  ])("%s", (_name, checks, met, detail) => {
    const verdict = evaluate(checks);
    expect(testCheck(verdict)).toEqual({ kind: "check", name: "Check `test`", met, detail, source: "standard change" });
    expect(verdict.conclusion).toBe(met ? "success" : "failure");
  });

  test("checks not read at all (an offline snapshot) are not reported, so the check fails", () => {
    expect(testCheck(evaluate(undefined))).toMatchObject({ met: false, detail: "has not reported on the head commit; it must run and pass" });
  });

  test("when GitHub listed only part of the checks, the detail says so", () => {
    expect(testCheck(evaluate([], { checksIncomplete: true })).detail).toBe(
      "has not reported on the head commit; GitHub listed only part of the head commit's checks; it must run and pass",
    );
  });
});

describe("checks follow the class and the rules", () => {
  test("a normal change needs CodeQL (another app's check) as well; a migration also the backup job", () => {
    const checks = [run("test", "completed", "success"), run("CodeQL", "completed", "success", "github-advanced-security")];
    const verdict = evaluate(checks, { files: ["db/migrations/0042.sql"] });
    expect(verdict.requirements.filter((r) => r.kind === "check").map((r) => [r.name, r.met, r.detail, r.source])).toEqual([
      ["Check `test`", true, "success (github-actions)", "normal change"],
      ["Check `CodeQL`", true, "success (github-advanced-security)", "normal change"],
      ["Check `backup-job`", false, "has not reported on the head commit; it must run and pass", "Backup before migration"],
    ]);
    const summary = renderVerdict(verdict).summary;
    expect(summary).toContain("- ✅ **Check `CodeQL`**: success (github-advanced-security)");
    expect(summary).toContain("- ❌ **Check `backup-job`** _(Backup before migration)_: has not reported on the head commit; it must run and pass");
  });

  test("a check both the class and a rule require is listed once", () => {
    const cfg = config("classes:\n  standard:\n    checks: [test]\nrules:\n  - name: Docs\n    when: { paths: ['docs/**'] }\n    checks: [test]\n");
    const verdict = evaluatePull(cfg, pullSnapshot({ files: ["docs/a.md"], checks: [run("test", "completed", "success")] }));
    expect(verdict.requirements.filter((r) => r.kind === "check")).toHaveLength(1);
  });

  test("requiredCheckNames: every name some class or rule requires, once", () => {
    expect(requiredCheckNames(CONFIG).sort()).toEqual(["CodeQL", "backup-job", "test"]);
    expect(requiredCheckNames(config(""))).toEqual([]);
  });
});
