// What every handler takes from a webhook delivery: the instrumented client (budget, conditional
// requests), a log carrying the delivery id and repository, and the installation.
import type { Context } from "probot";
import { deliveryClient } from "../github/instrument.js";
import { deliveryLog } from "../logging.js";
import type { GitHubClient } from "../github/client.js";
import type { ServiceDependencies } from "../services/dependencies.js";

export interface Delivery {
  octokit: GitHubClient;
  log: Context["log"];
  installationId?: number;
}

export function fromDelivery(context: Context, deps: ServiceDependencies, fields: Record<string, unknown> = {}): Delivery {
  const installationId = (context.payload as { installation?: { id: number } }).installation?.id;
  // Every line carries the delivery id, repository and PR/issue (src/logging.ts), plus `fields`.
  const log = deliveryLog(context as never) as Context["log"];
  return {
    octokit: deliveryClient(context, deps.background?.budget),
    log: Object.keys(fields).length > 0 ? log.child(fields) : log,
    ...(installationId ? { installationId } : {}),
  };
}
