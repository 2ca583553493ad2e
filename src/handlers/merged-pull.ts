// `pull_request.closed` with a merge → the merge's follow-up or incident (src/services/merged-pull.ts).
import type { Probot } from "probot";
import type { ServiceDependencies } from "../services/dependencies.js";
import { handleMergedPull } from "../services/merged-pull.js";
import { fromDelivery } from "./delivery.js";
import { workKey } from "../infra/durable-work.js";
import { rememberAndRunOnce } from "../services/pending-work.js";

export function registerMergedPull(app: Probot, deps: ServiceDependencies): void {
  app.on("pull_request.closed", async (context) => {
    const pr = context.payload.pull_request;
    if (!pr.merged) return;
    const { octokit, log, installationId } = fromDelivery(context, deps, { pr: pr.number });
    const merge = { pull: { ...context.repo(), number: pr.number }, baseRef: pr.base.ref, mergeCommitSha: pr.merge_commit_sha ?? null, ...(installationId ? { installationId } : {}) };
    const key = workKey.followUp(merge.pull);
    await rememberAndRunOnce(deps, { kind: "merged_pull", key, payload: merge }, log, () => handleMergedPull(octokit, merge, deps, log));
  });
}
