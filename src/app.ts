// The Probot application: wires GitHub events to the handlers, one file per concern.
import type { Probot } from "probot";
import { registerPullEvaluation } from "./handlers/evaluate-pull.js";
import { registerEmergencyFollowUp } from "./handlers/emergency-followup.js";
import { registerIncidents } from "./handlers/incidents.js";
import { registerMergedPull } from "./handlers/merged-pull.js";
import { registerPolicyChange } from "./handlers/policy-change.js";
import { registerDeploymentGate, type DeploymentGateWiring } from "./handlers/deployment-protection-rule.js";
import { registerMergeGroup, type MergeGroupWiring } from "./handlers/merge-group.js";
import { BackgroundWork, settingsFromEnv } from "./infra/background.js";

export interface AppDependencies {
  /** The clock; tests pass a fixed one. */
  now: () => Date;
  /** This GitHub App's id: only our own `Change Policy` check runs are read, updated and re-run. */
  appId?: number;
  /**
   * Coalesced evaluations and the paced re-evaluation queue. Without it (CLI, unit tests of other
   * handlers) evaluations run inline, within the delivery.
   */
  background?: BackgroundWork;
  /** The deployment gate's links to the ledger and the policy's freezes (SPEC §8); none by default. */
  deploymentGate?: DeploymentGateWiring;
  /** The merge-group check's link to the ledger (SPEC §7); none by default. */
  mergeGroup?: MergeGroupWiring;
}

/** The app function, plus the hooks the server's graceful shutdown needs. */
export type ChangePolicyApp = ((app: Probot) => void) & {
  background: BackgroundWork;
  /** Evaluations waiting for their window or running, plus queued re-evaluations. */
  pending(): number;
  /** Graceful shutdown: call after the HTTP server stopped accepting deliveries, before exiting. */
  drain(): Promise<void>;
};

export function createApp(deps: Partial<AppDependencies> = {}): ChangePolicyApp {
  const envAppId = Number(process.env.APP_ID);
  const resolved: AppDependencies = {
    now: () => new Date(),
    ...(Number.isInteger(envAppId) && envAppId > 0 ? { appId: envAppId } : {}),
    ...deps,
  };
  const background = resolved.background ?? new BackgroundWork(settingsFromEnv());
  resolved.background = background;
  const load = (app: Probot): void => {
    background.log = app.log;
    registerPullEvaluation(app, resolved);
    registerEmergencyFollowUp(app, resolved);
    registerIncidents(app, resolved);
    registerMergedPull(app, resolved);
    registerPolicyChange(app, resolved);
    registerDeploymentGate(app, { ...resolved, ...resolved.deploymentGate });
    registerMergeGroup(app, { ...resolved, ...resolved.mergeGroup });
  };
  return Object.assign(load, {
    background,
    pending: () => background.pending(),
    drain: () => background.drain(),
  });
}

export default createApp();
