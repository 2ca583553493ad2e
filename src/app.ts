// The Probot application: wires GitHub events to the handlers, one file per concern.
import type { Probot } from "probot";
import { registerPullEvaluation } from "./handlers/evaluate-pull.js";
import { registerEmergencyFollowUp } from "./handlers/emergency-followup.js";
import { registerIncidents } from "./handlers/incidents.js";
import { registerMergedPull } from "./handlers/merged-pull.js";

export interface AppDependencies {
  /** The clock; tests pass a fixed one. */
  now: () => Date;
  /** This GitHub App's id: only our own `Change Policy` check runs are read, updated and re-run. */
  appId?: number;
}

export function createApp(deps: Partial<AppDependencies> = {}) {
  const envAppId = Number(process.env.APP_ID);
  const resolved: AppDependencies = {
    now: () => new Date(),
    ...(Number.isInteger(envAppId) && envAppId > 0 ? { appId: envAppId } : {}),
    ...deps,
  };
  return (app: Probot): void => {
    registerPullEvaluation(app, resolved);
    registerEmergencyFollowUp(app, resolved);
    registerIncidents(app, resolved);
    registerMergedPull(app, resolved);
  };
}

export default createApp();
