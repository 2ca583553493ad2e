import { parseConfigText } from "../../src/config/load.js";
import { defaultConfig, type Config } from "../../src/config/schema.js";
import { classifyChange } from "../../src/policy/classify.js";
import type { LabelEvent } from "../../src/policy/snapshot.js";
import { pullSnapshot } from "../helpers/pull-snapshot.js";

function config(yaml: string): Config {
  const result = parseConfigText(yaml, "test.yml");
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

const added = (label: string, actor: string | null): LabelEvent => ({ label, actor, createdAt: "2026-01-05T10:00:00Z" });

describe("class order (SPEC §2) with the default config", () => {
  test.each<[string, { labels?: string[]; files: string[] }, string, string[]]>([
    ["emergency label", { labels: ["emergency"], files: ["src/a.ts"] }, "emergency", ["label `emergency`"]],
    ["emergency label beats a normal path and a standard label", { labels: ["change:standard", "change:emergency"], files: ["package.json"] }, "emergency", ["label `change:emergency`"]],
    ["normal label", { labels: ["change:normal"], files: ["docs/a.md"] }, "normal", ["label `change:normal`"]],
    [
      "normal path",
      { files: ["services/api/package.json", "README.md"] },
      "normal",
      ["changed paths matching `classification.normal.paths`: `services/api/package.json`"],
    ],
    [
      "a standard label cannot lower a normal path",
      { labels: ["change:standard"], files: ["db/migrations/001_init.sql"] },
      "normal",
      ["changed paths matching `classification.normal.paths`: `db/migrations/001_init.sql`"],
    ],
    ["workflow change", { files: [".github/workflows/ci.yml"] }, "normal", ["changed paths matching `classification.normal.paths`: `.github/workflows/ci.yml`"]],
    ["dotfile path .env.production", { files: ["deploy/.env.production"] }, "normal", ["changed paths matching `classification.normal.paths`: `deploy/.env.production`"]],
    ["standard label", { labels: ["change:standard"], files: ["src/a.ts"] }, "standard", ["label `change:standard`"]],
    ["every file standard", { files: ["docs/guide/setup.txt", "src/README.md"] }, "standard", ["every changed file matches `classification.standard.paths` (2 files)"]],
    [
      "one file not standard → default",
      { files: ["docs/a.md", "src/a.ts"] },
      "normal",
      ["no label or path decided, so the default class applies (`classification.default: normal`)"],
    ],
    ["no files → default", { files: [] }, "normal", ["no label or path decided, so the default class applies (`classification.default: normal`)"]],
    ["labels are case-insensitive", { labels: ["Change:Standard"], files: ["src/a.ts"] }, "standard", ["label `change:standard`"]],
    ["EMERGENCY in capitals", { labels: ["EMERGENCY"], files: ["src/a.ts"] }, "emergency", ["label `emergency`"]],
    ["an unrelated label does nothing", { labels: ["bug"], files: ["docs/x.md"] }, "standard", ["every changed file matches `classification.standard.paths` (1 file)"]],
    [
      "a renamed file counts with its old path (docs → src is not standard)",
      { files: ["src/guide.md", "src/guide.ts"] },
      "normal",
      ["no label or path decided, so the default class applies (`classification.default: normal`)"],
    ],
    [
      "a renamed file moving out of migrations is still normal",
      { files: ["db/archive/001.txt", "db/migrations/001.txt"] },
      "normal",
      ["changed paths matching `classification.normal.paths`: `db/migrations/001.txt`"],
    ],
  ])("%s", (_name, pr, changeClass, reasons) => {
    const result = classifyChange(defaultConfig(), pullSnapshot({ labels: pr.labels ?? [], files: pr.files }));
    expect(result.changeClass).toBe(changeClass);
    expect(result.reasons).toEqual(reasons);
  });

  test("many normal paths are listed up to five, then counted", () => {
    const files = Array.from({ length: 8 }, (_, i) => `svc${i}/package.json`);
    expect(classifyChange(defaultConfig(), pullSnapshot({ files })).reasons).toEqual([
      "changed paths matching `classification.normal.paths`: `svc0/package.json`, `svc1/package.json`, `svc2/package.json`, `svc3/package.json`, `svc4/package.json` and 3 more",
    ]);
  });

  test("classification.default decides when nothing else does", () => {
    const result = classifyChange(config("classification:\n  default: standard\n"), pullSnapshot({ files: ["src/a.ts"] }));
    expect(result.changeClass).toBe("standard");
    expect(result.reasons).toEqual(["no label or path decided, so the default class applies (`classification.default: standard`)"]);
  });
});

describe("the policy file itself", () => {
  test.each([
    ["alone", [".github/change-policy.yml"], []],
    ["with a standard label", [".github/change-policy.yml"], ["change:standard"]],
    ["even when configured as standard", [".github/change-policy.yml"], []],
  ])("a PR changing .github/change-policy.yml is at least normal (%s)", (_name, files, labels) => {
    const cfg = config("classification:\n  default: standard\n  standard:\n    paths: ['.github/**']\n");
    const result = classifyChange(cfg, pullSnapshot({ files, labels }));
    expect(result.changeClass).toBe("normal");
    expect(result.reasons).toEqual(["changes the policy file `.github/change-policy.yml` (always at least normal)"]);
  });

  test("renaming the policy file away also counts (its old path is in files)", () => {
    const result = classifyChange(defaultConfig(), pullSnapshot({ files: ["docs/old-policy.yml", ".github/change-policy.yml"] }));
    expect(result.changeClass).toBe("normal");
  });

  test("an emergency label still makes it an emergency", () => {
    const result = classifyChange(defaultConfig(), pullSnapshot({ files: [".github/change-policy.yml"], labels: ["emergency"] }));
    expect(result.changeClass).toBe("emergency");
  });
});

describe("emergency-declarers", () => {
  const declarers = "groups:\n  emergency-declarers:\n    users: [oncall]\n    teams: [acme/sre]\n";

  test("empty group: anyone may declare; who added it is said", () => {
    const result = classifyChange(defaultConfig(), pullSnapshot({ labels: ["emergency"], labelEvents: [added("emergency", "dev")] }));
    expect(result).toEqual({ changeClass: "emergency", reasons: ["label `emergency` (added by @dev)"], ignoredEmergencyLabels: [], declaredBy: "dev" });
  });

  test("a listed declarer's label counts", () => {
    const pr = pullSnapshot({
      labels: ["emergency"],
      labelEvents: [added("emergency", "oncall")],
      groups: { "emergency-declarers": ["oncall", "sre-member"] },
    });
    const result = classifyChange(config(declarers), pr);
    expect(result.changeClass).toBe("emergency");
    expect(result.declaredBy).toBe("oncall");
  });

  test("a team member's label counts (team expanded into snapshot.groups)", () => {
    const pr = pullSnapshot({ labels: ["emergency"], labelEvents: [added("Emergency", "sre-member")], groups: { "emergency-declarers": ["oncall", "sre-member"] } });
    expect(classifyChange(config(declarers), pr).changeClass).toBe("emergency");
  });

  test("a label added by someone else is ignored, and who added it is kept for the summary", () => {
    const pr = pullSnapshot({
      labels: ["emergency"],
      labelEvents: [added("emergency", "oncall"), added("emergency", "mallory")],
      files: ["src/a.ts"],
      groups: { "emergency-declarers": ["oncall"] },
    });
    expect(classifyChange(config(declarers), pr)).toEqual({
      changeClass: "normal",
      reasons: ["no label or path decided, so the default class applies (`classification.default: normal`)"],
      ignoredEmergencyLabels: [{ label: "emergency", actor: "mallory" }],
      declaredBy: null,
    });
  });

  test("a label whose author is unknown is ignored when declarers are configured", () => {
    const pr = pullSnapshot({ labels: ["emergency"], files: ["docs/a.md"], groups: { "emergency-declarers": ["oncall"] } });
    const result = classifyChange(config(declarers), pr);
    expect(result.changeClass).toBe("standard");
    expect(result.ignoredEmergencyLabels).toEqual([{ label: "emergency", actor: null }]);
  });

  test("of two emergency labels, the one added by a declarer counts", () => {
    const pr = pullSnapshot({
      labels: ["emergency", "change:emergency"],
      labelEvents: [added("emergency", "mallory"), added("change:emergency", "oncall")],
      groups: { "emergency-declarers": ["oncall"] },
    });
    const result = classifyChange(config(declarers), pr);
    expect(result.changeClass).toBe("emergency");
    expect(result.reasons).toEqual(["label `change:emergency` (added by @oncall)"]);
    expect(result.ignoredEmergencyLabels).toEqual([{ label: "emergency", actor: "mallory" }]);
  });
});
