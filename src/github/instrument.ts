// Prepares a client for frugal use: budget accounting (rate limit, per-evaluation spending) and
// conditional requests. Idempotent, so every handler may call it on the delivery's client.
import { apiBudget, watchBudget, type ApiBudget } from "./budget.js";
import type { GitHubClient } from "./client.js";
import { useConditionalRequests } from "./conditional-requests.js";

const instrumented = new WeakSet<object>();

export function instrumentClient(octokit: GitHubClient, installationId: number | undefined, budget: ApiBudget = apiBudget): GitHubClient {
  if (instrumented.has(octokit)) return octokit;
  instrumented.add(octokit);
  const scope = installationId === undefined ? "token" : String(installationId);
  // Order matters: the budget hook is registered first so it sits closest to the network and sees
  // the 304s that the conditional-request hook then turns back into the remembered answer.
  watchBudget(octokit, scope, budget);
  useConditionalRequests(octokit, scope);
  return octokit;
}

/** The delivery's client, instrumented: every handler reads GitHub through this, never the raw one. */
export function deliveryClient(
  context: { octokit: unknown; payload: unknown },
  budget: ApiBudget = apiBudget,
): GitHubClient {
  const installationId = (context.payload as { installation?: { id?: number } }).installation?.id;
  return instrumentClient(context.octokit as GitHubClient, installationId, budget);
}
