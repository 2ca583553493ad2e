// What every service needs from the process that runs it (server, CLI, tests). Built once in
// src/app.ts (or by a command) and passed down; nothing here is created at import time.
import type { BackgroundWork } from "../infra/background.js";
import type { LedgerDatabase } from "../ledger/database.js";
import type { DurableWork } from "../infra/durable-work.js";
import type { LedgerWriter } from "./evidence.js";
import type { DeploymentGateDeps } from "./deployment-gate.js";
import type { MergeGroupDeps } from "./merge-group.js";
import type { FreezeBoundaryLearner } from "./freeze-timer.js";

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
  /** The evidence ledger (SPEC §10): every decision is recorded when there is one. */
  ledger?: LedgerWriter;
  /** The ledger's database once open (the deployment gate reads `merge` entries); null while it is not. */
  ledgerDatabase?: () => LedgerDatabase | null;
  /** Durable pending work (SPEC §12) on the app's database; null while it is not open. */
  pendingWork?: () => DurableWork | null;
  deploymentGate?: DeploymentGateWiring;
  mergeGroup?: MergeGroupWiring;
  /** Remembers the next edge of a policy's change freezes, to re-evaluate at that moment (src/services/freeze-timer.ts). */
  freezeTimer?: FreezeBoundaryLearner;
}

/** The log every service writes to: Probot's logger, a child of it, or a command's. */
export interface ServiceLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  child(bindings: object): ServiceLog;
}
