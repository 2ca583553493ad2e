// The Probot application: each GitHub event goes to one thin handler (src/handlers), which makes one
// call into src/services. Nothing happens at import time: the server (or a test) calls createApp
// with what the services need.
import type { Probot } from "probot";
import { registerFollowUpClosed } from "./handlers/follow-up-closed.js";
import { registerInstallation } from "./handlers/installation.js";
import { registerMergedPull } from "./handlers/merged-pull.js";
import { registerPullRequestEvents } from "./handlers/pull-request.js";
import { registerPush } from "./handlers/push.js";
import type { BackgroundWork } from "./infra/background.js";
import type { ServiceDependencies } from "./services/dependencies.js";
import { registerDeploymentGate } from "./handlers/deployment-protection-rule.js";
import { registerMergeGroup } from "./handlers/merge-group.js";

/** The app function, plus the hooks the server's graceful shutdown needs. */
export type ChangePolicyApp = ((app: Probot) => void) & {
  background: BackgroundWork;
  /** Evaluations waiting for their window or running, plus queued re-evaluations. */
  pending(): number;
  /** Graceful shutdown: call after the HTTP server stopped accepting deliveries, before exiting. */
  drain(): Promise<void>;
};

export function createApp(deps: ServiceDependencies & { background: BackgroundWork }): ChangePolicyApp {
  const { background } = deps;
  const load = (app: Probot): void => {
    background.log = app.log;
    registerPullRequestEvents(app, deps);
    registerMergedPull(app, deps);
    registerFollowUpClosed(app, deps);
    registerPush(app, deps);
    registerInstallation(app, deps);
    registerDeploymentGate(app, { ...deps, ...deps.deploymentGate });
    registerMergeGroup(app, { ...deps, ...deps.mergeGroup });
  };
  return Object.assign(load, {
    background,
    pending: () => background.pending(),
    drain: () => background.drain(),
  });
}
