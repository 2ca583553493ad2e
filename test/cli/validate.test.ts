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
      "  normal: requires description, impact, rollback, testing, owner, target_date; 1 peer approval; 1 approval from cto-ciso",
      "  emergency: requires description; 1 peer approval; post-implementation review by cto-ciso within 48 h",
      '  rule "Compliance review": adds 1 approval from compliance',
      '  rule "Backup before migration": adds ticked "Database backup taken before deployment"',
    ]);
    expect(io.stderr).toEqual([]);
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
