// Evaluates a pull request and publishes the `Change Policy` check (SPEC §1): the one operation
// behind every entry point that asks "is this change compliant now" (PR events, re-runs, policy
// changes, the paced queue). Every evaluation reads the current state from GitHub; the event only
// says which PR to look at.
import type { Logger } from "probot";
import { describeFailure, type GitHubClient } from "../github/client.js";
import { type PublishResult } from "../github/check.js";
import { OurCheckRun } from "../github/check-recovery.js";
import { measureSpending } from "../github/budget.js";
import { readPullContext, type PullContext } from "../github/pull-context.js";
import { openPullsAtHead } from "../github/commit-pulls.js";
import type { PullRef } from "../github/types.js";
import type { ServiceDependencies } from "./dependencies.js";
import { recordCheck } from "./evidence.js";
import { runRememberedWork } from "./pending-work.js";
import { workKey } from "../infra/durable-work.js";
import { recordCheckWrite, recordError, recordEvaluation, recordEvaluationSpending } from "../metrics.js";
import { evaluatePull, type Verdict } from "../policy/evaluate.js";
import { renderConfigProblems, renderError, renderVerdict, type CheckOutput } from "../render/check-output.js";

export interface EvaluationRequest {
  pull: PullRef;
  installationId?: number;
  /** Head commit known from the event; used only to report a failure when GitHub cannot be read. */
  headShaHint?: string;
  /** Base branch known from the event; the policy is read from the PR's real base either way. */
  baseRefHint?: string;
}

export interface EvaluationOutcome {
  result: "no-policy" | "closed" | PublishResult;
  output?: CheckOutput;
  changeClass?: string;
  /** What failed, when the check was written fail-closed instead of a verdict (durable work retries a transient one). */
  error?: unknown;
}

/** A pull request judged against its policy, not yet published. */
export type Judgement =
  | { kind: "no-policy"; context: PullContext }
  | { kind: "judged"; context: PullContext; output: CheckOutput; verdict?: Verdict };

/**
 * Reads the PR and its policy and decides what the check says — the part every entry point shares
 * (the PR's own check, a merge group's check, a merge). Throws when GitHub cannot be read.
 */
export async function judgePull(
  octokit: GitHubClient,
  pull: PullRef,
  deps: ServiceDependencies,
  hints: { installationId?: number; baseRefHint?: string } = {},
): Promise<Judgement> {
  const context = await readPullContext(octokit, pull, { appId: deps.appId, ...hints });
  if (context.kind === "no-policy") return { kind: "no-policy", context };
  if (context.kind === "invalid-policy") return { kind: "judged", context, output: renderConfigProblems(context.problems) };
  const verdict = evaluatePull(context.config, context.snapshot, { now: deps.now() });
  return { kind: "judged", context, output: renderVerdict(verdict), verdict };
}

export async function evaluatePullRequest(
  octokit: GitHubClient,
  request: EvaluationRequest,
  deps: ServiceDependencies,
  log: Logger,
): Promise<EvaluationOutcome> {
  const { pull } = request;
  let headSha = request.headShaHint;
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  // What is known of our run on the head commit, so that a failure updates it rather than adding one.
  const ourRun = new OurCheckRun();
  try {
    const judgement = await judgePull(octokit, pull, deps, {
      ...(request.installationId ? { installationId: request.installationId } : {}),
      ...(request.baseRefHint ? { baseRefHint: request.baseRefHint } : {}),
    });
    const { snapshot, check } = judgement.context;
    headSha = snapshot.headSha;
    ourRun.read(check);
    if (judgement.kind === "no-policy") return { result: "no-policy" };
    // A future freeze edge is remembered, so its open PRs are re-evaluated at that moment.
    const read = judgement.context;
    if (deps.freezeTimer && read.kind === "ready" && read.config.freezes.length > 0) {
      await deps.freezeTimer.learn(`${pull.owner}/${pull.repo}`, request.installationId, read.config, deps.now());
    }
    if (snapshot.state !== "open") return { result: "closed" };
    const { output, verdict } = judgement;
    const changeClass = verdict?.changeClass;
    const result = await ourRun.publish(octokit, { owner: pull.owner, repo: pull.repo, headSha }, output, deps.now());
    recordCheckWrite(output.conclusion, result !== "unchanged");
    if (result !== "unchanged") {
      const ctx = judgement.context;
      const judged =
        verdict && ctx.kind === "ready"
          ? { config: ctx.config, snapshot: ctx.snapshot, verdict, policyBlobSha: ctx.policyBlobSha }
          : { reason: "invalid_config" as const, policyBlobSha: ctx.kind === "invalid-policy" ? ctx.policyBlobSha : null };
      recordCheck(deps.ledger, { ...pull, headSha }, output, judged, result === "updated" ? (check?.id ?? null) : null);
    }
    recordEvaluation(changeClass ?? "invalid_config", output.conclusion, seconds());
    log.info({ verdict: output.conclusion, changeClass, title: output.title, result }, "pull request evaluated");
    return { result, output, ...(changeClass ? { changeClass } : {}) };
  } catch (error) {
    // Fail closed: whatever broke, the check says so and does not pass.
    log.error({ err: error }, "evaluation failed");
    recordError("evaluation");
    if (!headSha) throw error;
    const { reason, remedy } = describeFailure(error);
    const output = renderError(reason, remedy);
    const where = { owner: pull.owner, repo: pull.repo, headSha };
    const { result, checkRunId } = await ourRun.publishFailure(octokit, where, output, deps.now(), { appId: deps.appId, log });
    recordCheckWrite(output.conclusion, result !== "unchanged");
    if (result !== "unchanged") recordCheck(deps.ledger, { ...pull, headSha }, output, { reason: "error", policyBlobSha: null }, checkRunId);
    recordEvaluation("error", output.conclusion, seconds());
    return { result, output, error };
  }
}

/**
 * Evaluates the PR once its burst of events is over (see src/infra/coalesce.ts): one evaluation,
 * reading the state after the last event, and at most one check write. Resolves when it has run.
 */
export function scheduleEvaluation(
  octokit: GitHubClient,
  request: EvaluationRequest,
  deps: ServiceDependencies,
  log: Logger,
  options: { immediate?: boolean } = {},
): Promise<void> {
  const background = deps.background;
  // Without background work (CLI, some tests) the evaluation runs inline, within the delivery.
  if (!background) return evaluatePullRequest(octokit, request, deps, log).then(() => undefined);
  const { owner, repo, number } = request.pull;
  const installation = String(request.installationId ?? "-");
  const key = `${installation}:${owner}/${repo}#${number}`.toLowerCase();
  const evaluate = async () => {
    // Marked done in the pending work the delivery recorded (src/services/pending-work.ts).
    const work = workKey.evaluate(request.installationId, request.pull);
    const { result, spent } = await measureSpending(() =>
      runRememberedWork(deps, work, () => evaluatePullRequest(octokit, request, deps, log), (outcome) => outcome.error),
    );
    background.budget.recordEvaluation(spent);
    recordEvaluationSpending(spent);
    log.info({ spent, result: result.result }, "GitHub requests spent by the evaluation");
  };
  // Queued re-evaluations are already paced; they still merge with a burst in progress.
  const timing = options.immediate ? { windowMs: 0, maxWaitMs: 0 } : background.timing(installation);
  return background.coalescer.submit(key, evaluate, timing);
}

export interface CheckedCommit {
  owner: string;
  repo: string;
  headSha: string;
  /** The PRs the check or suite names; empty for PRs from forks, then looked up. */
  pulls: { number: number; base?: { ref: string } }[] | undefined;
  installationId?: number;
}

/** "Re-run" / "Re-evaluate" on our check: the PRs of that commit are evaluated again. */
export async function reevaluateCheckedCommit(octokit: GitHubClient, commit: CheckedCommit, deps: ServiceDependencies, log: Logger): Promise<void> {
  const { owner, repo, headSha, installationId } = commit;
  const pulls = commit.pulls && commit.pulls.length > 0 ? commit.pulls : (await openPullsAtHead(octokit, { owner, repo }, headSha)).map((number) => ({ number, base: undefined }));
  for (const { number, base } of pulls) {
    const request = { pull: { owner, repo, number }, headShaHint: headSha, ...(base ? { baseRefHint: base.ref } : {}), ...(installationId ? { installationId } : {}) };
    void scheduleEvaluation(octokit, request, deps, log.child({ pr: number }));
  }
}
