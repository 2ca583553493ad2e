// Required checks (SPEC §9 "Verification"): when a check run, check suite or commit status that some
// policy requires completes, the pull requests at that commit are evaluated again (coalesced, like
// any other event). Other apps' check traffic is frequent, so the policy is read first (a free 304
// when unchanged) and nothing more happens unless a required name is concerned.
import type { Logger } from "probot";
import { CHECK_NAME } from "../github/check.js";
import type { GitHubClient } from "../github/client.js";
import { loadPolicyConfig } from "../github/config.js";
import { openPullsAtHead } from "../github/commit-pulls.js";
import { requiredCheckNames } from "../policy/verification.js";
import type { ServiceDependencies } from "./dependencies.js";
import { reevaluateCheckedCommit } from "./evaluation.js";

export interface CompletedVerification {
  owner: string;
  repo: string;
  headSha: string;
  /** A check run's or status's name; a suite carries none, so its runs are listed when it matters. */
  reported: { name: string } | { suiteId: number };
  /** The PRs the payload names (check runs and suites; empty for forks); undefined for a status. */
  pulls: { number: number; base?: { ref: string } }[] | undefined;
  /** Where the policy is read when the payload names no PR. */
  defaultBranch: string;
  installationId?: number;
}

/** Re-evaluates the PRs at the commit when what completed is a check some policy requires. */
export async function reevaluateAfterVerification(octokit: GitHubClient, event: CompletedVerification, deps: ServiceDependencies, log: Logger): Promise<void> {
  // Our own check never verifies itself.
  if ("name" in event.reported && event.reported.name === CHECK_NAME) return;
  const required = await requiredNamesAt(octokit, event);
  if (required.size === 0) return;
  if (!(await concernsRequired(octokit, event, required))) return;
  log.info({ headSha: event.headSha, ...event.reported }, "a required check completed: re-evaluating the pull requests at its commit");
  const { owner, repo, headSha, installationId } = event;
  // A status names no PR, a fork's check run none either: the commit's open PRs, whose policy is most
  // likely the default branch's just read (a wrong hint only costs the read at the real base).
  const pulls = event.pulls && event.pulls.length > 0 ? event.pulls : (await openPullsAtHead(octokit, { owner, repo }, headSha)).map((number) => ({ number, base: { ref: event.defaultBranch } }));
  if (pulls.length === 0) return;
  await reevaluateCheckedCommit(octokit, { owner, repo, headSha, pulls, ...(installationId ? { installationId } : {}) }, deps, log);
}

/** The names the policy of each base branch concerned requires (the default branch without a PR). */
async function requiredNamesAt(octokit: GitHubClient, event: CompletedVerification): Promise<Set<string>> {
  const bases = new Set((event.pulls ?? []).flatMap((p) => (p.base ? [p.base.ref] : [])));
  if (bases.size === 0) bases.add(event.defaultBranch);
  const names = new Set<string>();
  for (const ref of bases) {
    const policy = await loadPolicyConfig(octokit, { owner: event.owner, repo: event.repo, ref });
    // An invalid policy already fails every PR's check; a completed check changes nothing of that.
    if (policy.kind === "ok") for (const name of requiredCheckNames(policy.config)) names.add(name);
  }
  return names;
}

/** Whether the completed run, status or any run of the completed suite has a required name. */
async function concernsRequired(octokit: GitHubClient, event: CompletedVerification, required: Set<string>): Promise<boolean> {
  if ("name" in event.reported) return required.has(event.reported.name);
  const res = await octokit.request("GET /repos/{owner}/{repo}/check-suites/{check_suite_id}/check-runs", {
    owner: event.owner,
    repo: event.repo,
    check_suite_id: event.reported.suiteId,
    per_page: 100,
  });
  return res.data.check_runs.some((run) => required.has(run.name));
}
