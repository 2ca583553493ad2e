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
import { recordDeployment, recordMergeGroup } from "./services/evidence.js";
import { CHANGE_CLASSES } from "./config/schema.js";
import type { MergeBody } from "./ledger/entries.js";
import { subjects } from "./ledger/entries.js";
import { firstEntryOf } from "./ledger/read.js";
import { activeFreezes } from "./policy/freezes.js";
import type { PullRef } from "./policy/refs.js";
import { registerDeploymentGate } from "./handlers/deployment-protection-rule.js";
import { registerMergeGroup } from "./handlers/merge-group.js";
import { registerVerificationEvents } from "./handlers/verification-events.js";
import { registerRegisterIssueEdited } from "./handlers/register-issue-edited.js";
import { startFreezeTimer } from "./services/freeze-boundary.js";

/** The app function, plus the hooks the server's graceful shutdown needs. */
export type ChangePolicyApp = ((app: Probot) => void) & {
  background: BackgroundWork;
  /** Evaluations waiting for their window or running, plus queued re-evaluations. */
  pending(): number;
  /** Graceful shutdown: call after the HTTP server stopped accepting deliveries, before exiting. */
  drain(): Promise<void>;
};

export function createApp(given: ServiceDependencies & { background: BackgroundWork }): ChangePolicyApp {
  const deps = withLedgerWiring(given);
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
    registerVerificationEvents(app, deps);
    registerRegisterIssueEdited(app, deps);
    startFreezeTimer(app, deps);
  };
  return Object.assign(load, {
    background,
    pending: () => background.pending(),
    drain: () => background.drain(),
  });
}

/** The deployment gate and merge queue read and write the ledger and the policy's freezes through these. */
function withLedgerWiring<T extends ServiceDependencies>(deps: T): T {
  const { ledger, ledgerDatabase } = deps;
  const mergeEntryOf = ledgerDatabase
    ? async (pull: PullRef) => {
        const database = ledgerDatabase();
        if (!database) return null;
        const entry = await firstEntryOf(database, `${pull.owner}/${pull.repo}`, subjects.pull(pull.number), "merge");
        if (!entry) return null;
        const body = entry.body as unknown as MergeBody;
        return { conclusion: body.check_conclusion, changeClass: CHANGE_CLASSES.find((c) => c === body.class) ?? null };
      }
    : undefined;
  return {
    ...deps,
    deploymentGate: {
      activeFreezes,
      ...(ledger ? { record: (decision) => recordDeployment(ledger, decision) } : {}),
      ...(mergeEntryOf ? { mergeEntryOf } : {}),
      ...deps.deploymentGate,
    },
    mergeGroup: { ...(ledger ? { record: (check) => recordMergeGroup(ledger, check) } : {}), ...deps.mergeGroup },
  };
}
