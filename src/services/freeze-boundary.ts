// What the freeze timer (src/services/freeze-timer.ts) does at a change freeze's edge: re-evaluates
// every open PR of the repository through the paced queue, as a policy change does.
import type { Probot } from "probot";
import type { GitHubClient } from "../github/client.js";
import type { ServiceDependencies } from "./dependencies.js";
import { reevaluateAtFreezeBoundary } from "./policy-change.js";

/** Starts `deps.freezeTimer`, when there is one, with the installation's client for each edge. */
export function startFreezeTimer(app: Probot, deps: ServiceDependencies): void {
  deps.freezeTimer?.start(async (boundary) => {
    const [owner = "", repo = ""] = boundary.repository.split("/");
    const octokit = (await app.auth(boundary.installationId)) as GitHubClient;
    reevaluateAtFreezeBoundary(octokit, boundary.installationId, { owner, repo }, deps, app.log.child({ repo: boundary.repository, freezeBoundary: boundary.at.toISOString() }));
  });
}
