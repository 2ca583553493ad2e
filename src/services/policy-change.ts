// No pull request keeps a verdict made under an old policy. When `.github/change-policy.yml`
// changes on a branch, the open PRs based on that branch are re-evaluated; when it changes on the
// default branch of the organisation's `.github` repository, so are the open PRs of every
// repository it governs (no file of its own, or one that `_extends` it); after the app is
// installed on repositories, their open PRs. All of it goes through the paced queue
// (src/infra/paced-queue.ts) so that a policy change in a big organisation does not spend the
// installation's whole hourly API budget at once.
import type { Logger } from "probot";
import { CONFIG_PATH } from "../config/load.js";
import type { GitHubClient } from "../github/client.js";
import { loadPolicyConfig, ORG_CONFIG_REPO } from "../github/config.js";
import { installationRepositories } from "../github/repositories.js";
import type { BackgroundWork } from "../infra/background.js";
import type { RepoRef } from "../github/types.js";
import { isZeroSha } from "../policy/incidents.js";
import type { ServiceDependencies } from "./dependencies.js";
import { scheduleEvaluation } from "./evaluation.js";

/** GitHub lists at most this many commits in a push payload (and the files of big commits may be cut). */
export const PUSH_COMMITS_LISTED = 20;

export interface PushedCommit {
  added?: string[];
  modified?: string[];
  removed?: string[];
}

/** Whether a push's commit lists show a change to the policy file: `unknown` when they may be incomplete. */
export function pushTouchesPolicy(commits: PushedCommit[] | undefined): "yes" | "no" | "unknown" {
  if (!commits || commits.length === 0 || commits.length >= PUSH_COMMITS_LISTED) return "unknown";
  const touched = commits.some((c) => [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])].includes(CONFIG_PATH));
  return touched ? "yes" : "no";
}

/** Which open PRs of a repository to re-evaluate. */
type Scope = "all" | "with-policy" | "governed-by-org";

interface RepoTarget {
  owner: string;
  repo: string;
  /** Only PRs into this branch; all open PRs when absent. */
  base?: string;
  scope: Scope;
}

/** What a push says about itself, as far as the policy's re-evaluation cares. */
export interface PolicyPush {
  owner: string;
  repo: string;
  ref: string;
  before: string;
  after: string;
  deleted: boolean;
  defaultBranch?: string;
  commits: PushedCommit[] | undefined;
  installationId?: number;
}

/** A push that changes the policy file re-evaluates the open PRs it governs (paced). */
export async function reevaluateAfterPolicyPush(octokit: GitHubClient, push: PolicyPush, deps: ServiceDependencies, log: Logger): Promise<void> {
  const background = deps.background;
  if (!background || push.deleted || !push.ref.startsWith("refs/heads/")) return;
  const branch = push.ref.slice("refs/heads/".length);
  const { owner, repo } = push;

  let touched = pushTouchesPolicy(push.commits);
  if (touched === "unknown") touched = await compareTouchesPolicy(octokit, owner, repo, push.before, push.after, log);
  if (touched === "no") return;

  const installation = String(push.installationId ?? "-");
  log.info({ path: CONFIG_PATH }, "the policy changed: re-evaluating the open pull requests it governs");
  enqueueRepository(background, octokit, installation, { owner, repo, base: branch, scope: "all" }, deps, log);
  if (repo.toLowerCase() === ORG_CONFIG_REPO && branch === push.defaultBranch) {
    background.queue.push({
      key: `installation-repos:${installation}`,
      installation,
      run: async () => {
        for (const r of await installationRepositories(octokit)) {
          if (r.repo.toLowerCase() === ORG_CONFIG_REPO || r.owner.toLowerCase() !== owner.toLowerCase()) continue;
          enqueueRepository(background, octokit, installation, { owner: r.owner, repo: r.repo, scope: "governed-by-org" }, deps, log);
        }
      },
    });
  }
}

/** After the app is installed on repositories: the open PRs of those with a policy (paced). */
export function evaluateInstalledRepositories(octokit: GitHubClient, installationId: number, repositories: RepoRef[], deps: ServiceDependencies, log: Logger): void {
  const background = deps.background;
  if (!background) return;
  const installation = String(installationId);
  log.info({ repositories: repositories.length }, "installed: evaluating the open pull requests of repositories with a policy");
  for (const r of repositories) enqueueRepository(background, octokit, installation, { ...r, scope: "with-policy" }, deps, log);
}

/** At a change freeze's start or end (src/services/freeze-timer.ts): every open PR of the repository (paced). */
export function reevaluateAtFreezeBoundary(octokit: GitHubClient, installationId: number, target: RepoRef, deps: ServiceDependencies, log: Logger): void {
  const background = deps.background;
  if (!background) return;
  enqueueRepository(background, octokit, String(installationId), { owner: target.owner, repo: target.repo, scope: "all" }, deps, log);
}

/** Queues the listing of a repository's open PRs; the listing then queues one evaluation per PR. */
function enqueueRepository(
  background: BackgroundWork,
  octokit: GitHubClient,
  installation: string,
  target: RepoTarget,
  deps: ServiceDependencies,
  log: Logger,
): void {
  const { owner, repo, base } = target;
  background.queue.push({
    key: `repo:${installation}:${owner}/${repo}:${base ?? "*"}:${target.scope}`.toLowerCase(),
    installation,
    run: async () => {
      const pulls = await octokit.paginate("GET /repos/{owner}/{repo}/pulls", { owner, repo, state: "open", ...(base ? { base } : {}), per_page: 100 });
      const bases = new Map<string, boolean>();
      for (const pr of pulls) {
        if (!bases.has(pr.base.ref)) bases.set(pr.base.ref, await inScope(octokit, target, pr.base.ref));
        if (!bases.get(pr.base.ref)) continue;
        const request = { pull: { owner, repo, number: pr.number }, headShaHint: pr.head.sha, baseRefHint: pr.base.ref, ...(installation !== "-" ? { installationId: Number(installation) } : {}) };
        background.queue.push({
          key: `pull:${installation}:${owner}/${repo}#${pr.number}`.toLowerCase(),
          installation,
          run: () => scheduleEvaluation(octokit, request, deps, log.child({ repo: `${owner}/${repo}`, pr: pr.number }), { immediate: true }),
        });
      }
    },
  });
}

/** Whether the PRs into `base` are governed as the scope asks (one config lookup per base branch). */
async function inScope(octokit: GitHubClient, target: RepoTarget, base: string): Promise<boolean> {
  if (target.scope === "all") return true;
  const policy = await loadPolicyConfig(octokit, { owner: target.owner, repo: target.repo, ref: base });
  if (policy.kind === "none") return false;
  if (target.scope === "with-policy") return true;
  const org = `${target.owner}/${ORG_CONFIG_REPO}:`.toLowerCase();
  return policy.sources.some((s) => s.toLowerCase().startsWith(org));
}

/** Asks GitHub which files a push changed, when its payload may not list them all. */
async function compareTouchesPolicy(
  octokit: GitHubClient,
  owner: string,
  repo: string,
  before: string,
  after: string,
  log: Logger,
): Promise<"yes" | "no"> {
  if (isZeroSha(before)) return "yes"; // a new branch: its policy is new too
  try {
    // The changed files (at most 300) come with the first page; one commit per page keeps it small.
    const res = await octokit.request("GET /repos/{owner}/{repo}/compare/{basehead}", { owner, repo, basehead: `${before}...${after}`, per_page: 1 });
    const files = res.data.files ?? [];
    // GitHub lists at most 300 files; if there may be more, assume the policy changed.
    if (files.length >= 300) return "yes";
    return files.some((f) => f.filename === CONFIG_PATH || f.previous_filename === CONFIG_PATH) ? "yes" : "no";
  } catch (error) {
    log.warn({ err: error }, "could not compare the push; re-evaluating in case the policy changed");
    return "yes";
  }
}
