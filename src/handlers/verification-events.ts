// A check run, check suite or commit status completed → the PRs at that commit are re-evaluated when a
// policy requires it (src/services/verification-events.ts). Our own runs and suites are ignored.
import type { Probot } from "probot";
import type { ServiceDependencies } from "../services/dependencies.js";
import { reevaluateAfterVerification } from "../services/verification-events.js";
import { fromDelivery } from "./delivery.js";

export function registerVerificationEvents(app: Probot, deps: ServiceDependencies): void {
  app.on("check_run.completed", async (context) => {
    const run = context.payload.check_run;
    if (isOurApp(run.app?.id, deps)) return;
    const { octokit, log, installationId } = fromDelivery(context, deps, { check: run.name });
    const event = { ...context.repo(), headSha: run.head_sha, reported: { name: run.name }, pulls: run.pull_requests, defaultBranch: context.payload.repository.default_branch };
    await reevaluateAfterVerification(octokit, { ...event, ...(installationId ? { installationId } : {}) }, deps, log);
  });

  app.on("check_suite.completed", async (context) => {
    const suite = context.payload.check_suite;
    if (isOurApp(suite.app?.id, deps)) return;
    const { octokit, log, installationId } = fromDelivery(context, deps, { suite: suite.id });
    const event = { ...context.repo(), headSha: suite.head_sha, reported: { suiteId: suite.id }, pulls: suite.pull_requests, defaultBranch: context.payload.repository.default_branch };
    await reevaluateAfterVerification(octokit, { ...event, ...(installationId ? { installationId } : {}) }, deps, log);
  });

  app.on("status", async (context) => {
    const status = context.payload;
    const { octokit, log, installationId } = fromDelivery(context, deps, { status: status.context });
    const event = { ...context.repo(), headSha: status.sha, reported: { name: status.context }, pulls: undefined, defaultBranch: status.repository.default_branch };
    await reevaluateAfterVerification(octokit, { ...event, ...(installationId ? { installationId } : {}) }, deps, log);
  });
}

/** Only a known app id identifies our runs (without one, no run is taken for ours). */
function isOurApp(appId: number | null | undefined, deps: ServiceDependencies): boolean {
  return deps.appId !== undefined && appId === deps.appId;
}
