// What every handler takes from a webhook delivery: the instrumented client (budget, conditional
// requests), a log carrying the delivery id and repository, and the installation.
import type { Context } from "probot";
import { deliveryClient } from "../github/instrument.js";
import type { GitHubClient } from "../github/client.js";
import type { ServiceDependencies } from "../services/dependencies.js";

export interface Delivery {
  octokit: GitHubClient;
  log: Context["log"];
  installationId?: number;
}

export function fromDelivery(context: Context, deps: ServiceDependencies, fields: Record<string, unknown> = {}): Delivery {
  const payload = context.payload as { installation?: { id: number }; repository?: { full_name?: string } };
  const installationId = payload.installation?.id;
  const repo = payload.repository?.full_name;
  return {
    octokit: deliveryClient(context, deps.background?.budget),
    log: context.log.child({ deliveryId: context.id, ...(repo ? { repo } : {}), ...fields }),
    ...(installationId ? { installationId } : {}),
  };
}
