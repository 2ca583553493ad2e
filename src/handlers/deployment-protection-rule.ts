// A `deployment_protection_rule.requested` delivery in, one call of the deployment gate (SPEC §8).
import type { Probot } from "probot";
import { runIdOfCallbackUrl } from "../github/deployments.js";
import { deliveryClient } from "../github/instrument.js";
import type { DeploymentGateWiring, ServiceDependencies } from "../services/dependencies.js";
import { runDeploymentGate } from "../services/deployment-gate.js";


interface ProtectionRulePayload {
  environment?: string;
  sha?: string;
  ref?: string;
  deployment_callback_url?: string;
  deployment?: { id: number; sha: string; ref: string; environment: string; creator: { login: string } | null } | null;
  sender?: { login: string } | null;
  repository: { default_branch?: string };
  installation?: { id: number };
}

export function registerDeploymentGate(app: Probot, deps: ServiceDependencies & DeploymentGateWiring): void {
  app.on("deployment_protection_rule.requested", async (context) => {
    const payload = context.payload as unknown as ProtectionRulePayload;
    const where = context.repo();
    const environment = payload.environment ?? payload.deployment?.environment ?? "";
    const sha = payload.deployment?.sha ?? payload.sha ?? "";
    const log = context.log.child({ deliveryId: context.id, repo: `${where.owner}/${where.repo}`, environment, deployment: payload.deployment?.id });
    await runDeploymentGate(
      deliveryClient(context, deps.background?.budget),
      {
        ...where,
        environment,
        sha,
        ref: payload.ref ?? payload.deployment?.ref ?? null,
        deploymentId: payload.deployment?.id ?? null,
        runId: runIdOfCallbackUrl(payload.deployment_callback_url),
        deployer: payload.deployment?.creator?.login ?? payload.sender?.login ?? null,
        defaultBranch: payload.repository.default_branch ?? "main",
        ...(payload.installation ? { installationId: payload.installation.id } : {}),
        deliveryId: context.id,
      },
      { now: deps.now, ...(deps.appId !== undefined ? { appId: deps.appId } : {}), log, ...wiring(deps) },
    );
  });
}

function wiring(deps: DeploymentGateWiring): DeploymentGateWiring {
  const out: DeploymentGateWiring = {};
  if (deps.record) out.record = deps.record;
  if (deps.activeFreezes) out.activeFreezes = deps.activeFreezes;
  if (deps.mergeEntryOf) out.mergeEntryOf = deps.mergeEntryOf;
  if (deps.memory) out.memory = deps.memory;
  return out;
}
