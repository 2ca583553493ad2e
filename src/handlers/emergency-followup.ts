// Emergency changes: the post-implementation review follow-up (SPEC §3). Filled in by issue #3.
import type { Probot } from "probot";
import type { AppDependencies } from "../app.js";
import type { GitHubClient } from "../github/client.js";
import type { MergedPullContext } from "./merged-pull-context.js";

export function registerEmergencyFollowUp(_app: Probot, _deps: AppDependencies): void {}

export async function openPostImplementationReview(_octokit: GitHubClient, _merged: MergedPullContext): Promise<void> {}
