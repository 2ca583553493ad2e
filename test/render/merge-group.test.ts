import type { Verdict } from "../../src/policy/evaluate.js";
import { combineMergeGroup } from "../../src/policy/merge-group.js";
import { renderMergeGroup, renderMergeGroupError } from "../../src/render/merge-group.js";

function verdict(changeClass: Verdict["changeClass"], missing: string[]): Verdict {
  return {
    changeClass,
    classification: { changeClass, reasons: ["the default class"], ignoredEmergencyLabels: [], declaredBy: null },
    requirements: [
      { kind: "section", name: "Description", met: true, detail: "present (40 characters)", source: `${changeClass} change` },
      ...missing.map((name) => ({ kind: "approval" as const, name, met: false, detail: "has 0 of 1; ask @carol to approve", source: `${changeClass} change` })),
    ],
    conclusion: missing.length === 0 ? "success" : "failure",
    notes: [],
    rules: [],
    approvers: [],
  };
}

test("every pull request compliant", () => {
  const out = renderMergeGroup(
    combineMergeGroup([
      { number: 12, title: "Use idempotent charges", outcome: { kind: "verdict", verdict: verdict("normal", []) } },
      { number: 13, title: "Document the API", outcome: { kind: "verdict", verdict: verdict("standard", []) } },
    ]),
    "main",
  );
  expect(out.conclusion).toBe("success");
  expect(out.title).toBe("Merge group: all 2 pull requests compliant");
  expect(out.summary.split("\n")).toEqual([
    "This merge group into `main` adds 2 pull requests. Each was evaluated afresh, exactly as its own `Change Policy` check is (current labels, description and reviews, the policy of its base branch); the group passes only if every one does.",
    "",
    "### ✅ #12 Use idempotent charges — Normal change: all requirements met",
    "",
    "### ✅ #13 Document the API — Standard change: all requirements met",
  ]);
});

test("one pull request: its number in the title", () => {
  const out = renderMergeGroup(combineMergeGroup([{ number: 12, title: "x", outcome: { kind: "verdict", verdict: verdict("normal", []) } }]), "main");
  expect(out.title).toBe("Merge group: #12 compliant");
});

test("a failing pull request is named first with what it lacks", () => {
  const out = renderMergeGroup(
    combineMergeGroup([
      { number: 11, title: "Fine", outcome: { kind: "verdict", verdict: verdict("standard", []) } },
      { number: 12, title: "Use idempotent charges", outcome: { kind: "verdict", verdict: verdict("normal", ["1 approval from cto-ciso"]) } },
      { number: 14, title: null, outcome: { kind: "error", reason: "GitHub had an internal error (502)." } },
    ]),
    "main",
  );
  expect(out.conclusion).toBe("failure");
  expect(out.title).toBe("Merge group: #12, #14 not compliant");
  expect(out.summary.split("\n").slice(2)).toEqual([
    "### ❌ #12 Use idempotent charges — Normal change: 1 of 2 requirements missing",
    "",
    "- ❌ **1 approval from cto-ciso**: has 0 of 1; ask @carol to approve",
    "",
    "### ❌ #14 — could not be evaluated",
    "",
    "GitHub had an internal error (502).",
    "",
    "### ✅ #11 Fine — Standard change: all requirements met",
    "",
    "GitHub takes a failing group out of the queue. Fix what is listed on each pull request (its own check shows the same), then add it to the merge queue again.",
  ]);
});

test("many failing pull requests: the title names five", () => {
  const members = [1, 2, 3, 4, 5, 6, 7].map((number) => ({ number, title: "x", outcome: { kind: "verdict" as const, verdict: verdict("normal", ["1 peer approval"]) } }));
  expect(renderMergeGroup(combineMergeGroup(members), "main").title).toBe("Merge group: #1, #2, #3, #4, #5 and 2 more not compliant");
});

test("no pull request found fails", () => {
  const out = renderMergeGroup(combineMergeGroup([]), "main");
  expect(out).toMatchObject({ conclusion: "failure", title: "Merge group: no pull request found to evaluate" });
});

test("an error fails the group with a title that starts `Merge group:`", () => {
  expect(renderMergeGroupError("GitHub had an internal error (502).", "Try again.")).toEqual({
    conclusion: "failure",
    title: "Merge group: could not evaluate, the check fails until it can",
    summary: "GitHub had an internal error (502).\n\n**What to do:** Try again.\n\nThe check fails closed: it never passes because something went wrong. Adding the pull request to the merge queue again re-evaluates it.",
  });
});
