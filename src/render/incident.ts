// The text of security-incident issues (SPEC §4): what happened, who did it, the evidence, and what
// the people handling the incident should do. Pure text; the markers come from src/policy/incidents.ts.
import { tableCell } from "./markdown.js";
import type { RequirementResult } from "../policy/evaluate.js";
import { messageHeadline, type PushedCommit } from "../policy/incidents.js";
import type { RepoRef } from "../policy/refs.js";

export interface PushIncident {
  where: RepoRef;
  branch: string;
  before: string;
  after: string;
  forced: boolean;
  compareUrl: string;
  /** `pusher` of the payload: the git identity that pushed. */
  pusher: { name: string; email: string | null };
  /** `sender` of the payload: the GitHub account that pushed. */
  sender: string;
  pushedAt: string;
  commits: PushedCommit[];
  /** All commits the push brought, including those that did come through a merged PR. */
  totalCommits: number;
  marker: string;
}

export interface BypassIncident {
  where: RepoRef;
  number: number;
  title: string;
  author: string;
  mergedBy: string | null;
  mergedAt: string | null;
  changeClass: string;
  headSha: string;
  check: { conclusion: string | null; status: string; title: string | null } | null;
  missing: RequirementResult[];
  marker: string;
}

const POLICY = "The Change Management Policy treats unauthorized or undocumented changes to production as security incidents (§7, §12).";

export function pushIncidentTitle(i: PushIncident): string {
  const n = i.commits.length;
  const target = `${i.where.owner}/${i.where.repo}@${i.branch}`;
  if (n === 0) return `Security incident: force push to ${target} rewrote its history`;
  return `Security incident: ${n} commit${n === 1 ? "" : "s"} pushed to ${target} without a merged pull request`;
}

export function pushIncidentBody(i: PushIncident): string {
  const n = i.commits.length;
  const heading =
    n === 0
      ? `## The history of \`${i.branch}\` was rewritten by a force push`
      : `## ${n === 1 ? "A commit was" : `${n} commits were`} pushed to \`${i.branch}\` without a merged pull request`;
  const commits =
    n === 0
      ? [
          `### Commits`,
          "",
          `Every commit the push brought (${i.totalCommits}) belongs to a pull request merged into \`${i.branch}\`, but the branch was force-pushed: commits that were on it may have been removed or replaced. The compare link shows what changed.`,
        ]
      : [
          `### Commits without a merged pull request (${n} of ${i.totalCommits} pushed)`,
          "",
          "| Commit | Author | Message |",
          "| --- | --- | --- |",
          ...i.commits.map((c) => `| [\`${short(c.sha)}\`](${c.url}) | ${tableCell(c.authorName)}${c.authorLogin ? ` (@${c.authorLogin})` : ""} | ${tableCell(messageHeadline(c.message))} |`),
        ];
  const lines = [
    i.marker,
    heading,
    "",
    `${POLICY} Every change to a watched branch must arrive through a reviewed pull request that is merged into it.`,
    "",
    `- **Repository:** ${i.where.owner}/${i.where.repo}`,
    `- **Branch:** \`${i.branch}\``,
    `- **Pushed by:** @${i.sender} (git identity: ${tableCell(i.pusher.name)}${i.pusher.email ? `, ${tableCell(i.pusher.email)}` : ""})`,
    `- **Pushed at:** ${i.pushedAt}`,
    `- **Force push:** ${i.forced ? "yes — the branch's history was rewritten" : "no"}`,
    `- **Before → after:** ${/^0+$/.test(i.before) ? "(branch created)" : `\`${short(i.before)}\``} → \`${short(i.after)}\``,
    `- **Compare:** ${i.compareUrl}`,
    "",
    ...commits,
    "",
    ...RESPONSE,
  ];
  return lines.join("\n");
}

export function bypassIncidentTitle(i: BypassIncident): string {
  return `Security incident: ${i.where.owner}/${i.where.repo}#${i.number} merged without a passing Change Policy check`;
}

export function bypassIncidentBody(i: BypassIncident): string {
  const checkLine = i.check
    ? `\`${i.check.conclusion ?? i.check.status}\`${i.check.title ? ` — ${tableCell(i.check.title)}` : ""}`
    : "no Change Policy check existed on the merged commit";
  const lines = [
    i.marker,
    `## Pull request merged without a passing \`Change Policy\` check`,
    "",
    `${POLICY} This pull request was merged although its \`Change Policy\` check was not \`success\`: branch protection was bypassed (by an administrator, or the check is not a required status check).`,
    "",
    `- **Pull request:** ${i.where.owner}/${i.where.repo}#${i.number} — ${tableCell(i.title)}`,
    `- **Author:** @${i.author}`,
    `- **Merged by:** ${i.mergedBy ? `@${i.mergedBy}` : "unknown"}`,
    `- **Merged at:** ${i.mergedAt ?? "unknown"}`,
    `- **Class:** ${i.changeClass} change`,
    `- **Head commit:** \`${short(i.headSha)}\``,
    `- **Check at merge:** ${checkLine}`,
    "",
    `### What was missing`,
    "",
    ...(i.missing.length > 0
      ? i.missing.map((r) => `- ❌ **${r.name}** (${r.source}): ${r.detail}`)
      : ["- Nothing, judged by the pull request as it is now: the requirements were met but the check had not passed (not yet run, still running or failed for another reason)."]),
    "",
    ...RESPONSE,
  ];
  return lines.join("\n");
}

const RESPONSE = [
  "### Handling this incident",
  "",
  "- [ ] Find out why the change skipped the policy, with the person who made it.",
  "- [ ] Review the change after the fact (a pull request with the missing documentation and approvals), or revert it.",
  "- [ ] Check branch protection / rulesets: `Change Policy` is a required status check and bypass is limited to who must have it.",
  "- [ ] Record the outcome and any preventive measure here, then close this issue.",
];

function short(sha: string): string {
  return sha.slice(0, 7);
}

