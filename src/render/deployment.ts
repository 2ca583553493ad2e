// The comment the deployment gate leaves on the workflow run (GitHub shows it beside the approval or
// rejection). GitHub accepts at most 1,024 characters, so a long list is cut between two items and
// ends with "… and N more"; the first line and the closing advice always stay.
import { changeClassName, shortSha, type DeploymentDecision } from "../policy/deployment.js";

/** GitHub's limit for a deployment protection rule's comment. */
export const MAX_DEPLOYMENT_COMMENT = 1024;
/** One item never takes more than this, so that several fit and no item is cut mid-word by the limit. */
const MAX_ITEM = 400;

export function renderDeploymentComment(decision: DeploymentDecision): string {
  const target = `deploying ${shortSha(decision.sha)} to ${decision.environment}`;
  if (decision.undecided) {
    return fitComment(
      `❌ change-policy could not decide on ${target}, so it rejects it (fail closed):`,
      decision.reasons,
      "Nothing was deployed. Re-run the deployment (Re-run jobs on this workflow run) to try again once this is fixed.",
    );
  }
  if (decision.state === "rejected") {
    const n = decision.reasons.length;
    return fitComment(
      `❌ change-policy rejected ${target}: it breaks the Change Management Policy (${n} reason${n === 1 ? "" : "s"}).`,
      decision.reasons,
      "Fix what is listed, then re-run the deployment.",
    );
  }
  const since = decision.previousSha ? `since the last successful deployment (${shortSha(decision.previousSha)})` : "(no earlier successful deployment: the deployed commit alone was checked)";
  if (decision.changes.length === 0) {
    return fitComment(`✅ change-policy approved ${target}: no new changes ${since}.`, [], "");
  }
  const n = decision.changes.length;
  return fitComment(
    `✅ change-policy approved ${target}: ${n} compliant change${n === 1 ? "" : "s"} ${since}:`,
    decision.changes.map((c) => `#${c.number} ${changeClassName(c.changeClass)}: ${oneLine(c.title)}`),
    "",
  );
}

/** The header, as many items as fit (whole items only, in order), "… and N more", the footer. */
export function fitComment(header: string, items: string[], footer: string, limit = MAX_DEPLOYMENT_COMMENT): string {
  const lines = items.map((item) => `- ${cut(oneLine(item), MAX_ITEM)}`);
  const tail = footer ? [footer] : [];
  const text = (shown: string[], hidden: number) => [header, ...shown, ...(hidden > 0 ? [`… and ${hidden} more`] : []), ...tail].join("\n");
  let shown = 0;
  while (shown < lines.length && text(lines.slice(0, shown + 1), lines.length - shown - 1).length <= limit) shown += 1;
  const result = text(lines.slice(0, shown), lines.length - shown);
  // Only an absurd header or footer could still be too long; cut it rather than have GitHub refuse the review.
  return result.length <= limit ? result : cut(result, limit);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
