import { defaultConfig } from "../../src/config/schema.js";
import { evaluatePull, type Verdict } from "../../src/policy/evaluate.js";
import { CHECK_NAME } from "../../src/policy/check-name.js";
import { renderConfigProblems, renderError, renderVerdict } from "../../src/render/check-output.js";
import { pullSnapshot, review } from "../helpers/pull-snapshot.js";

function verdict(overrides: Partial<Verdict> = {}): Verdict {
  return {
    changeClass: "normal",
    classification: { changeClass: "normal", reasons: ["label `change:normal`"], ignoredEmergencyLabels: [], declaredBy: null },
    requirements: [],
    conclusion: "success",
    notes: [],
    rules: [],
    approvers: [],
    ...overrides,
  };
}

const met = (name: string, source = "normal change") => ({ kind: "section" as const, name, met: true, detail: "present (40 characters)", source });
const missing = (name: string, detail: string, source = "normal change") => ({ kind: "section" as const, name, met: false, detail, source });

test("the check is named exactly `Change Policy`", () => {
  expect(CHECK_NAME).toBe("Change Policy");
});

describe("title and conclusion", () => {
  // Requirements written as a row of marks: "+" met, "-" missing. Every expected value is literal.
  const requirementsOf = (marks: string) => [...marks].map((mark, i) => (mark === "+" ? met(`R${i}`) : missing(`R${i}`, "fix it")));

  test.each<[Verdict["changeClass"], string, Verdict["conclusion"], "success" | "failure", string]>([
    ["normal", "+++++", "success", "success", "Normal change: all requirements met"],
    ["normal", "+-+-+", "failure", "failure", "Normal change: 2 of 5 requirements missing"],
    ["standard", "-+", "failure", "failure", "Standard change: 1 of 2 requirements missing"],
    ["standard", "--", "failure", "failure", "Standard change: 2 of 2 requirements missing"],
    ["emergency", "-", "failure", "failure", "Emergency change: 1 of 1 requirement missing"],
    ["emergency", "", "success", "success", "Emergency change: all requirements met"],
  ])("%s, requirements %j, verdict %s → %s, %s", (changeClass, marks, verdictConclusion, conclusion, title) => {
    const out = renderVerdict(verdict({ changeClass, requirements: requirementsOf(marks), conclusion: verdictConclusion }));
    expect(out.conclusion).toBe(conclusion);
    expect(out.title).toBe(title);
  });

  test("the conclusion is the verdict's: rendering never turns a failing verdict into a pass", () => {
    // A verdict can fail with every listed requirement met (the evaluation decides, not the renderer).
    expect(renderVerdict(verdict({ requirements: requirementsOf("++"), conclusion: "failure" })).conclusion).toBe("failure");
  });
});

describe("summary", () => {
  test("a checklist with ✅/❌, the reason for the class, rules, notes and how to fix", () => {
    const out = renderVerdict(
      verdict({
        classification: {
          changeClass: "normal",
          reasons: ["label `change:normal`", "changed paths matching `classification.normal.paths`: `package.json`"],
          ignoredEmergencyLabels: [],
          declaredBy: null,
        },
        requirements: [
          met("Description"),
          missing("Rollback plan", "add a `## Rollback plan` heading (or `Rollback`) to the description with at least 20 characters under it"),
          { kind: "approval", name: "1 approval from compliance", met: false, detail: "has 0 of 1; ask @dpo to approve", source: "Compliance review" },
        ],
        conclusion: "failure",
        rules: ["Compliance review"],
        notes: ["@bob's approval does not count: is a bot."],
      }),
    );
    expect(out.summary.split("\n")).toEqual([
      "**Class: normal change** — because of label `change:normal`; changed paths matching `classification.normal.paths`: `package.json`.",
      "Rules that apply: **Compliance review**.",
      "",
      "### Requirements",
      "",
      "- ✅ **Description**: present (40 characters)",
      "- ❌ **Rollback plan**: add a `## Rollback plan` heading (or `Rollback`) to the description with at least 20 characters under it",
      "- ❌ **1 approval from compliance** _(Compliance review)_: has 0 of 1; ask @dpo to approve",
      "",
      "### Notes",
      "",
      "- @bob's approval does not count: is a bot.",
      "",
      "_Sections are markdown headings in the pull request description; fields are lines such as `Owner: @octocat`. Edit the description, then the check re-evaluates by itself._",
    ]);
  });

  test("a class with no requirements says so", () => {
    expect(renderVerdict(verdict()).summary).toContain("- ✅ nothing is required for this class");
  });

  test("an oversized summary is cut below GitHub's 65,535-character limit and says so", () => {
    const requirements = Array.from({ length: 2000 }, (_, i) => missing(`R${i}`, "x".repeat(100)));
    const out = renderVerdict(verdict({ requirements, conclusion: "failure" }));
    expect(out.summary.length).toBeLessThanOrEqual(65_535);
    expect(out.summary.endsWith("…(cut: the summary is longer than GitHub allows)")).toBe(true);
    expect(out.title).toBe("Normal change: 2000 of 2000 requirements missing");
  });

  test("end to end from a snapshot: an emergency declared by @oncall", () => {
    const out = renderVerdict(
      evaluatePull(
        defaultConfig(),
        pullSnapshot({
          labels: ["emergency"],
          labelEvents: [{ label: "emergency", actor: "oncall", createdAt: "2026-01-05T03:00:00Z" }],
          body: "## Description\nDisable the broken cache layer immediately.",
          reviews: [review("bob", "APPROVED", 1)],
          permissions: { bob: "write" },
        }),
      ),
    );
    expect(out).toEqual({
      conclusion: "success",
      title: "Emergency change: all requirements met",
      summary: [
        "**Class: emergency change** — because of label `emergency` (added by @oncall).",
        "",
        "### Requirements",
        "",
        "- ✅ **Description**: present (43 characters)",
        "- ✅ **1 peer approval**: approved by @bob",
        "",
        "### Notes",
        "",
        "- Emergency change: it may merge once the requirements below are met. A post-implementation review by `cto-ciso` follows within 48 hours of the merge, documenting `impact`, `rollback`.",
        "",
        "_Sections are markdown headings in the pull request description; fields are lines such as `Owner: @octocat`. Edit the description, then the check re-evaluates by itself._",
      ].join("\n"),
    });
  });
});

describe("configuration problems", () => {
  test("always failure; every problem listed with file, line and path", () => {
    const out = renderConfigProblems([
      { source: "acme/api:.github/change-policy.yml", path: "clases", message: 'unknown key "clases" (check the spelling)', line: 1 },
      { source: "acme/.github:.github/change-policy.yml", path: "", message: "file is larger than 256 KiB" },
    ]);
    expect(out.conclusion).toBe("failure");
    expect(out.title).toBe("Configuration error: 2 problems in the policy file");
    expect(out.summary).toContain('- `acme/api:.github/change-policy.yml:1: clases: unknown key "clases" (check the spelling)`');
    expect(out.summary).toContain("- `acme/.github:.github/change-policy.yml: (file): file is larger than 256 KiB`");
    expect(out.summary).toContain("it never passes on a broken policy");
    expect(out.summary).toContain("`change-policy validate .github/change-policy.yml`");
  });

  test("one problem: singular title", () => {
    expect(renderConfigProblems([{ source: "f", path: "a", message: "b", line: 2 }]).title).toBe("Configuration error: 1 problem in the policy file");
  });
});

describe("errors", () => {
  test("always failure, with the reason and the remedy in plain words", () => {
    const out = renderError("GitHub answered 403 when reading the pull request's reviews.", "Grant the app `pull_requests: read`, then press Re-run.");
    expect(out).toEqual({
      conclusion: "failure",
      title: "Could not evaluate: the check fails until it can",
      summary:
        "GitHub answered 403 when reading the pull request's reviews.\n\n**What to do:** Grant the app `pull_requests: read`, then press Re-run.\n\nThe check fails closed: it never passes because something went wrong. Press **Re-run** to try again.",
    });
  });
});
