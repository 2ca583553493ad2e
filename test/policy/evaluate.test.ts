import { parseConfigText } from "../../src/config/load.js";
import { defaultConfig, type Config } from "../../src/config/schema.js";
import { evaluatePull, missingRequirements, type Verdict } from "../../src/policy/evaluate.js";
import type { PullSnapshot } from "../../src/policy/snapshot.js";
import { pullSnapshot, review } from "../helpers/pull-snapshot.js";

function config(yaml: string): Config {
  const result = parseConfigText(yaml, "t.yml");
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

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

const GROUPS = { "cto-ciso": ["ciso"], compliance: ["dpo"] };
const PERMISSIONS = { alice: "write", bob: "write", ciso: "admin", dpo: "write" } as const;

function evaluate(overrides: Partial<PullSnapshot>, cfg: Config = defaultConfig()): Verdict {
  return evaluatePull(cfg, pullSnapshot({ groups: GROUPS, permissions: { ...PERMISSIONS }, ...overrides }));
}

/** The checklist as [name, met] pairs: what the summary shows. */
function checklist(verdict: Verdict): [string, boolean][] {
  return verdict.requirements.map((r) => [r.name, r.met]);
}

describe("requirements of each class", () => {
  test("normal change, complete: all met → success", () => {
    const verdict = evaluate({ body: COMPLETE_BODY, reviews: [review("bob", "APPROVED", 1), review("ciso", "APPROVED", 2)] });
    expect(verdict.changeClass).toBe("normal");
    expect(checklist(verdict)).toEqual([
      ["Description", true],
      ["Impact analysis", true],
      ["Rollback plan", true],
      ["Owner", true],
      ["Target date", true],
      ["1 peer approval", true],
      ["1 approval from cto-ciso", true],
    ]);
    expect(verdict.conclusion).toBe("success");
    expect(verdict.approvers).toEqual(["bob", "ciso"]);
    expect(verdict.rules).toEqual([]);
    expect(missingRequirements(verdict)).toEqual([]);
  });

  test("normal change, nothing done: every requirement missing with how to fix it", () => {
    const verdict = evaluate({ body: "" });
    expect(verdict.conclusion).toBe("failure");
    expect(verdict.requirements.map((r) => [r.name, r.met, r.detail])).toEqual([
      ["Description", false, "add a `## Description` heading (or `Summary`, `Purpose`) to the description with at least 20 characters under it"],
      ["Impact analysis", false, "add a `## Impact analysis` heading (or `Impact`) to the description with at least 20 characters under it"],
      ["Rollback plan", false, "add a `## Rollback plan` heading (or `Rollback`) to the description with at least 20 characters under it"],
      ["Owner", false, "add a line `Owner: @octocat` to the description (or assign the pull request)"],
      ["Target date", false, "add a line `Target date: 2026-01-31` to the description"],
      ["1 peer approval", false, "has 0 of 1; anyone with write access other than the author may approve"],
      ["1 approval from cto-ciso", false, "has 0 of 1; the group `cto-ciso` has no members: an admin must set `groups.cto-ciso` in .github/change-policy.yml"],
    ]);
  });

  test("one requirement missing is enough to fail", () => {
    const verdict = evaluate({ body: COMPLETE_BODY, reviews: [review("bob", "APPROVED", 1)] });
    expect(missingRequirements(verdict).map((r) => r.name)).toEqual(["1 approval from cto-ciso"]);
    expect(verdict.conclusion).toBe("failure");
  });

  test("standard change: description and one peer approval", () => {
    const verdict = evaluate({ files: ["docs/setup.md"], body: "## Summary\nFix the setup steps for macOS.", reviews: [review("bob", "APPROVED", 1)] });
    expect(verdict.changeClass).toBe("standard");
    expect(checklist(verdict)).toEqual([
      ["Description", true],
      ["1 peer approval", true],
    ]);
    expect(verdict.conclusion).toBe("success");
  });

  test("too short, placeholder and invalid answers say what is wrong", () => {
    const body = "Owner: @bad_login!\nTarget date: 2026-02-30\n## Description\nFix.\n## Impact\nN/A";
    const details = evaluate({ body }).requirements.slice(0, 5).map((r) => r.detail);
    expect(details).toEqual([
      "the `Description` section has 4 characters; it needs at least 20",
      "the `Impact analysis` section only holds a placeholder (such as N/A or TBD); write at least 20 characters",
      "add a `## Rollback plan` heading (or `Rollback`) to the description with at least 20 characters under it",
      "`Owner: @bad_login!` is not valid; write it as `Owner: @octocat`",
      "`Target date: 2026-02-30` is not valid; write it as `Target date: 2026-01-31`",
    ]);
  });

  test("owner falls back to the assignee when the description names none", () => {
    const body = COMPLETE_BODY.replace("Owner: @alice\n", "");
    const owner = evaluate({ body, assignees: ["carol"] }).requirements.find((r) => r.name === "Owner")!;
    expect(owner).toEqual({ kind: "field", name: "Owner", met: true, detail: "@carol (the pull request's assignee)", source: "normal change" });
  });

  test("the template's `Owner: @` also falls back to the assignee", () => {
    const owner = evaluate({ body: "Owner: @", assignees: ["carol"] }).requirements.find((r) => r.name === "Owner")!;
    expect(owner.met).toBe(true);
  });

  test("an Owner line wins over the assignee; an invalid one is not replaced by the assignee", () => {
    expect(evaluate({ body: "Owner: @alice", assignees: ["carol"] }).requirements.find((r) => r.name === "Owner")!.detail).toBe("@alice");
    expect(evaluate({ body: "Owner: the platform team", assignees: ["carol"] }).requirements.find((r) => r.name === "Owner")).toMatchObject({
      met: false,
      detail: "`Owner: the platform team` is not valid; write it as `Owner: @octocat`",
    });
  });
});

describe("emergency changes", () => {
  test("short requirements, and a note about the post-implementation review", () => {
    const verdict = evaluate({
      labels: ["emergency"],
      labelEvents: [{ label: "emergency", actor: "oncall", createdAt: "2026-01-05T03:00:00Z" }],
      body: "## Description\nRoll back the broken cache config now.",
      reviews: [review("bob", "APPROVED", 1)],
    });
    expect(verdict.changeClass).toBe("emergency");
    expect(checklist(verdict)).toEqual([
      ["Description", true],
      ["1 peer approval", true],
    ]);
    expect(verdict.conclusion).toBe("success");
    expect(verdict.notes).toEqual([
      "Emergency change: it may merge once the requirements below are met. A post-implementation review by `cto-ciso` follows within 48 hours of the merge, documenting `impact`, `rollback`.",
    ]);
  });

  test("an ignored emergency label is explained, naming who added it; the normal requirements apply", () => {
    const verdict = evaluate(
      { labels: ["emergency"], labelEvents: [{ label: "emergency", actor: "mallory", createdAt: "2026-01-05T03:00:00Z" }], groups: { ...GROUPS, "emergency-declarers": ["oncall"] } },
      config("groups:\n  emergency-declarers: { users: [oncall] }\n  cto-ciso: { users: [ciso] }\n"),
    );
    expect(verdict.changeClass).toBe("normal");
    expect(verdict.notes).toEqual([
      "The label `emergency` was ignored: it was added by @mallory, who is not in the `emergency-declarers` group.",
    ]);
  });
});

describe("rules", () => {
  const compliance: [string, boolean] = ["1 approval from compliance", false];

  test.each<[string, Partial<PullSnapshot>]>([
    ["label privacy", { labels: ["privacy"] }],
    ["label Regulatory (case-insensitive)", { labels: ["Regulatory"] }],
    ["ticked box", { body: "- [x] Privacy or regulatory impact" }],
  ])("the default compliance rule applies on %s", (_name, pr) => {
    const verdict = evaluate(pr);
    expect(verdict.rules).toEqual(["Compliance review"]);
    expect(checklist(verdict)).toContainEqual(compliance);
    expect(verdict.requirements.at(-1)!.source).toBe("Compliance review");
  });

  test("an unticked box does not trigger it", () => {
    const verdict = evaluate({ body: "- [ ] Privacy or regulatory impact" });
    expect(verdict.rules).toEqual([]);
    expect(checklist(verdict)).not.toContainEqual(compliance);
  });

  test("it is met by a compliance member's approval", () => {
    const verdict = evaluate({ labels: ["privacy"], reviews: [review("dpo", "APPROVED", 1)] });
    expect(verdict.requirements.find((r) => r.name === "1 approval from compliance")).toMatchObject({ met: true, detail: "approved by @dpo" });
  });

  const backup = config(
    [
      "rules:",
      "  - name: Backup before migration",
      "    when: { paths: ['**/migrations/**'] }",
      "    checked: [Database backup taken before deployment]",
      "    require: [testing]",
    ].join("\n"),
  );

  test("a path rule adds required boxes and sections", () => {
    const verdict = evaluate({ files: ["db/migrations/0042.sql"], body: "## Test plan\nRan it on staging." }, backup);
    expect(verdict.rules).toEqual(["Backup before migration"]);
    expect(verdict.requirements.slice(-2)).toEqual([
      { kind: "section", name: "Testing", met: true, detail: "present (18 characters)", source: "Backup before migration" },
      {
        kind: "checkbox",
        name: "☑ Database backup taken before deployment",
        met: false,
        detail: "tick `- [x] Database backup taken before deployment` in the description once it is true",
        source: "Backup before migration",
      },
    ]);
  });

  test("ticking the box meets it; a rule does not repeat what the class already requires", () => {
    const cfg = config("rules:\n  - name: R\n    when: { labels: [db] }\n    require: [description, rollback]\n    checked: [Backup taken]\n");
    const verdict = evaluate({ labels: ["db"], body: `${COMPLETE_BODY}\n- [x] Backup taken` }, cfg);
    expect(verdict.requirements.filter((r) => r.name === "Rollback plan")).toHaveLength(1);
    expect(verdict.requirements.find((r) => r.kind === "checkbox")).toMatchObject({ met: true, detail: "ticked" });
  });

  test("a rule whose conditions do not hold adds nothing", () => {
    const verdict = evaluate({ files: ["src/a.ts"] }, backup);
    expect(verdict.rules).toEqual([]);
    expect(verdict.requirements.map((r) => r.source)).toEqual(Array(7).fill("normal change"));
  });

  test("rules can require approvals from another group with a count", () => {
    const cfg = config("groups:\n  sre: { users: [bob, alice] }\nrules:\n  - name: Two SREs\n    when: { paths: ['infra/**'] }\n    approvals: [{ count: 2, from: sre }]\n");
    const snapshot = { files: ["infra/main.tf"], groups: { ...GROUPS, sre: ["bob", "alice"] } };
    expect(evaluate({ ...snapshot, reviews: [review("bob", "APPROVED", 1)] }, cfg).requirements.at(-1)).toMatchObject({
      name: "2 approvals from sre",
      met: false,
      detail: "has 1 of 2 (@bob); ask @bob, @alice to approve",
    });
    expect(evaluate({ ...snapshot, reviews: [review("bob", "APPROVED", 1), review("alice", "APPROVED", 2)] }, cfg).requirements.at(-1)!.met).toBe(true);
  });
});

describe("approval details and notes", () => {
  test("a stale approval is explained in the notes", () => {
    const verdict = evaluate({ body: COMPLETE_BODY, reviews: [review("bob", "APPROVED", 1, { commitId: "c".repeat(40) })] });
    expect(verdict.notes).toEqual(["@bob's approval does not count: given on an older commit (ccccccc); approvals must be on the head commit."]);
    expect(verdict.approvers).toEqual([]);
  });

  test("the author's and an outsider's approvals are explained too", () => {
    const verdict = evaluate({ reviews: [review("author", "APPROVED", 1), review("stranger", "APPROVED", 2)], permissions: { ...PERMISSIONS, author: "admin" } });
    expect(verdict.notes).toEqual([
      "@author's approval does not count: is the author of the pull request.",
      "@stranger's approval does not count: has no write access to the repository (permission: none).",
    ]);
  });

  test("a CTO/CISO changes request blocks, and says how it is lifted", () => {
    const cfg = config("groups:\n  cto-ciso: { users: [ciso] }\n");
    const verdict = evaluate({ body: COMPLETE_BODY, reviews: [review("bob", "APPROVED", 1), review("ciso", "CHANGES_REQUESTED", 2)] }, cfg);
    expect(verdict.requirements.find((r) => r.name === "1 approval from cto-ciso")).toMatchObject({
      met: false,
      detail: "changes requested by @ciso; it blocks until that review is dismissed or followed by an approval; has 0 of 1; ask @ciso to approve",
    });
    expect(verdict.conclusion).toBe("failure");
  });

  test("when the only group member is the author, the detail says nobody else can approve", () => {
    const cfg = config("groups:\n  cto-ciso: { users: [author] }\n");
    const verdict = evaluate({ groups: { "cto-ciso": ["author"] } }, cfg);
    expect(verdict.requirements.find((r) => r.name === "1 approval from cto-ciso")!.detail).toBe(
      "has 0 of 1; no member of `cto-ciso` other than the author can approve (@author)",
    );
  });

  test("a truncated description is noted", () => {
    expect(evaluate({ body: "x".repeat(70_000) }).notes).toContain(
      "The description is longer than GitHub allows; only its first 65,536 characters were read.",
    );
  });
});
