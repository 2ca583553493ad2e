// The shipped pull request template must match the default sections and fields, and an unedited
// template must not pass: its hints are comments and its field values are placeholders.
import { readFileSync } from "node:fs";
import { defaultConfig } from "../../src/config/schema.js";
import { evaluatePull } from "../../src/policy/evaluate.js";
import { pullSnapshot, review } from "../helpers/pull-snapshot.js";

const TEMPLATE = readFileSync(new URL("../../.github/pull_request_template.md", import.meta.url), "utf8");

function fillIn(template: string): string {
  const answers: Record<string, string> = {
    "## Description": "Record partial refunds in their own table instead of a JSON column.",
    "## Impact analysis": "Payments API only: one new table and a backfill of about 40,000 rows.",
    "## Rollback plan": "Revert this pull request and run the down migration 0042_refunds.down.sql.",
    "## Testing": "Migration run on a copy of production; unit tests for partial refunds.",
  };
  let body = template;
  for (const [heading, answer] of Object.entries(answers)) body = body.replace(`${heading}\n`, `${heading}\n\n${answer}\n`);
  return body.replace("Owner: @\n", "Owner: @alice\n").replace("Target date: YYYY-MM-DD", "Target date: 2026-03-12");
}

const approvals = {
  reviews: [review("bob", "APPROVED", 1), review("ciso", "APPROVED", 2)],
  permissions: { bob: "write", ciso: "write" } as const,
  groups: { "cto-ciso": ["ciso"] },
};

test("the template has the default sections' first headings, the fields and the compliance checkbox", () => {
  const config = defaultConfig();
  for (const section of ["description", "impact", "rollback", "testing"]) {
    expect(TEMPLATE).toContain(`\n## ${config.sections[section]!.headings[0]}\n`);
  }
  expect(TEMPLATE).toContain("\nOwner: @\n");
  expect(TEMPLATE).toContain("\nTarget date: YYYY-MM-DD\n");
  expect(TEMPLATE).toContain(`\n- [ ] ${config.rules[0]!.when.checked[0]}\n`);
});

test("an unedited template leaves every section and field of a normal change missing", () => {
  const verdict = evaluatePull(defaultConfig(), pullSnapshot({ body: TEMPLATE, ...approvals }));
  expect(verdict.changeClass).toBe("normal");
  expect(verdict.requirements.filter((r) => r.kind !== "approval").map((r) => [r.name, r.met, r.detail])).toEqual([
    ["Description", false, "the `Description` section only holds a placeholder (such as N/A or TBD); write at least 20 characters"],
    ["Impact analysis", false, "the `Impact analysis` section only holds a placeholder (such as N/A or TBD); write at least 20 characters"],
    ["Rollback plan", false, "the `Rollback plan` section only holds a placeholder (such as N/A or TBD); write at least 20 characters"],
    ["Owner", false, "add a line `Owner: @octocat` to the description (or assign the pull request)"],
    ["Target date", false, "add a line `Target date: 2026-01-31` to the description"],
  ]);
  expect(verdict.rules).toEqual([]); // the unticked box does not ask for compliance
  expect(verdict.conclusion).toBe("failure");
});

test("a filled-in template passes its sections and fields", () => {
  const verdict = evaluatePull(defaultConfig(), pullSnapshot({ body: fillIn(TEMPLATE), ...approvals }));
  expect(verdict.requirements.map((r) => [r.name, r.met])).toEqual([
    ["Description", true],
    ["Impact analysis", true],
    ["Rollback plan", true],
    ["Owner", true],
    ["Target date", true],
    ["1 peer approval", true],
    ["1 approval from cto-ciso", true],
  ]);
  expect(verdict.conclusion).toBe("success");
});

test("ticking the template's privacy box adds the compliance approval", () => {
  const body = fillIn(TEMPLATE).replace("- [ ] Privacy or regulatory impact", "- [x] Privacy or regulatory impact");
  const verdict = evaluatePull(defaultConfig(), pullSnapshot({ body, ...approvals }));
  expect(verdict.rules).toEqual(["Compliance review"]);
  expect(verdict.conclusion).toBe("failure");
});

test("an unedited template with an assignee still misses its sections (the owner falls back)", () => {
  const verdict = evaluatePull(defaultConfig(), pullSnapshot({ body: TEMPLATE, assignees: ["carol"], ...approvals }));
  expect(verdict.requirements.find((r) => r.name === "Owner")).toMatchObject({ met: true, detail: "@carol (the pull request's assignee)" });
  expect(verdict.requirements.find((r) => r.name === "Description")!.met).toBe(false);
});
