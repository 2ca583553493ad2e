import { configSchema, defaultConfig } from "../../src/config/schema.js";
import { parseConfigText } from "../../src/config/load.js";

// SPEC §2's and §9's YAML blocks, transcribed value by value: an empty file must mean exactly this.
const SPEC_DEFAULTS = {
  groups: {
    "cto-ciso": { users: [], teams: [] },
    compliance: { users: [], teams: [] },
    "emergency-declarers": { users: [], teams: [] },
  },
  classification: {
    default: "normal",
    emergency: { labels: ["emergency", "change:emergency"] },
    normal: {
      labels: ["change:normal"],
      paths: [
        "**/package.json",
        "**/package-lock.json",
        "**/yarn.lock",
        "**/pnpm-lock.yaml",
        "**/migrations/**",
        "**/*.sql",
        "**/.env.production",
        "**/Dockerfile",
        ".github/workflows/**",
      ],
    },
    standard: { labels: ["change:standard"], paths: ["docs/**", "**/*.md"] },
  },
  sections: {
    description: { headings: ["Description", "Summary", "Purpose"], min_length: 20 },
    impact: { headings: ["Impact analysis", "Impact"], min_length: 20 },
    rollback: { headings: ["Rollback plan", "Rollback"], min_length: 20 },
    testing: { headings: ["Testing", "Test plan"], min_length: 10 },
  },
  fields: {
    owner: { names: ["Owner"], format: "login" },
    target_date: { names: ["Target date"], format: "date" },
  },
  classes: {
    standard: { require: ["description"], checked: [], approvals: [{ count: 1 }], checks: [] },
    normal: {
      require: ["description", "impact", "rollback", "owner", "target_date"],
      checked: [],
      approvals: [{ count: 1 }, { count: 1, from: "cto-ciso" }],
      checks: [],
    },
    emergency: {
      require: ["description"],
      checked: [],
      approvals: [{ count: 1 }],
      checks: [],
      post_review: {
        within_hours: 48,
        from: "cto-ciso",
        require: ["impact", "rollback"],
        repository: "",
        assignees: [],
        labels: ["post-implementation-review"],
        remind_before_hours: 12,
      },
    },
  },
  rules: [
    {
      name: "Compliance review",
      when: { labels: ["privacy", "regulatory"], paths: [], checked: ["Privacy or regulatory impact"] },
      require: [],
      checked: [],
      approvals: [{ count: 1, from: "compliance" }],
      checks: [],
    },
  ],
  approvals: { stale: "dismiss", independent: true },
  freezes: [],
  register: { repository: "", labels: ["change-request"], required: [] },
  incidents: { labels: ["security-incident"], repository: "", branches: [] },
  // SPEC §8's block.
  deployments: { environments: ["production"], branches: [], require_tag: false, tag_pattern: "v*", deployers: "" },
};

function parsed(yaml: string) {
  const result = parseConfigText(yaml, "test.yml");
  if (!result.ok) throw new Error(`expected a valid config, got ${JSON.stringify(result.problems)}`);
  return result.value;
}

describe("defaults", () => {
  test("defaultConfig() is exactly SPEC §2", () => {
    expect(defaultConfig()).toStrictEqual(SPEC_DEFAULTS);
  });

  test.each([
    ["an empty file", ""],
    ["a file with only comments", "# nothing configured yet\n"],
    ["an empty mapping", "{}\n"],
    ["empty top-level sections", "groups: {}\nclasses: {}\nclassification: {}\napprovals: {}\n"],
  ])("%s means the defaults", (_name, yaml) => {
    expect(parsed(yaml)).toStrictEqual(SPEC_DEFAULTS);
  });

  test("every call returns a fresh object (callers may not corrupt the defaults)", () => {
    const a = defaultConfig();
    a.classes.normal.require.push("testing");
    a.classification.normal.paths.length = 0;
    expect(defaultConfig()).toStrictEqual(SPEC_DEFAULTS);
  });
});

describe("overrides", () => {
  test("arrays are replaced, not merged with the default", () => {
    const config = parsed("classification:\n  normal:\n    paths: ['infra/**']\n");
    expect(config.classification.normal.paths).toEqual(["infra/**"]);
    // siblings keep their defaults
    expect(config.classification.normal.labels).toEqual(["change:normal"]);
    expect(config.classification.standard).toEqual(SPEC_DEFAULTS.classification.standard);
  });

  test("a class override keeps the other keys of that class and the other classes", () => {
    const config = parsed("classes:\n  normal:\n    approvals: [{count: 2}]\n");
    expect(config.classes.normal).toEqual({
      require: SPEC_DEFAULTS.classes.normal.require,
      checked: [],
      approvals: [{ count: 2 }],
      checks: [],
    });
    expect(config.classes.standard).toEqual(SPEC_DEFAULTS.classes.standard);
    expect(config.classes.emergency.post_review.within_hours).toBe(48);
  });

  test("nested post_review defaults are kept when one key is set", () => {
    const config = parsed("classes:\n  emergency:\n    post_review:\n      within_hours: 24\n");
    expect(config.classes.emergency.post_review).toEqual({ ...SPEC_DEFAULTS.classes.emergency.post_review, within_hours: 24 });
  });

  test("groups: configured ones are added to the default ones; logins and teams are normalised", () => {
    const config = parsed("groups:\n  cto-ciso:\n    users: ['@Alice']\n    teams: [Acme/Security-Leads]\n  sre: { users: [bob] }\n");
    expect(config.groups).toEqual({
      ...SPEC_DEFAULTS.groups,
      "cto-ciso": { users: ["alice"], teams: ["acme/security-leads"] },
      sre: { users: ["bob"], teams: [] },
    });
  });

  test("sections: a new section is added beside the defaults; a redefined one replaces its default", () => {
    const config = parsed("sections:\n  impact: { headings: [Risk] }\n  security: { headings: [Security], min_length: 5 }\n");
    expect(config.sections.impact).toEqual({ headings: ["Risk"], min_length: 20 });
    expect(config.sections.security).toEqual({ headings: ["Security"], min_length: 5 });
    expect(config.sections.description).toEqual(SPEC_DEFAULTS.sections.description);
  });

  test("rules: an empty list removes the default compliance rule", () => {
    expect(parsed("rules: []\n").rules).toEqual([]);
  });

  test("a rule gets its defaults filled in", () => {
    const config = parsed("rules:\n  - name: Backup\n    when: { paths: ['**/migrations/**'] }\n    checked: [Database backup taken]\n");
    expect(config.rules).toEqual([
      {
        name: "Backup",
        when: { labels: [], paths: ["**/migrations/**"], checked: [] },
        require: [],
        checked: ["Database backup taken"],
        approvals: [],
        checks: [],
      },
    ]);
  });

  test("deployments: one key set keeps the others' defaults; [] means none", () => {
    const config = parsed("groups:\n  release-managers: { users: [dora] }\ndeployments:\n  environments: []\n  deployers: release-managers\n");
    expect(config.deployments).toEqual({ ...SPEC_DEFAULTS.deployments, environments: [], deployers: "release-managers" });
  });

  test("configSchema itself is strict about unknown keys", () => {
    expect(configSchema.safeParse({ clases: {} }).success).toBe(false);
  });
});
