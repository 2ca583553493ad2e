import {
  formatProblem,
  mergeConfig,
  parseConfigFile,
  parseConfigText,
  parseExtends,
  resolveConfig,
  type ConfigFile,
} from "../../src/config/load.js";

function file(text: string, source: string): ConfigFile {
  const result = parseConfigFile(text, source);
  if (!result.ok) throw new Error(`expected parseable YAML, got ${JSON.stringify(result.problems)}`);
  return result.value;
}

/** The problems as an admin reads them (`change-policy validate`, the failing check). */
function problems(text: string): string[] {
  const result = parseConfigText(text, "acme/api:.github/change-policy.yml");
  if (result.ok) throw new Error("expected the config to be invalid");
  return result.problems.map(formatProblem);
}

const SRC = "acme/api:.github/change-policy.yml";

describe("invalid configs give every problem with its key path and YAML line", () => {
  test.each<[string, string, string[]]>([
    [
      "malformed YAML",
      "classes:\n  normal:\n    require: [description\n",
      [`${SRC}:3: (file): invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`],
    ],
    ["duplicate key", "groups: {}\ngroups: {}\n", [`${SRC}:2: (file): invalid YAML: Map keys must be unique`]],
    [
      "unclosed quote at the end of the file",
      "classes:\n  normal:\n    require: [\"impact]\n\n\n",
      [
        `${SRC}:3: (file): invalid YAML: Missing closing "quote`,
        `${SRC}:3: (file): invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      ],
    ],
    [
      "bad indentation: every YAML error is listed",
      "groups:\n  cto-ciso:\n users: [a]\n   teams: [b/c]\n",
      [
        `${SRC}:2: (file): invalid YAML: All mapping items must start at the same column`,
        `${SRC}:4: (file): invalid YAML: All mapping items must start at the same column`,
      ],
    ],
    ["a top-level list", "- classes\n- rules\n", [`${SRC}:1: (file): the file must be a mapping of keys (e.g. \`classes:\`), or empty`]],
    ["a top-level scalar", "normal\n", [`${SRC}:1: (file): the file must be a mapping of keys (e.g. \`classes:\`), or empty`]],
    ["typo in a top-level key", "approvals: {}\nclases:\n  normal: {}\n", [`${SRC}:2: clases: unknown key "clases" (check the spelling)`]],
    [
      "typo in a nested key",
      "classes:\n  normal:\n    aprovals: [{count: 2}]\n",
      [`${SRC}:3: classes.normal.aprovals: unknown key "aprovals" (check the spelling)`],
    ],
    [
      "two unknown keys in one mapping: one problem each",
      "foo: 1\ngroups: {}\nbar: 2\n",
      [`${SRC}:1: foo: unknown key "foo" (check the spelling)`, `${SRC}:3: bar: unknown key "bar" (check the spelling)`],
    ],
    [
      "wrong type",
      "classes:\n  normal:\n    approvals: [{count: two}]\n",
      [`${SRC}:3: classes.normal.approvals.0.count: Invalid input: expected number, received string`],
    ],
    ["wrong container type", "rules: 3\n", [`${SRC}:1: rules: Invalid input: expected array, received number`]],
    [
      "value outside an enum",
      "approvals:\n  stale: sometimes\n",
      [`${SRC}:2: approvals.stale: Invalid option: expected one of "dismiss"|"keep"`],
    ],
    [
      "unknown group in approvals.from",
      "classes:\n  normal:\n    approvals:\n      - count: 1\n        from: cto\n",
      [`${SRC}:5: classes.normal.approvals.0.from: unknown group "cto" (known: cto-ciso, compliance, emergency-declarers)`],
    ],
    [
      "unknown group in a rule and in post_review",
      "classes:\n  emergency:\n    post_review: { from: ciso }\nrules:\n  - name: X\n    when: { labels: [x] }\n    approvals: [{ from: legal }]\n",
      [
        `${SRC}:3: classes.emergency.post_review.from: unknown group "ciso" (known: cto-ciso, compliance, emergency-declarers)`,
        `${SRC}:7: rules.0.approvals.0.from: unknown group "legal" (known: cto-ciso, compliance, emergency-declarers)`,
      ],
    ],
    [
      "deployers naming a group that does not exist, and a typo in deployments",
      "deployments:\n  deployers: release-managers\n  require_tags: true\n",
      [
        `${SRC}:2: deployments.deployers: unknown group "release-managers" (known: cto-ciso, compliance, emergency-declarers)`,
        `${SRC}:3: deployments.require_tags: unknown key "require_tags" (check the spelling)`,
      ],
    ],
    [
      "unknown section name in require",
      "classes:\n  standard:\n    require:\n      - description\n      - descripton\n",
      [`${SRC}:5: classes.standard.require.1: unknown section or field "descripton" (known: description, impact, rollback, testing, owner, target_date)`],
    ],
    [
      "bad login",
      "groups:\n  cto-ciso:\n    users: [alice, 'bad login!']\n",
      [`${SRC}:3: groups.cto-ciso.users.1: must be a GitHub login such as octocat`],
    ],
    [
      "bad team",
      "groups:\n  cto-ciso:\n    teams: [security-leads]\n",
      [`${SRC}:3: groups.cto-ciso.teams.0: must be a team written as org/team-slug`],
    ],
    ["bad group name", "groups:\n  CTO CISO: {}\n", [`${SRC}:2: groups.CTO CISO: must be a lower-case name such as cto-ciso`]],
    [
      "a rule without any condition",
      "rules:\n  - name: Nothing\n    when: {}\n",
      [`${SRC}:3: rules.0.when: needs at least one of labels, paths or checked`],
    ],
    [
      "a section without headings",
      "sections:\n  impact: { headings: [] }\n",
      [`${SRC}:2: sections.impact.headings: needs at least one heading`],
    ],
  ])("%s", (_name, yaml, expected) => {
    expect(problems(yaml)).toEqual(expected);
  });

  test("several problems in one file are all listed, in file order, without follow-on errors", () => {
    const yaml = [
      "clases: {}", // 1
      "groups:", // 2
      "  cto-ciso:", // 3
      "    users: ['-x']", // 4
      "classes:", // 5
      "  normal:", // 6
      "    require: [impact, rollbak]", // 7
      "    approvals: [{ count: 1, from: ctociso }]", // 8
      "approvals:", // 9
      "  stale: 1", // 10
    ].join("\n");
    expect(problems(yaml)).toEqual([
      `${SRC}:1: clases: unknown key "clases" (check the spelling)`,
      `${SRC}:4: groups.cto-ciso.users.0: must be a GitHub login such as octocat`,
      `${SRC}:7: classes.normal.require.1: unknown section or field "rollbak" (known: description, impact, rollback, testing, owner, target_date)`,
      `${SRC}:8: classes.normal.approvals.0.from: unknown group "ctociso" (known: cto-ciso, compliance, emergency-declarers)`,
      `${SRC}:10: approvals.stale: Invalid option: expected one of "dismiss"|"keep"`,
    ]);
  });

  test("problems carry source, path and line as data", () => {
    const result = parseConfigText("approvals:\n  stale: never\n", "f.yml");
    expect(result).toEqual({
      ok: false,
      problems: [{ source: "f.yml", path: "approvals.stale", line: 2, message: 'Invalid option: expected one of "dismiss"|"keep"' }],
    });
  });

  test("a file over 256 KiB is refused without parsing", () => {
    expect(problems(`# ${"x".repeat(256 * 1024)}\n`)).toEqual([`${SRC}: (file): file is larger than 256 KiB`]);
  });

  test("a YAML alias bomb is refused, not expanded", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, i) => {
      const prev = i === 0 ? "a" : `l${i - 1}`;
      return `l${i}: &l${i} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`;
    })].join("\n");
    const result = parseConfigText(bomb, "f.yml");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]!.message).toMatch(/^invalid YAML: /);
  });
});

describe("formatProblem", () => {
  test.each([
    [{ source: "a/b:.github/change-policy.yml", path: "classes.normal", message: "bad", line: 3 }, "a/b:.github/change-policy.yml:3: classes.normal: bad"],
    [{ source: "f.yml", path: "", message: "file is larger than 256 KiB" }, "f.yml: (file): file is larger than 256 KiB"],
  ])("%j", (problem, text) => {
    expect(formatProblem(problem)).toBe(text);
  });
});

describe("_extends chain", () => {
  const base = file(
    [
      "groups:",
      "  cto-ciso: { users: [ciso] }",
      "classification:",
      "  normal:",
      "    paths: ['infra/**', '**/*.tf']",
      "classes:",
      "  normal:",
      "    approvals: [{ count: 2 }, { count: 1, from: cto-ciso }]",
      "approvals: { stale: keep }",
    ].join("\n"),
    "acme/.github:.github/change-policy.yml",
  );

  test("the repository's own file wins; arrays are replaced; what it does not set is inherited", () => {
    const own = file(
      "_extends: .github\nclassification:\n  normal:\n    paths: ['db/**']\napprovals: { stale: dismiss }\n",
      "acme/api:.github/change-policy.yml",
    );
    const result = resolveConfig([base, own]);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const config = result.value;
    expect(config.classification.normal.paths).toEqual(["db/**"]);
    expect(config.classification.normal.labels).toEqual(["change:normal"]);
    expect(config.approvals.stale).toBe("dismiss");
    expect(config.groups["cto-ciso"]).toEqual({ users: ["ciso"], teams: [] });
    expect(config.classes.normal.approvals).toEqual([{ count: 2 }, { count: 1, from: "cto-ciso" }]);
    expect(config).not.toHaveProperty("_extends");
  });

  test("a problem is reported in the file and on the line that set the key", () => {
    const own = file("_extends: .github\nclasses:\n  normal:\n    require: [description]\n    approvals: [{ from: legal }]\n", "acme/api:.github/change-policy.yml");
    const broken = file("groups:\n  cto-ciso: { users: [ciso] }\napprovals: { stale: later }\n", "acme/.github:.github/change-policy.yml");
    const result = resolveConfig([broken, own]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map(formatProblem)).toEqual([
      'acme/.github:.github/change-policy.yml:3: approvals.stale: Invalid option: expected one of "dismiss"|"keep"',
      'acme/api:.github/change-policy.yml:5: classes.normal.approvals.0.from: unknown group "legal" (known: cto-ciso, compliance, emergency-declarers)',
    ]);
  });

  test("mergeConfig: deep merge, override wins, arrays replaced", () => {
    expect(mergeConfig({ a: { b: [1, 2], c: 1 }, d: 1 }, { a: { b: [3] }, e: 2 })).toEqual({ a: { b: [3], c: 1 }, d: 1, e: 2 });
  });

  test.each([
    [".github", { owner: "acme", repo: ".github", path: ".github/change-policy.yml" }],
    ["other/policies", { owner: "other", repo: "policies", path: ".github/change-policy.yml" }],
    ["other/policies:team/api.yml", { owner: "other", repo: "policies", path: "team/api.yml" }],
    ["other/policies:../secret.yml", "_extends must be `repo`, `owner/repo` or `owner/repo:path/to/file.yml`"],
    ["", "_extends must be `repo`, `owner/repo` or `owner/repo:path/to/file.yml`"],
    [3, "_extends must be `repo`, `owner/repo` or `owner/repo:path/to/file.yml`"],
  ])("parseExtends(%j)", (value, expected) => {
    expect(parseExtends(value, "acme")).toEqual(expected);
  });
});

test("a file of tens of thousands of keys is refused before the YAML parser builds them (it took 170 ms for 64 KB)", () => {
  const result = parseConfigText("a:\n".repeat(21_000), "f.yml");
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.problems.map((p) => p.message)).toEqual(["file has 21001 lines and flow items (more than 4000); a policy needs a few hundred"]);
});
