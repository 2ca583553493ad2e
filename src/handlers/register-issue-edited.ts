// `issues.edited` → the open pull requests that link the edited register issue are re-evaluated
// (src/services/register-issue-edited.ts).
import type { Probot } from "probot";
import type { ServiceDependencies } from "../services/dependencies.js";
import { reevaluatePullsLinkingIssue } from "../services/register-issue-edited.js";
import { fromDelivery } from "./delivery.js";

export function registerRegisterIssueEdited(app: Probot, deps: ServiceDependencies): void {
  app.on("issues.edited", async (context) => {
    const { issue, changes, repository } = context.payload;
    const labels = (issue.labels ?? []).flatMap((l) => (l && typeof l.name === "string" ? [l.name] : []));
    const { octokit, log, installationId } = fromDelivery(context, deps, { issue: issue.number });
    const edited = { ...context.repo(), number: issue.number, labels, bodyChanged: changes.body !== undefined, defaultBranch: repository.default_branch };
    await reevaluatePullsLinkingIssue(octokit, { ...edited, ...(installationId ? { installationId } : {}) }, deps, log);
  });
}
