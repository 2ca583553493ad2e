// The Probot application: wires GitHub events to the handlers, one file per concern.
import type { Probot } from "probot";
import { registerPullEvaluation } from "./handlers/evaluate-pull.js";
import { registerEmergencyFollowUp } from "./handlers/emergency-followup.js";
import { registerIncidents } from "./handlers/incidents.js";

export interface AppDependencies {
  /** The clock; tests and `explain` pass a fixed one. */
  now: () => Date;
}

export function createApp(deps: Partial<AppDependencies> = {}) {
  const resolved: AppDependencies = { now: () => new Date(), ...deps };
  return (app: Probot): void => {
    registerPullEvaluation(app, resolved);
    registerEmergencyFollowUp(app, resolved);
    registerIncidents(app, resolved);
  };
}

export default createApp();
