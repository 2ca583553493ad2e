// `issues.closed` on one of the app's follow-up issues → completed, or reopened when the closer may
// not close it (src/services/follow-up.ts).
import { isoUtc } from "../policy/time.js";
import type { Probot } from "probot";
import { readReviewTerms } from "../policy/post-review.js";
import type { ServiceDependencies } from "../services/dependencies.js";
import { handleFollowUpClosed } from "../services/follow-up.js";
import { fromDelivery } from "./delivery.js";

export function registerFollowUpClosed(app: Probot, deps: ServiceDependencies): void {
  app.on("issues.closed", async (context) => {
    const issue = context.payload.issue;
    const terms = readReviewTerms(issue.body);
    if (!terms) return; // not a follow-up issue (or a duplicate the app closed itself)
    const { octokit, log, installationId } = fromDelivery(context, deps, { issue: issue.number });
    await handleFollowUpClosed(octokit, {
      issue: { ...context.repo(), number: issue.number },
      terms,
      closedBy: context.payload.sender.login.toLowerCase(),
      closedAt: issue.closed_at ?? isoUtc(deps.now()),
      ...(installationId ? { installationId } : {}),
      log,
    });
  });
}
