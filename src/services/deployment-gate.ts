// The deployment gate (SPEC §8): a `deployment_protection_rule` request in, exactly one review of
// the workflow run out (approved or rejected, with the comment), and the decision returned so the
// ledger can record it. It never throws: whatever breaks becomes a rejection that says why and that
// the deployment can be re-run (fail closed).
import type { Logger } from "probot";
import { LRUCache } from "lru-cache";
import type { Config } from "../config/schema.js";
import { formatProblem } from "../config/load.js";
import { describeFailure, type GitHubClient } from "../github/client.js";
import { loadPolicyConfig } from "../github/config.js";
import {
  DeploymentFactsError,
  readDeploymentFacts,
  reviewDeployment,
  type MergeEntryLookup,
} from "../github/deployments.js";
import {
  decideDeployment,
  isGuardedEnvironment,
  undecidedDeployment,
  type ActiveFreeze,
  type DeploymentDecision,
} from "../policy/deployment.js";
import { recordError } from "../metrics.js";
import { renderDeploymentComment } from "../render/deployment.js";

export interface DeploymentGateDeps {
  now: () => Date;
  /** This GitHub App's id: only our own `Change Policy` check runs count. */
  appId?: number;
  log: Logger;
  /** Called once per decision GitHub accepted (the ledger's recorder). */
  record?: (decision: RecordedDeploymentDecision) => void | Promise<void>;
  /** The policy's change freezes in force for the environment now (SPEC §9); none when absent. */
  activeFreezes?: (config: Config, now: Date, where: { environment: string }) => ActiveFreeze[];
  /** The ledger's `merge` entry of a pull request, when there is a ledger. */
  mergeEntryOf?: MergeEntryLookup;
  /** Decisions already made by this process (redeliveries); one per process by default. */
  memory?: DecisionMemory;
}

/** What a `deployment_protection_rule.requested` delivery says, in the app's terms. */
export interface DeploymentProtectionRequest {
  owner: string;
  repo: string;
  environment: string;
  sha: string;
  ref: string | null;
  deploymentId: number | null;
  /** The workflow run to review, from `deployment_callback_url`; null when it cannot be read. */
  runId: number | null;
  deployer: string | null;
  defaultBranch: string;
  installationId?: number;
  /** GitHub's delivery id (X-GitHub-Delivery): the same for a redelivery of the event, new for a re-run. */
  deliveryId?: string;
}

export interface RecordedDeploymentDecision extends DeploymentDecision {
  repository: string;
  deploymentId: number | null;
  runId: number;
  deployer: string | null;
  comment: string;
  decidedAt: string;
}

export interface DeploymentGateOutcome {
  decision: DeploymentDecision;
  comment: string;
  /**
   * sent: GitHub took the review; already-decided: GitHub had one (another replica or an earlier
   * delivery); duplicate: this process decided it already; not-sent: GitHub could not be told
   * (no run in the payload, or the review call failed even as a rejection).
   */
  delivery: "sent" | "already-decided" | "duplicate" | "not-sent";
}

/** Deployment requests this process has answered or is answering (for an hour), and their decisions. */
export class DecisionMemory {
  private readonly seen = new LRUCache<string, { decision: DeploymentDecision | null }>({ max: 10_000, ttl: 60 * 60 * 1000 });
  /** True when the key was new (and is now taken). */
  take(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.set(key, { decision: null });
    return true;
  }
  remember(key: string, decision: DeploymentDecision): void {
    this.seen.set(key, { decision });
  }
  /** The decision taken for the key; null while it is being decided. */
  decisionOf(key: string): DeploymentDecision | null {
    return this.seen.get(key)?.decision ?? null;
  }
  /** Nothing reached GitHub: a redelivery must be able to try again. */
  release(key: string): void {
    this.seen.delete(key);
  }
}

const defaultMemory = new DecisionMemory();

export async function runDeploymentGate(
  octokit: GitHubClient,
  request: DeploymentProtectionRequest,
  deps: DeploymentGateDeps,
): Promise<DeploymentGateOutcome> {
  const memory = deps.memory ?? defaultMemory;
  const log = deps.log;
  // GitHub's delivery id names the event and is kept by redeliveries; a re-run of the job is a new
  // event (possibly for the same run), which must be decided again.
  const key = [`${request.owner}/${request.repo}`.toLowerCase(), request.environment, request.runId ?? "-", request.deploymentId ?? "-", request.deliveryId ?? "-"].join(":");
  if (!memory.take(key)) {
    log.info({ key }, "deployment request already answered by this process (redelivery): no second review");
    const decision = memory.decisionOf(key) ?? undecidedDeployment(request.environment, request.sha, "The same request is being decided already.");
    return { decision, comment: "", delivery: "duplicate" };
  }

  const decision = await decide(octokit, request, deps);
  let comment = renderDeploymentComment(decision);
  if (request.runId === null) {
    memory.release(key);
    log.error({ environment: request.environment, sha: request.sha }, "deployment request without a usable deployment_callback_url: it cannot be answered");
    return { decision, comment, delivery: "not-sent" };
  }
  const where = { owner: request.owner, repo: request.repo, runId: request.runId, environment: request.environment };

  let sent: DeploymentDecision = decision;
  let delivery: DeploymentGateOutcome["delivery"];
  try {
    delivery = await reviewDeployment(octokit, where, decision.state, comment);
  } catch (error) {
    log.error({ err: error, state: decision.state }, "the review of the deployment failed");
    recordError("deployment_review");
    // Fail closed: an approval GitHub did not take becomes a rejection saying why, if GitHub takes that.
    const { reason } = describeFailure(error);
    sent = undecidedDeployment(request.environment, request.sha, `Sending the decision to GitHub failed: ${reason}`);
    comment = renderDeploymentComment(sent);
    try {
      delivery = await reviewDeployment(octokit, where, "rejected", comment);
    } catch (again) {
      log.error({ err: again }, "the fail-closed rejection failed too; a redelivery or re-run retries");
      memory.release(key);
      return { decision: sent, comment, delivery: "not-sent" };
    }
  }

  memory.remember(key, sent);
  log.info(
    { environment: request.environment, sha: request.sha, verdict: sent.state, reasons: sent.reasons.length, changes: sent.changes.map((c) => c.number), delivery },
    delivery === "sent" ? "deployment reviewed" : "deployment already reviewed (GitHub refused a second review)",
  );
  if (delivery === "sent" && deps.record) {
    const recorded: RecordedDeploymentDecision = {
      ...sent,
      repository: `${request.owner}/${request.repo}`,
      deploymentId: request.deploymentId,
      runId: request.runId,
      deployer: request.deployer,
      comment,
      decidedAt: deps.now().toISOString(),
    };
    try {
      await deps.record(recorded);
    } catch (error) {
      // Recording is the ledger's business (it retries); the decision stands.
      log.error({ err: error }, "recording the deployment decision failed");
    }
  }
  return { decision: sent, comment, delivery };
}

/** The decision itself; every failure is a fail-closed rejection. */
async function decide(octokit: GitHubClient, request: DeploymentProtectionRequest, deps: DeploymentGateDeps): Promise<DeploymentDecision> {
  const { environment, sha } = request;
  const undecided = (reason: string) => undecidedDeployment(environment, sha, reason);
  if (!/^[0-9a-f]{40}$/.test(sha) || environment === "") {
    return undecided("The deployment request does not name a commit and an environment, so there is nothing the app can check.");
  }
  try {
    // The default branch's policy governs deployments: a branch being deployed cannot loosen it.
    const policy = await loadPolicyConfig(octokit, { owner: request.owner, repo: request.repo, ref: request.defaultBranch });
    if (policy.kind === "none") {
      return undecided(
        `No change policy applies to ${request.owner}/${request.repo}: add \`.github/change-policy.yml\` (with \`deployments:\`) to \`${request.defaultBranch}\` or to the organisation's \`.github\` repository, or remove change-policy from this environment's deployment protection rules.`,
      );
    }
    if (policy.kind === "invalid") {
      const first = policy.problems.slice(0, 3).map((p) => formatProblem(p));
      return undecided(
        `The policy file is invalid (${policy.problems.length} problem${policy.problems.length === 1 ? "" : "s"}): ${first.join("; ")}${policy.problems.length > 3 ? "; …" : ""}. Fix it on \`${request.defaultBranch}\` (\`change-policy validate\` checks it).`,
      );
    }
    const config = policy.config;
    if (!isGuardedEnvironment(config.deployments, environment)) {
      const list = config.deployments.environments.length > 0 ? config.deployments.environments.map((e) => `\`${e}\``).join(", ") : "none";
      return undecided(
        `The environment \`${environment}\` asks change-policy to decide, but \`deployments.environments\` (${list}) does not include it. Add it to the policy, or remove change-policy from this environment's deployment protection rules.`,
      );
    }
    const facts = await readDeploymentFacts(
      octokit,
      config,
      {
        owner: request.owner,
        repo: request.repo,
        environment,
        sha,
        ref: request.ref,
        deploymentId: request.deploymentId,
        defaultBranch: request.defaultBranch,
        deployer: request.deployer,
      },
      {
        ...(deps.appId !== undefined ? { appId: deps.appId } : {}),
        ...(request.installationId !== undefined ? { installationId: request.installationId } : {}),
        ...(deps.mergeEntryOf ? { mergeEntryOf: deps.mergeEntryOf } : {}),
      },
    );
    const activeFreezes = deps.activeFreezes?.(config, deps.now(), { environment }) ?? [];
    return decideDeployment(config.deployments, { ...facts, activeFreezes });
  } catch (error) {
    deps.log.error({ err: error }, "deployment decision failed; rejecting (fail closed)");
    recordError("deployment_decision");
    return undecided(error instanceof DeploymentFactsError ? error.message : describeFailure(error).reason);
  }
}
