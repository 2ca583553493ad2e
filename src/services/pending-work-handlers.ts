// How the pending-work runner (src/infra/durable-work.ts) does a job that a delivery recorded but no
// process finished: as the app's installation, through the same services the handlers call.
import type { Probot } from "probot";
import type { GitHubClient } from "../github/client.js";
import { instrumentClient } from "../github/instrument.js";
import { isTransientFailure } from "../github/transient-errors.js";
import type { JobHandler } from "../infra/durable-work.js";
import type { ServiceDependencies, ServiceLog } from "./dependencies.js";
import { evaluatePullRequest, type EvaluationRequest } from "./evaluation.js";
import { reportUnauthorizedPush, type PushFacts } from "./incidents.js";
import { handleMergedPull, type MergedPullEvent } from "./merged-pull.js";
import type { PendingKind } from "./pending-work.js";

export function pendingWorkHandlers(probot: Probot, deps: ServiceDependencies, log: ServiceLog): Record<PendingKind, JobHandler> {
  const client = async (installationId: number | undefined): Promise<GitHubClient> =>
    instrumentClient((await probot.auth(installationId)) as GitHubClient, installationId, deps.background?.budget);
  return {
    async evaluate(job) {
      const request = job.payload as EvaluationRequest;
      const outcome = await evaluatePullRequest(await client(request.installationId), request, deps, log.child({ job: job.key }) as never);
      // A fail-closed check was written; a transient cause is worth another run (the runner backs off).
      if (outcome.error !== undefined && isTransientFailure(outcome.error)) throw outcome.error;
    },
    async merged_pull(job) {
      const merge = job.payload as MergedPullEvent;
      await handleMergedPull(await client(merge.installationId), merge, deps, log.child({ job: job.key }) as never);
    },
    async push(job) {
      const push = job.payload as PushFacts & { installationId?: number };
      await reportUnauthorizedPush(await client(push.installationId), push, deps, log.child({ job: job.key }) as never);
    },
  };
}
