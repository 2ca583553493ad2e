// The words on a merge group's `Change Policy` check (SPEC §7): the title starts `Merge group:`,
// the summary names each failing pull request with what it lacks.
import type { MergeGroupResult } from "../policy/merge-group.js";
import { renderVerdict, type CheckOutput } from "./check-output.js";

/** GitHub rejects a check run output longer than 65,535 characters. */
const MAX_SUMMARY = 65_000;
const TITLED_FAILURES = 5;

export function renderMergeGroup(result: MergeGroupResult, base: string): CheckOutput {
  const n = result.members.length;
  const failing = result.failing.map((number) => `#${number}`);
  const title =
    n === 0
      ? "Merge group: no pull request found to evaluate"
      : result.conclusion === "success"
        ? n === 1
          ? `Merge group: #${result.members[0]!.number} compliant`
          : `Merge group: all ${n} pull requests compliant`
        : `Merge group: ${failing.slice(0, TITLED_FAILURES).join(", ")}${failing.length > TITLED_FAILURES ? ` and ${failing.length - TITLED_FAILURES} more` : ""} not compliant`;

  const lines: string[] = [];
  if (n === 0) {
    lines.push(
      `No pull request could be found in this merge group into \`${base}\`, so nothing shows that its changes went through the process, and the check fails (it never passes by default).`,
    );
  } else {
    lines.push(
      `This merge group into \`${base}\` adds ${n === 1 ? "1 pull request" : `${n} pull requests`}. Each was evaluated afresh, exactly as its own \`Change Policy\` check is (current labels, description and reviews, the policy of its base branch); the group passes only if every one does.`,
    );
  }
  // Failing pull requests first: they are what the reader came for.
  const ordered = [...result.members].sort((a, b) => Number(a.passed) - Number(b.passed) || a.number - b.number);
  for (const member of ordered) {
    const name = `#${member.number}${member.title ? ` ${member.title.replace(/\s+/g, " ").slice(0, 200)}` : ""}`;
    lines.push("");
    if (member.error !== null) {
      lines.push(`### ❌ ${name} — could not be evaluated`, "", member.error);
      continue;
    }
    const own = renderVerdict(member.verdict!);
    lines.push(`### ${member.passed ? "✅" : "❌"} ${name} — ${own.title}`);
    if (member.missing.length > 0) lines.push("");
    for (const r of member.missing) lines.push(`- ❌ **${r.name}**: ${r.detail}`);
  }
  if (result.conclusion === "failure") {
    lines.push(
      "",
      "GitHub takes a failing group out of the queue. Fix what is listed on each pull request (its own check shows the same), then add it to the merge queue again.",
    );
  }
  const summary = lines.join("\n");
  return {
    conclusion: result.conclusion,
    title,
    summary: summary.length > MAX_SUMMARY ? `${summary.slice(0, MAX_SUMMARY)}\n\n…(cut: the summary is longer than GitHub allows)` : summary,
  };
}

/** Fail closed for the whole group: never a pass, always a plain reason and what to do. */
export function renderMergeGroupError(reason: string, remedy: string): CheckOutput {
  return {
    conclusion: "failure",
    title: "Merge group: could not evaluate, the check fails until it can",
    summary: `${reason}\n\n**What to do:** ${remedy}\n\nThe check fails closed: it never passes because something went wrong. Adding the pull request to the merge queue again re-evaluates it.`,
  };
}
