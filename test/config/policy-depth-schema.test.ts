// SPEC §9's keys: freezes, register, checks, approvals.independent and post_review on any class.
import { formatProblem, parseConfigText } from "../../src/config/load.js";
import { OWN_CHECK_NAME, postReviewOf, type Config } from "../../src/config/schema.js";
import { CHECK_NAME } from "../../src/policy/check-name.js";

function parsed(yaml: string): Config {
  const result = parseConfigText(yaml, "p.yml");
  if (!result.ok) throw new Error(`expected a valid config, got ${JSON.stringify(result.problems)}`);
  return result.value;
}

function problems(yaml: string): string[] {
  const result = parseConfigText(yaml, "p.yml");
  if (result.ok) throw new Error("expected problems, the file was valid");
  return result.problems.map(formatProblem);
}

describe("freezes", () => {
  test("a freeze with UTC and offset times; classes default to every class but emergency, environments to all", () => {
    const config = parsed(
      [
        "freezes:",
        "  - name: Year-end freeze",
        "    from: 2026-12-20T00:00:00Z",
        "    until: 2027-01-04T00:00:00+01:00",
      ].join("\n"),
    );
    expect(config.freezes).toEqual([{ name: "Year-end freeze", from: "2026-12-20T00:00:00Z", until: "2027-01-04T00:00:00+01:00", classes: ["standard", "normal"] }]);
    expect(config.freezes[0]!.environments).toBeUndefined();
  });

  test("classes and environments as written", () => {
    const config = parsed("freezes:\n  - { name: Release, from: 2026-06-01T08:00:00Z, until: 2026-06-02T08:00:00Z, classes: [normal], environments: [production, staging] }\n");
    expect(config.freezes[0]).toMatchObject({ classes: ["normal"], environments: ["production", "staging"] });
  });

  test.each([
    ["a date without a time", "2026-12-20"],
    ["a time without a zone", "2026-12-20T00:00:00"],
    ["a space instead of T", "2026-12-20 00:00:00Z"],
    ["not a time", "next monday"],
  ])("%s is an error that shows the expected form", (_name, value) => {
    expect(problems(`freezes:\n  - name: Freeze\n    from: ${value}\n    until: 2027-01-04T00:00:00Z\n`)).toEqual([
      "p.yml:3: freezes.0.from: must be an ISO 8601 time with a zone, such as 2026-12-20T00:00:00Z or 2026-12-20T00:00:00+01:00",
    ]);
  });

  test("a freeze that ends before (or when) it starts is an error, also when the zones differ", () => {
    expect(problems("freezes:\n  - name: Backwards\n    from: 2026-12-20T00:00:00Z\n    until: 2026-12-20T00:30:00+01:00\n")).toEqual([
      "p.yml:4: freezes.0.until: must be later than `from` (2026-12-20T00:00:00Z)",
    ]);
  });

  test("two freezes with one name, an unknown class, an empty environment list and a typo are all listed at once", () => {
    const text = [
      "freezes:",
      "  - name: Freeze",
      "    from: 2026-12-20T00:00:00Z",
      "    until: 2027-01-04T00:00:00Z",
      "    classes: [normall]",
      "  - name: freeze",
      "    from: 2027-02-01T00:00:00Z",
      "    until: 2027-02-02T00:00:00Z",
      "    environments: []",
      "    unitl: 2027-02-03T00:00:00Z",
    ].join("\n");
    expect(problems(text)).toEqual([
      'p.yml:5: freezes.0.classes.0: Invalid option: expected one of "standard"|"normal"|"emergency"',
      'p.yml:6: freezes.1.name: "freeze" is already the name of freezes.0; give each freeze its own name',
      "p.yml:9: freezes.1.environments: needs at least one environment (leave the key out to freeze every guarded environment)",
      'p.yml:10: freezes.1.unitl: unknown key "unitl" (check the spelling)',
    ]);
  });

  test("a freeze needs a name, from and until", () => {
    expect(problems("freezes:\n  - classes: [normal]\n")).toEqual([
      "p.yml:2: freezes.0.name: is missing (required: string)",
      "p.yml:2: freezes.0.from: must be an ISO 8601 time with a zone, such as 2026-12-20T00:00:00Z or 2026-12-20T00:00:00+01:00",
      "p.yml:2: freezes.0.until: must be an ISO 8601 time with a zone, such as 2026-12-20T00:00:00Z or 2026-12-20T00:00:00+01:00",
    ]);
  });
});

describe("register", () => {
  test("defaults: the pull request's repository, label change-request, required by no class", () => {
    expect(parsed("").register).toEqual({ repository: "", labels: ["change-request"], required: [] });
  });

  test("a central register required for normal changes", () => {
    expect(parsed("register: { repository: acme/changes, labels: [rfc, change-request], required: [normal] }\n").register).toEqual({
      repository: "acme/changes",
      labels: ["rfc", "change-request"],
      required: ["normal"],
    });
  });

  test("no label, an unknown class, a malformed repository and an unknown key are errors", () => {
    expect(problems("register:\n  repository: https://github.com/acme/changes\n  labels: []\n  required: [normal, urgent]\n  requried: [normal]\n")).toEqual([
      "p.yml:2: register.repository: must be empty, repo or owner/repo",
      "p.yml:3: register.labels: needs at least one label: register issues are recognised by it",
      'p.yml:4: register.required.1: Invalid option: expected one of "standard"|"normal"|"emergency"',
      'p.yml:5: register.requried: unknown key "requried" (check the spelling)',
    ]);
  });
});

describe("checks", () => {
  test("a class and a rule list required checks; the others default to none", () => {
    const config = parsed(
      "classes:\n  normal:\n    checks: [test, CodeQL]\nrules:\n  - name: Backup before migration\n    when: { paths: ['**/migrations/**'] }\n    checks: [backup-job]\n",
    );
    expect(config.classes.normal.checks).toEqual(["test", "CodeQL"]);
    expect(config.classes.standard.checks).toEqual([]);
    expect(config.rules[0]!.checks).toEqual(["backup-job"]);
  });

  test("the app's own check cannot be required, and a name cannot be empty", () => {
    expect(OWN_CHECK_NAME).toBe(CHECK_NAME);
    expect(problems("classes:\n  standard:\n    checks: ['Change Policy', '']\n")).toEqual([
      'p.yml:3: classes.standard.checks.0: "Change Policy" is this app\'s own check; it cannot require itself',
      "p.yml:3: classes.standard.checks.1: must not be empty",
    ]);
  });
});

describe("approvals.independent", () => {
  test("default true; false is accepted; anything but a boolean is an error", () => {
    expect(parsed("").approvals.independent).toBe(true);
    expect(parsed("approvals: { independent: false }\n").approvals).toEqual({ stale: "dismiss", independent: false });
    expect(problems("approvals:\n  independent: yes please\n")).toEqual(["p.yml:2: approvals.independent: Invalid input: expected boolean, received string"]);
  });
});

describe("post_review on any class", () => {
  test("only emergency changes have one by default", () => {
    const config = parsed("");
    expect(postReviewOf(config, "emergency")).toMatchObject({ within_hours: 48, from: "cto-ciso" });
    expect(postReviewOf(config, "normal")).toBeNull();
    expect(postReviewOf(config, "standard")).toBeNull();
  });

  test("a normal class with post_review gets the emergency keys' defaults", () => {
    const config = parsed("classes:\n  normal:\n    post_review: { within_hours: 72 }\n");
    expect(postReviewOf(config, "normal")).toEqual({
      within_hours: 72,
      from: "cto-ciso",
      require: ["impact", "rollback"],
      repository: "",
      assignees: [],
      labels: ["post-implementation-review"],
      remind_before_hours: 12,
    });
  });

  test("its group and requirements are cross-checked like the emergency one's, and unknown keys are errors", () => {
    expect(problems("classes:\n  standard:\n    post_review:\n      from: cto-cisco\n      require: [impakt]\n      within: 3\n")).toEqual([
      'p.yml:4: classes.standard.post_review.from: unknown group "cto-cisco" (known: cto-ciso, compliance, emergency-declarers)',
      "p.yml:5: classes.standard.post_review.require.0: unknown section or field \"impakt\" (known: description, impact, rollback, testing, owner, target_date)",
      'p.yml:6: classes.standard.post_review.within: unknown key "within" (check the spelling)',
    ]);
  });
});
