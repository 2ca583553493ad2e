import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runValidate } from "../../src/cli/validate.js";
import { memoryIO } from "./memory-io.js";

const dir = mkdtempSync(join(tmpdir(), "change-policy-validate-"));
function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}
const run = async (name: string) => {
  const io = memoryIO({ cwd: dir });
  const code = await runValidate({ file: name }, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
};

describe("change-policy validate", () => {
  it("reports malformed YAML with its line and exits 1", async () => {
    const r = await run(file("bad-yaml.yml", "groups:\n  cto-ciso: { users: [dana\n"));
    expect(r.code).toBe(1);
    expect(r.stdout).toEqual([
      "bad-yaml.yml:2: (file): invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
      "bad-yaml.yml:2: (file): invalid YAML: Flow map in block collection must be sufficiently indented and end with a }",
    ]);
    expect(r.stderr).toEqual(["bad-yaml.yml: invalid (2 problems); the app would fail the check of every pull request until it is fixed."]);
  });

  it("names an unknown key with its key path and the line of the key", async () => {
    const r = await run(file("unknown.yml", "# policy\nclasses:\n  normal:\n    requires: [description]\n"));
    expect(r.code).toBe(1);
    expect(r.stdout).toEqual(['unknown.yml:4: classes.normal.requires: unknown key "requires" (check the spelling)']);
  });

  it("lists every wrongly typed value, each with its line", async () => {
    const r = await run(
      file("wrong-type.yml", "classes:\n  normal:\n    approvals:\n      - count: two\n        from: cto-ciso\napprovals:\n  stale: sometimes\n"),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toEqual([
      "wrong-type.yml:4: classes.normal.approvals.0.count: Invalid input: expected number, received string",
      'wrong-type.yml:7: approvals.stale: Invalid option: expected one of "dismiss"|"keep"',
    ]);
  });

  it("catches a misspelt group name, which would otherwise disable a control", async () => {
    const r = await run(file("bad-ref.yml", "groups:\n  cto-ciso:\n    users: [dana-cto]\nclasses:\n  normal:\n    approvals: [{ count: 1, from: cto-cisco }]\n"));
    expect(r.code).toBe(1);
    expect(r.stdout).toEqual([
      'bad-ref.yml:6: classes.normal.approvals.0.from: unknown group "cto-cisco" (known: cto-ciso, compliance, emergency-declarers)',
    ]);
  });

  it("accepts an empty file (the defaults) and warns about groups nobody is in", async () => {
    const r = await run(file("empty.yml", ""));
    expect(r.code).toBe(0);
    expect(r.stdout).toEqual([
      "empty.yml: valid",
      "  standard: requires description; 1 peer approval",
      "  normal: requires description, impact, rollback, owner, target_date; 1 peer approval; 1 approval from cto-ciso",
      "  emergency: requires description; 1 peer approval; post-implementation review by cto-ciso within 48 h",
      '  rule "Compliance review": adds 1 approval from compliance',
    ]);
    expect(r.stderr).toEqual([
      "warning: groups.cto-ciso has no users or teams, so normal changes, emergency post-implementation reviews can never get its approval",
      'warning: groups.compliance has no users or teams, so rule "Compliance review" can never get its approval',
    ]);
  });

  it("accepts the shipped example policy without warnings", async () => {
    const io = memoryIO();
    expect(await runValidate({ file: "examples/change-policy.yml" }, io)).toBe(0);
    expect(io.stdout).toEqual([
      "examples/change-policy.yml: valid",
      "  standard: requires description; 1 peer approval",
      '  normal: requires description, impact, rollback, testing, owner, target_date; check "test"; check "CodeQL"; 1 peer approval; 1 approval from cto-ciso; a linked change request; post-implementation review by cto-ciso within 120 h',
      "  emergency: requires description; 1 peer approval; post-implementation review by cto-ciso within 48 h",
      '  rule "Compliance review": adds 1 approval from compliance',
      '  rule "Backup before migration": adds ticked "Database backup taken before deployment"; check "backup-job"',
      '  freeze "Year-end freeze": 2026-12-20T00:00:00Z until 2027-01-04T00:00:00Z, stops standard, normal changes and deployments to production',
      "  register: issues of acme/change-requests labelled change-request; required for normal",
    ]);
    expect(io.stderr).toEqual([]);
  });

  it("describes freezes in UTC, the register, and approvals that need not be independent", async () => {
    const r = await run(
      file(
        "depth.yml",
        [
          "groups:",
          "  cto-ciso: { users: [dana-cto] }",
          "  compliance: { users: [carla] }",
          "approvals: { independent: false }",
          "classes:",
          "  standard:",
          "    post_review: { within_hours: 24, from: compliance }",
          "freezes:",
          "  - { name: Release, from: '2026-06-01T08:00:00+02:00', until: '2026-06-01T18:00:00+02:00', classes: [normal] }",
          "register: { required: [normal, emergency] }",
        ].join("\n"),
      ),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toEqual([
      "depth.yml: valid",
      "  standard: requires description; 1 peer approval; post-implementation review by compliance within 24 h",
      "  normal: requires description, impact, rollback, owner, target_date; 1 peer approval; 1 approval from cto-ciso; a linked change request",
      "  emergency: requires description; 1 peer approval; a linked change request; post-implementation review by cto-ciso within 48 h",
      '  rule "Compliance review": adds 1 approval from compliance',
      '  freeze "Release": 2026-06-01T06:00:00Z until 2026-06-01T16:00:00Z, stops normal changes and deployments to every guarded environment',
      "  register: issues of the pull request's repository labelled change-request; required for normal, emergency",
      "  approvals: not independent: people who wrote commits of a pull request may approve it (approvals.independent: false)",
    ]);
    expect(r.stderr).toEqual([]);
  });

  it("warns about an empty group that reviews another class's changes", async () => {
    const r = await run(file("empty-reviewers.yml", "groups:\n  cto-ciso: { users: [dana-cto] }\n  compliance: { users: [carla] }\n  auditors: {}\nclasses:\n  normal:\n    post_review: { from: auditors }\n"));
    expect(r.stderr).toEqual(["warning: groups.auditors has no users or teams, so normal post-implementation reviews can never get its approval"]);
  });

  it("says that an _extends target is not checked offline", async () => {
    const r = await run(file("extends.yml", "_extends: .github\ngroups:\n  cto-ciso: { users: [dana-cto] }\n  compliance: { users: [carla] }\n"));
    expect(r.code).toBe(0);
    expect(r.stderr).toEqual([
      'note: extends.yml extends ".github", which is not fetched offline; only this file was checked, on top of the defaults.',
    ]);
  });

  it("exits 2 with a clear message when the file does not exist", async () => {
    const r = await run("missing.yml");
    expect(r.code).toBe(2);
    expect(r.stdout).toEqual([]);
    expect(r.stderr).toEqual(["error: missing.yml: no such file", "Give the path of a change-policy file (default: .github/change-policy.yml)."]);
  });
});
