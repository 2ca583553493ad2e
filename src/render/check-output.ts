// The words on the `Change Policy` check: its conclusion, title and summary.
import { formatProblem, type ConfigProblem } from "../config/load.js";
import { missingRequirements, type Verdict } from "../policy/evaluate.js";
import { whoMayMerge } from "../policy/freezes.js";

/** GitHub rejects a check run output longer than 65,535 characters. */
const MAX_SUMMARY = 65_000;

export interface CheckOutput {
  conclusion: "success" | "failure";
  title: string;
  summary: string;
}

const CLASS_TITLES = { standard: "Standard change", normal: "Normal change", emergency: "Emergency change" } as const;

export function renderVerdict(verdict: Verdict): CheckOutput {
  const missing = missingRequirements(verdict).length;
  const total = verdict.requirements.length;
  const state =
    missing === 0 ? "all requirements met" : `${missing} of ${total} requirement${total === 1 ? "" : "s"} missing`;
  const lines: string[] = [];
  lines.push(`**Class: ${CLASS_TITLES[verdict.changeClass].toLowerCase()}** — because of ${verdict.classification.reasons.join("; ")}.`);
  if (verdict.rules.length > 0) lines.push(`Rules that apply: ${verdict.rules.map((r) => `**${r}**`).join(", ")}.`);
  if (verdict.freeze) {
    const f = verdict.freeze;
    lines.push("", `**Change freeze "${f.name}"** is active from ${f.from} until ${f.until}: ${whoMayMerge(f)} until it ends.`);
  }
  if (verdict.registerIssue) {
    const r = verdict.registerIssue;
    lines.push("", `Request for Change: read from the description and from the change request [${r.ref}](${r.url}) in the Change Log Register; each item below says where it was found.`);
  }
  lines.push("", "### Requirements", "");
  for (const r of verdict.requirements) {
    const from = r.source === `${verdict.changeClass} change` ? "" : ` _(${r.source})_`;
    lines.push(`- ${r.met ? "✅" : "❌"} **${r.name}**${from}: ${r.detail}`);
  }
  if (verdict.requirements.length === 0) lines.push("- ✅ nothing is required for this class");
  if (verdict.notes.length > 0) {
    lines.push("", "### Notes", "");
    for (const note of verdict.notes) lines.push(`- ${note}`);
  }
  lines.push(
    "",
    "_Sections are markdown headings in the pull request description; fields are lines such as `Owner: @octocat`. Edit the description, then the check re-evaluates by itself._",
  );
  // During a freeze the title says so: the way out is waiting (or an emergency), not a requirement.
  const title = verdict.freeze
    ? `${CLASS_TITLES[verdict.changeClass]}: change freeze "${verdict.freeze.name}" until ${verdict.freeze.until}`
    : `${CLASS_TITLES[verdict.changeClass]}: ${state}`;
  return { conclusion: verdict.conclusion, title, summary: cap(lines.join("\n")) };
}

export function renderConfigProblems(problems: ConfigProblem[]): CheckOutput {
  const lines = [
    `The Change Policy configuration is invalid, so this pull request cannot be evaluated and the check fails (it never passes on a broken policy).`,
    "",
    "### Problems",
    "",
    ...problems.map((p) => `- \`${formatProblem(p)}\``),
    "",
    "Fix the file on the base branch (`change-policy validate .github/change-policy.yml` checks it locally); open pull requests are re-evaluated when it changes, or press **Re-run**.",
  ];
  const n = problems.length;
  return { conclusion: "failure", title: `Configuration error: ${n} problem${n === 1 ? "" : "s"} in the policy file`, summary: cap(lines.join("\n")) };
}

/** For errors: never a pass, always a plain reason and what to do. */
export function renderError(reason: string, remedy: string): CheckOutput {
  return {
    conclusion: "failure",
    title: "Could not evaluate: the check fails until it can",
    summary: cap(`${reason}\n\n**What to do:** ${remedy}\n\nThe check fails closed: it never passes because something went wrong. Press **Re-run** to try again.`),
  };
}

function cap(text: string): string {
  return text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY)}\n\n…(cut: the summary is longer than GitHub allows)` : text;
}
