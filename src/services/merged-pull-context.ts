// What the handlers of a merged pull request receive: the merge is read from GitHub once
// (config, snapshot, the check at merge time) and shared by the emergency follow-up and the
// bypass-incident handlers, so a merge costs its reads only once.
import type { Logger } from "probot";
import type { Config } from "../config/schema.js";
import type { Verdict } from "../policy/evaluate.js";
import type { PullSnapshot } from "../policy/snapshot.js";
import type { ExistingCheck } from "../github/types.js";

export interface MergedPullContext {
  config: Config;
  /** snapshot.state is "merged"; mergedAt / mergedBy are set. */
  snapshot: PullSnapshot;
  verdict: Verdict;
  /** The `Change Policy` check on the head commit when the PR was merged (null: there was none). */
  check: ExistingCheck | null;
  now: Date;
  log: Logger;
}
