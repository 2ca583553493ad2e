// Merge queues (SPEC §7): a merge group's `Change Policy` check on its head commit, computed afresh
// for every pull request the group adds, exactly as each PR's own check is (readPullContext +
// evaluatePull: current labels, description, reviews, the policy of the PR's base branch). A PR
// whose approval was withdrawn after it was queued fails its group, and the group's check names it.
import type { Logger } from "probot";
import { formatProblem } from "../config/load.js";
import { publishCheck } from "../github/check.js";
import { describeFailure, type GitHubClient } from "../github/client.js";
import { commitsWithPulls } from "../github/commit-pulls.js";
import { commitsBetween } from "../github/compare.js";
import type { RepoRef } from "../github/types.js";
import { recordError } from "../metrics.js";
import { judgePull } from "./evaluation.js";
import { combineMergeGroup, parseMergeGroupRef, type MergeGroupMember, type MergeGroupResult } from "../policy/merge-group.js";
import { CHECK_NAME } from "../policy/check-name.js";
import type { CheckOutput } from "../render/check-output.js";
import { renderMergeGroup, renderMergeGroupError } from "../render/merge-group.js";

/** Commits of a group read at most to find the pull requests it adds (the named PR is always evaluated). */
const MAX_GROUP_COMMITS = 1000;

export interface MergeGroupDeps {
  now: () => Date;
  /** This GitHub App's id: only our own check runs count. */
  appId?: number;
  log: Logger;
  /** Called with every published group check (the ledger's `merge_group` entry). */
  record?: (check: RecordedMergeGroupCheck) => void | Promise<void>;
}

export interface MergeGroupRequest extends RepoRef {
  headSha: string;
  /** `refs/heads/gh-readonly-queue/<base>/pr-<N>-<sha>`. */
  headRef: string;
  /** The commit the group is built on; with head_sha it bounds the changes the group adds. */
  baseSha: string;
  installationId?: number;
}

export interface RecordedMergeGroupCheck {
  repository: string;
  headSha: string;
  headRef: string;
  base: string | null;
  conclusion: CheckOutput["conclusion"];
  title: string;
  /** Each pull request with whether it passed (empty when the group could not be evaluated). */
  pulls: { number: number; passed: boolean; changeClass: string | null; missing: string[] }[];
  checkedAt: string;
}

export type MergeGroupOutcome = { result: "no-policy" } | { result: "published"; output: CheckOutput; group: MergeGroupResult | null };

export async function runMergeGroupCheck(octokit: GitHubClient, request: MergeGroupRequest, deps: MergeGroupDeps): Promise<MergeGroupOutcome> {
  const where = { owner: request.owner, repo: request.repo };
  const ref = parseMergeGroupRef(request.headRef);
  let output: CheckOutput;
  let group: MergeGroupResult | null = null;
  try {
    if (!ref) {
      throw new Error(
        `the merge group's ref \`${request.headRef.slice(0, 200)}\` is not one GitHub's merge queue makes (\`refs/heads/gh-readonly-queue/<base>/pr-<N>-<sha>\`), so the app cannot tell which pull request it adds`,
      );
    }
    // The PR the group is named after comes first: its policy decides whether there is a check at all.
    const named = await evaluateMember(octokit, { ...where, number: ref.number }, request.installationId, deps);
    if (named === "no-policy") {
      deps.log.debug({ pr: ref.number }, "merge group: no policy applies; no check");
      return { result: "no-policy" };
    }
    const members: MergeGroupMember[] = [named];
    for (const number of await otherPullsOfGroup(octokit, request, ref.base, ref.number, deps)) {
      const member = await evaluateMember(octokit, { ...where, number }, request.installationId, deps);
      members.push(
        member === "no-policy" ? { number, title: null, outcome: { kind: "error", reason: "No change policy applies to its base branch, so nothing shows it went through the process." } } : member,
      );
    }
    group = combineMergeGroup(members);
    output = renderMergeGroup(group, ref.base);
  } catch (error) {
    // Fail closed: the group does not pass because something broke.
    deps.log.error({ err: error }, "merge group evaluation failed");
    recordError("merge_group");
    const { reason, remedy } = describeFailure(error);
    output = renderMergeGroupError(reason, remedy);
  }
  await publishCheck(octokit, { ...where, headSha: request.headSha }, output, null, deps.now());
  deps.log.info({ headSha: request.headSha, verdict: output.conclusion, title: output.title, pulls: group?.members.map((m) => m.number) ?? [] }, "merge group evaluated");
  if (deps.record) {
    try {
      await deps.record({
        repository: `${request.owner}/${request.repo}`,
        headSha: request.headSha,
        headRef: request.headRef,
        base: ref?.base ?? null,
        conclusion: output.conclusion,
        title: output.title,
        pulls: (group?.members ?? []).map((m) => ({
          number: m.number,
          passed: m.passed,
          changeClass: m.verdict?.changeClass ?? null,
          missing: m.error !== null ? [m.error] : m.missing.map((r) => r.name),
        })),
        checkedAt: deps.now().toISOString(),
      });
    } catch (error) {
      deps.log.error({ err: error }, "recording the merge group check failed");
    }
  }
  return { result: "published", output, group };
}

/** One pull request of the group, evaluated as its own check is; errors make it fail, saying why. */
async function evaluateMember(
  octokit: GitHubClient,
  pull: RepoRef & { number: number },
  installationId: number | undefined,
  deps: MergeGroupDeps,
): Promise<MergeGroupMember | "no-policy"> {
  try {
    // The same judgement as the PR's own check (src/services/evaluation.ts), read afresh now.
    const judgement = await judgePull(octokit, pull, deps, installationId !== undefined ? { installationId } : {});
    const ctx = judgement.context;
    if (judgement.kind === "no-policy") return "no-policy";
    if (ctx.kind === "invalid-policy" || !judgement.verdict) {
      const problems = ctx.kind === "invalid-policy" ? ctx.problems : [];
      const n = problems.length;
      const first = problems.slice(0, 3).map((p) => `\`${formatProblem(p)}\``);
      return {
        number: pull.number,
        title: ctx.snapshot.title,
        outcome: { kind: "error", reason: `The policy of its base branch is invalid (${n} problem${n === 1 ? "" : "s"}): ${first.join("; ")}${n > 3 ? "; …" : ""}.` },
      };
    }
    return { number: pull.number, title: ctx.snapshot.title, outcome: { kind: "verdict", verdict: judgement.verdict } };
  } catch (error) {
    deps.log.error({ err: error, pr: pull.number }, "merge group: a pull request could not be evaluated");
    recordError("merge_group");
    return { number: pull.number, title: null, outcome: { kind: "error", reason: describeFailure(error).reason } };
  }
}

/** The other open pull requests into `base` whose commits are in base_sha..head_sha (a group of several). */
async function otherPullsOfGroup(octokit: GitHubClient, request: MergeGroupRequest, base: string, named: number, deps: MergeGroupDeps): Promise<number[]> {
  const where = { owner: request.owner, repo: request.repo };
  const { shas, total } = await commitsBetween(octokit, where, request.baseSha, request.headSha, MAX_GROUP_COMMITS);
  if (total > MAX_GROUP_COMMITS) {
    throw new Error(`the merge group brings ${total} commits; the app reads at most ${MAX_GROUP_COMMITS} to find the pull requests in it`);
  }
  const details = await commitsWithPulls(octokit, where, shas, { checkName: CHECK_NAME, ...(deps.appId !== undefined ? { appId: deps.appId } : {}) });
  const numbers = new Set<number>();
  for (const commit of details.values()) {
    for (const pr of commit?.pulls ?? []) if (pr.state === "open" && pr.baseRefName === base && pr.number !== named) numbers.add(pr.number);
  }
  return [...numbers].sort((a, b) => a - b);
}
