// Unauthorized changes become security-incident issues (SPEC §4). Filled in by issue #4.
import type { Probot } from "probot";
import type { AppDependencies } from "../app.js";
import type { GitHubClient } from "../github/client.js";
import type { MergedPullContext } from "./merged-pull-context.js";

export function registerIncidents(_app: Probot, _deps: AppDependencies): void {}

export async function reportBypassMerge(_octokit: GitHubClient, _merged: MergedPullContext): Promise<void> {}
