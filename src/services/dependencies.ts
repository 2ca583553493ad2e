// What every service needs from the process that runs it (server, CLI, tests). Built once in
// src/app.ts (or by a command) and passed down; nothing here is created at import time.
import type { BackgroundWork } from "../infra/background.js";
import type { DeploymentGateDeps } from "./deployment-gate.js";
import type { MergeGroupDeps } from "./merge-group.js";

/** The deployment gate's links to the ledger and the policy's freezes (SPEC §8). */
export type DeploymentGateWiring = Partial<Pick<DeploymentGateDeps, "record" | "activeFreezes" | "mergeEntryOf" | "memory">>;
/** The merge-group check's link to the ledger (SPEC §7). */
export type MergeGroupWiring = Partial<Pick<MergeGroupDeps, "record">>;

export interface ServiceDependencies {
  /** The clock; tests pass a fixed one. */
  now: () => Date;
  /** This GitHub App's id: only our own `Change Policy` check runs are read, updated and re-run. */
  appId?: number;
  /**
   * Coalesced evaluations and the paced re-evaluation queue. Without it (CLI, unit tests of other
   * services) evaluations run inline, within the delivery.
   */
  background?: BackgroundWork;
  deploymentGate?: DeploymentGateWiring;
  mergeGroup?: MergeGroupWiring;
}

/** The log every service writes to: Probot's logger, a child of it, or a command's. */
export interface ServiceLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  child(bindings: object): ServiceLog;
}
