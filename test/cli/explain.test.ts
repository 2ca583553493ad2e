import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runExplain, type ExplainArgs } from "../../src/cli/explain.js";
import { memoryIO } from "./memory-io.js";

const CONFIG = "examples/change-policy.yml";
/** The examples' day: the example policy's year-end freeze must not decide these tests. */
const AT = "2026-03-02T12:00:00Z";
const run = async (args: ExplainArgs, cwd?: string) => {
  const io = memoryIO(cwd ? { cwd } : {});
  const code = await runExplain({ at: AT, ...args }, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
};
const tmp = mkdtempSync(join(tmpdir(), "change-policy-explain-"));
function snapshotWith(change: (data: Record<string, unknown>) => void, from = "examples/normal-change-missing.json"): string {
  const data = JSON.parse(readFileSync(from, "utf8")) as Record<string, unknown>;
  change(data);
  const path = join(tmp, `snapshot-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(data));
  return path;
}

describe("change-policy explain on the shipped examples", () => {
  it("normal change missing its rollback plan and the CTO/CISO approval fails, with how to fix each", async () => {
    const r = await run({ event: "examples/normal-change-missing.json", config: CONFIG });
    expect(r.code).toBe(0);
    expect(r.stderr).toEqual([]);
    expect(r.stdout.slice(0, 4)).toEqual([
      "Config: examples/change-policy.yml",
      'Pull request: acme/payments-api#42 "Use idempotent charges with the new provider"',
      "Conclusion: failure",
      "Title: Normal change: 4 of 11 requirements missing",
    ]);
    expect(r.stdout).toContain(
      "**Class: normal change** — because of changed paths matching `classification.normal.paths`: `src/payments/charge.ts`, `package.json`, `package-lock.json`.",
    );
    expect(r.stdout).toContain(
      "- ❌ **Rollback plan**: add a `## Rollback plan` heading (or `Rollback`) to the description with at least 20 characters under it",
    );
    expect(r.stdout).toContain("- ❌ **1 approval from cto-ciso**: has 0 of 1; ask @dana-cto, team @acme/security-leads to approve");
    expect(r.stdout).toContain("- ✅ **1 peer approval**: approved by @bob-reviewer");
    expect(r.stdout).toContain("- ✅ **Owner**: @alice-dev");
    expect(r.stdout).toContain("- ❌ **Check `CodeQL`**: pending: in progress (github-advanced-security); the check re-evaluates when it completes");
    expect(r.stdout).toContain(
      "- ❌ **Change request**: link the change request: `Change request: acme/change-requests#N` in the description (an issue of acme/change-requests labelled `change-request`)",
    );
  });

  it("with --exit-code a failing check exits 1", async () => {
    const r = await run({ event: "examples/normal-change-missing.json", config: CONFIG, exitCode: true });
    expect(r.code).toBe(1);
  });

  it("without --config applies the defaults and says so", async () => {
    const r = await run({ event: "examples/normal-change-missing.json" });
    expect(r.stdout[0]).toBe("Config: built-in defaults (no --config given)");
    expect(r.stdout[3]).toBe("Title: Normal change: 2 of 7 requirements missing");
    // The defaults name nobody in cto-ciso; the snapshot's team members still count.
    expect(r.stdout).toContain("- ❌ **1 approval from cto-ciso**: has 0 of 1; the group `cto-ciso` has no members: an admin must set `groups.cto-ciso` in .github/change-policy.yml");
  });

  it("approved normal change with a migration passes; the stale approval was replaced by one on the head commit", async () => {
    const r = await run({ event: "examples/normal-change-approved.json", config: CONFIG, exitCode: true });
    expect(r.code).toBe(0);
    expect(r.stdout.slice(2, 4)).toEqual(["Conclusion: success", "Title: Normal change: all requirements met"]);
    expect(r.stdout).toContain("Rules that apply: **Backup before migration**.");
    expect(r.stdout).toContain("- ✅ **1 approval from cto-ciso**: approved by @dana-cto");
    expect(r.stdout).toContain("- ✅ **☑ Database backup taken before deployment** _(Backup before migration)_: ticked in the description");
    expect(r.stdout).toContain("- ✅ **Rollback plan**: present in the description (122 characters)");
    expect(r.stdout).toContain("- ✅ **Change request**: [acme/change-requests#17](https://github.com/acme/change-requests/issues/17) in the Change Log Register");
    expect(r.stdout).toContain("- ✅ **Check `backup-job`** _(Backup before migration)_: success (github-actions)");
  });

  it("--at inside the example's year-end freeze: the same approved change fails, and the title says why", async () => {
    const r = await run({ event: "examples/normal-change-approved.json", config: CONFIG, at: "2026-12-24T09:00:00+01:00", exitCode: true });
    expect(r.code).toBe(1);
    expect(r.stdout.slice(2, 4)).toEqual(["Conclusion: failure", 'Title: Normal change: change freeze "Year-end freeze" until 2027-01-04T00:00:00Z']);
  });

  it("a commit by the CTO makes the CTO's approval not count", async () => {
    const path = snapshotWith((d) => {
      (d.commits as { committer: { login: string } }[])[1]!.committer = { login: "dana-cto" };
    }, "examples/normal-change-approved.json");
    const r = await run({ event: path, config: CONFIG });
    expect(r.stdout[2]).toBe("Conclusion: failure");
    expect(r.stdout).toContain(
      "- @dana-cto's approval does not count: @dana-cto committed 9e1d0c4 to this pull request; an approval must come from someone who neither authored nor committed the change.",
    );
  });

  it("emergency change declared by an on-call engineer passes and announces the post-implementation review", async () => {
    const r = await run({ event: "examples/emergency-change.json", config: CONFIG });
    expect(r.stdout.slice(2, 4)).toEqual(["Conclusion: success", "Title: Emergency change: all requirements met"]);
    expect(r.stdout).toContain("**Class: emergency change** — because of label `emergency` (added by @sam-oncall).");
    expect(r.stdout).toContain(
      "- Emergency change: it may merge once the requirements below are met. A post-implementation review by `cto-ciso` follows within 48 hours of the merge, documenting `impact`, `rollback`.",
    );
  });

  it("an emergency label from someone outside emergency-declarers is ignored", async () => {
    const path = snapshotWith((d) => {
      d.label_events = [{ label: "emergency", actor: "alice-dev", created_at: "2026-03-02T09:31:00Z" }];
    }, "examples/emergency-change.json");
    const r = await run({ event: path, config: CONFIG });
    expect(r.stdout[3]).toBe("Title: Normal change: 9 of 11 requirements missing");
    expect(r.stdout).toContain(
      "- The label `emergency` was ignored: it was added by @alice-dev, who is not in the `emergency-declarers` group.",
    );
  });

  it("the labeled payload's sender stands for the label event when the file lists none", async () => {
    const path = snapshotWith((d) => {
      delete d.label_events;
    }, "examples/emergency-change.json");
    const r = await run({ event: path, config: CONFIG });
    expect(r.stdout).toContain("**Class: emergency change** — because of label `emergency` (added by @sam-oncall).");
  });

  it("standard documentation change passes", async () => {
    const r = await run({ event: "examples/standard-docs-change.json", config: CONFIG });
    expect(r.stdout.slice(2, 4)).toEqual(["Conclusion: success", "Title: Standard change: all requirements met"]);
    expect(r.stdout).toContain(
      "**Class: standard change** — because of every changed file matches `classification.standard.paths` (2 files).",
    );
  });
});

describe("change-policy explain with a partial snapshot", () => {
  it("a docs change whose file list is shorter than changed_files is not standard", async () => {
    const path = snapshotWith((d) => {
      (d.pull_request as Record<string, unknown>).changed_files = 5;
    }, "examples/standard-docs-change.json");
    const r = await run({ event: path, config: CONFIG });
    expect(r.stdout[3]).toBe("Title: Normal change: 9 of 11 requirements missing");
    expect(r.stdout).toContain(
      "**Class: normal change** — because of GitHub listed only 2 of the changed files, so the change is treated as at least normal.",
    );
  });
});

describe("change-policy explain on bad input", () => {
  it("exits 2 for a missing snapshot file", async () => {
    const r = await run({ event: "nope.json" });
    expect(r).toEqual({ code: 2, stdout: [], stderr: ["error: nope.json: no such file"] });
  });

  it("exits 2 for a file that is not JSON", async () => {
    writeFileSync(join(tmp, "broken.json"), "{ not json");
    const r = await run({ event: "broken.json" }, tmp);
    expect(r.code).toBe(2);
    expect(r.stderr[0]).toMatch(/^error: broken\.json is not valid JSON: /);
  });

  it("lists every shape problem with its key path", async () => {
    const path = snapshotWith((d) => {
      const pr = d.pull_request as Record<string, unknown>;
      delete pr.head;
      d.reviews = [{ user: { login: "bob" }, state: "LOOKS_GOOD" }];
      d.permissions = { bob: "superuser" };
    });
    const r = await run({ event: path });
    expect(r.code).toBe(2);
    expect(r.stdout).toEqual([]);
    expect(r.stderr).toEqual([
      `${path}: pull_request.head: is missing (required: object)`,
      `${path}: reviews.0.state: must be APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING`,
      `${path}: permissions.bob: Invalid option: expected one of "admin"|"maintain"|"write"|"triage"|"read"|"none"`,
      `error: ${path} is not a pull request snapshot (see \`change-policy explain --help\` for the format)`,
    ]);
  });

  it("exits 2 for an --at without a zone", async () => {
    const r = await run({ event: "examples/standard-docs-change.json", at: "2026-12-24T09:00" });
    expect(r).toEqual({ code: 2, stdout: [], stderr: ["error: --at 2026-12-24T09:00 is not an ISO 8601 time with a zone, such as 2026-12-24T09:00:00Z"] });
  });

  it("names every malformed commit, check and register issue", async () => {
    const path = snapshotWith((d) => {
      d.commits = [{ author: { login: "alice-dev" } }];
      d.checks = [{ name: "test" }];
      d.register_issue = { number: 17, html_url: "x", repository_url: "acme/change-requests", state: "open" };
    });
    const r = await run({ event: path });
    expect(r.code).toBe(2);
    expect(r.stderr.slice(0, 3)).toEqual([
      `${path}: commits.0.sha: is missing (required: string)`,
      `${path}: checks.0: must be a REST check run ({name, status, conclusion, app}) or commit status ({context, state})`,
      `${path}: register_issue.repository_url: must be the issue's REST repository_url, e.g. https://api.github.com/repos/acme/changes`,
    ]);
  });

  it("an invalid --config shows the configuration-error check, which fails", async () => {
    writeFileSync(join(tmp, "bad.yml"), "classes:\n  normal:\n    requires: [x]\n");
    const r = await run({ event: join(process.cwd(), "examples/standard-docs-change.json"), config: "bad.yml", exitCode: true }, tmp);
    expect(r.code).toBe(1);
    expect(r.stdout.slice(2, 4)).toEqual(["Conclusion: failure", "Title: Configuration error: 1 problem in the policy file"]);
    expect(r.stdout).toContain('- `bad.yml:3: classes.normal.requires: unknown key "requires" (check the spelling)`');
  });

  it("warns about what the snapshot leaves unknown: team members and reviewer permissions", async () => {
    const path = snapshotWith((d) => {
      d.groups = {};
      d.permissions = {};
      delete d.checks;
      delete d.commits;
      (d.pull_request as { body: string }).body += "\nChange request: acme/change-requests#3";
    });
    const r = await run({ event: path, config: CONFIG });
    expect(r.stderr).toEqual([
      'warning: groups.cto-ciso lists teams (acme/security-leads) but the snapshot has no "groups": {"cto-ciso": [...]}; only its users count here',
      'warning: groups.compliance lists teams (acme/compliance) but the snapshot has no "groups": {"compliance": [...]}; only its users count here',
      'warning: groups.emergency-declarers lists teams (acme/sre-oncall) but the snapshot has no "groups": {"emergency-declarers": [...]}; only its users count here',
      'warning: the snapshot has no "checks"; the required checks (test, CodeQL, backup-job) count as not reported',
      'warning: the description links a register issue but the snapshot has no "register_issue"; the link counts as not verified',
      'warning: the snapshot has no "commits"; only the author is excluded from approving (approvals.independent)',
      'warning: the snapshot has no "permissions" entry for reviewer @bob-reviewer; treated as no write access',
    ]);
    expect(r.stdout).toContain("- @bob-reviewer's approval does not count: has no write access to the repository (permission: none).");
  });
});
