import { undecidedDeployment, type DeploymentDecision } from "../../src/policy/deployment.js";
import { fitComment, MAX_DEPLOYMENT_COMMENT, renderDeploymentComment } from "../../src/render/deployment.js";

const S = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";

function decision(overrides: Partial<DeploymentDecision>): DeploymentDecision {
  return { state: "approved", environment: "production", sha: S, reasons: [], changes: [], commits: [], previousSha: "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432", ...overrides };
}

test("an approval names the changes it lets through", () => {
  const text = renderDeploymentComment(
    decision({
      changes: [
        { number: 12, title: "Use idempotent charges", changeClass: "normal" },
        { number: 13, title: "Document the API", changeClass: "standard" },
      ],
    }),
  );
  expect(text).toBe(
    [
      "✅ change-policy approved deploying 1a2b3c4 to production: 2 compliant changes since the last successful deployment (9f8e7d6):",
      "- #12 Normal change: Use idempotent charges",
      "- #13 Standard change: Document the API",
    ].join("\n"),
  );
});

test("an approval with nothing new, and a first deployment", () => {
  expect(renderDeploymentComment(decision({}))).toBe("✅ change-policy approved deploying 1a2b3c4 to production: no new changes since the last successful deployment (9f8e7d6).");
  expect(renderDeploymentComment(decision({ previousSha: null, changes: [{ number: 3, title: "Initial", changeClass: "emergency" }] }))).toBe(
    "✅ change-policy approved deploying 1a2b3c4 to production: 1 compliant change (no earlier successful deployment: the deployed commit alone was checked):\n- #3 Emergency change: Initial",
  );
});

test("a rejection lists every reason and what to do", () => {
  const text = renderDeploymentComment(decision({ state: "rejected", reasons: ["First reason.", "Second reason."] }));
  expect(text).toBe(
    [
      "❌ change-policy rejected deploying 1a2b3c4 to production: it breaks the Change Management Policy (2 reasons).",
      "- First reason.",
      "- Second reason.",
      "Fix what is listed, then re-run the deployment.",
    ].join("\n"),
  );
});

test("a failure to decide rejects and says a re-run retries", () => {
  const text = renderDeploymentComment(undecidedDeployment("production", S, "GitHub had an internal error (502)."));
  expect(text).toBe(
    [
      "❌ change-policy could not decide on deploying 1a2b3c4 to production, so it rejects it (fail closed):",
      "- GitHub had an internal error (502).",
      "Nothing was deployed. Re-run the deployment (Re-run jobs on this workflow run) to try again once this is fixed.",
    ].join("\n"),
  );
});

test("a comment longer than 1,024 characters is cut between two reasons, ends with how many are left out and keeps its footer", () => {
  const reasons = Array.from({ length: 30 }, (_, i) => `Commit ${String(i).padStart(7, "0")} by Mallory (@mallory), "Unreviewed change number ${i}": no pull request accounts for it.`);
  const text = renderDeploymentComment(decision({ state: "rejected", reasons }));
  expect(text.length).toBeLessThanOrEqual(MAX_DEPLOYMENT_COMMENT);
  const lines = text.split("\n");
  const shown = lines.filter((l) => l.startsWith("- "));
  // whole reasons only, in order, from the first
  expect(shown).toEqual(reasons.slice(0, shown.length).map((r) => `- ${r}`));
  expect(shown.length).toBeGreaterThan(3);
  expect(lines.at(-2)).toBe(`… and ${30 - shown.length} more`);
  expect(lines.at(-1)).toBe("Fix what is listed, then re-run the deployment.");
  expect(lines[0]).toContain("(30 reasons)");
  // and one more reason would not have fitted
  const oneMore = [...lines.slice(0, 1 + shown.length), `- ${reasons[shown.length]}`, `… and ${30 - shown.length - 1} more`, lines.at(-1)].join("\n");
  expect(oneMore.length).toBeGreaterThan(MAX_DEPLOYMENT_COMMENT);
});

test("a single huge item is shortened, never breaking the limit", () => {
  const text = fitComment("header", ["x".repeat(5000), "short"], "footer");
  expect(text.length).toBeLessThanOrEqual(MAX_DEPLOYMENT_COMMENT);
  expect(text).toBe(`header\n- ${"x".repeat(399)}…\n- short\nfooter`);
  expect(fitComment("h".repeat(2000), [], "").length).toBe(MAX_DEPLOYMENT_COMMENT);
});
