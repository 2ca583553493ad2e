// Emergency changes: the post-implementation review follow-up (SPEC §3). Filled in by issue #3.
import type { Probot } from "probot";
import type { AppDependencies } from "../app.js";

export function registerEmergencyFollowUp(_app: Probot, _deps: AppDependencies): void {}
