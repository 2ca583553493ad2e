// Pull request activity and re-run requests → one coalesced evaluation of each PR concerned
// (src/services/evaluation.ts). A closed PR's check no longer gates anything; merges are
// src/handlers/merged-pull.ts's.
import type { Probot } from "probot";
import { CHECK_NAME, REEVALUATE_ACTION } from "../github/check.js";
import type { ServiceDependencies } from "../services/dependencies.js";
import { reevaluateCheckedCommit, scheduleEvaluation } from "../services/evaluation.js";
import { fromDelivery } from "./delivery.js";
import { workKey } from "../infra/durable-work.js";
import { rememberWork } from "../services/pending-work.js";
import { recordEditAfterMerge } from "../services/merged-pull.js";

export const PULL_EVENTS = [
  "pull_request.opened",
  "pull_request.reopened",
  "pull_request.edited",
  "pull_request.synchronize",
  "pull_request.labeled",
  "pull_request.unlabeled",
  "pull_request.ready_for_review",
  "pull_request.converted_to_draft",
  "pull_request.review_requested",
  "pull_request_review.submitted",
  "pull_request_review.edited",
  "pull_request_review.dismissed",
] as const;

export function registerPullRequestEvents(app: Probot, deps: ServiceDependencies): void {
  app.on([...PULL_EVENTS], async (context) => {
    const pr = context.payload.pull_request;
    const { action } = context.payload;
    // A closed PR's check no longer gates anything; an edit after a merge is evidence (the ledger's).
    if (pr.state !== "open") {
      if (!("merged" in pr && pr.merged) || !(action === "edited" || action === "labeled" || action === "unlabeled")) return;
      const { octokit, log, installationId } = fromDelivery(context, deps, { pr: pr.number });
      await recordEditAfterMerge(octokit, { pull: { ...context.repo(), number: pr.number }, baseRef: pr.base.ref, ...(installationId ? { installationId } : {}) }, deps, log);
      return;
    }
    const { octokit, log, installationId } = fromDelivery(context, deps, { pr: pr.number });
    const request = { pull: { ...context.repo(), number: pr.number }, headShaHint: pr.head.sha, baseRefHint: pr.base.ref, ...(installationId ? { installationId } : {}) };
    // Recorded before the delivery is answered, so a crash in the coalescing window loses nothing.
    await rememberWork(deps, { kind: "evaluate", key: workKey.evaluate(installationId, request.pull), payload: request }, log);
    // Not awaited: the delivery is answered now, the evaluation runs after the PR's burst of events.
    void scheduleEvaluation(octokit, request, deps, log);
  });

  app.on(["check_run.rerequested", "check_run.requested_action"], async (context) => {
    const run = context.payload.check_run;
    if (run.name !== CHECK_NAME || !isOurApp(run.app?.id, deps)) return;
    // A merge group's check is re-run by src/handlers/merge-group.ts.
    if (run.check_suite?.head_branch?.startsWith("gh-readonly-queue/")) return;
    if (context.payload.action === "requested_action" && context.payload.requested_action?.identifier !== REEVALUATE_ACTION) return;
    const { octokit, log, installationId } = fromDelivery(context, deps);
    await reevaluateCheckedCommit(octokit, { ...context.repo(), headSha: run.head_sha, pulls: run.pull_requests, installationId }, deps, log);
  });

  app.on("check_suite.rerequested", async (context) => {
    const suite = context.payload.check_suite;
    if (!isOurApp(suite.app?.id, deps)) return;
    const { octokit, log, installationId } = fromDelivery(context, deps);
    await reevaluateCheckedCommit(octokit, { ...context.repo(), headSha: suite.head_sha, pulls: suite.pull_requests, installationId }, deps, log);
  });
}

function isOurApp(appId: number | null | undefined, deps: ServiceDependencies): boolean {
  return deps.appId === undefined || appId === deps.appId;
}
