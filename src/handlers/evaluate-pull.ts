// Evaluates a pull request and publishes the `Change Policy` check (SPEC §1). Every evaluation
// reads the current state from GitHub; the webhook payload only says which PR to look at.
import type { Context, Logger, Probot } from "probot";
import type { AppDependencies } from "../app.js";
import { describeFailure, type GitHubClient } from "../github/client.js";
import { publishCheck, REEVALUATE_ACTION, type PublishResult } from "../github/check.js";
import { measureSpending } from "../github/budget.js";
import { deliveryClient } from "../github/instrument.js";
import { readPullContext } from "../github/pull-context.js";
import type { BackgroundWork } from "../infra/background.js";
import type { PullRef } from "../github/types.js";
import { recordCheckWrite, recordError, recordEvaluation, recordEvaluationSpending } from "../metrics.js";
import { evaluatePull } from "../policy/evaluate.js";
import { CHECK_NAME, renderConfigProblems, renderError, renderVerdict, type CheckOutput } from "../render/check-output.js";

export const PULL_EVENTS = [
  "pull_request.opened",
  "pull_request.reopened",
  "pull_request.edited",
  "pull_request.synchronize",
  "pull_request.labeled",
  "pull_request.unlabeled",
  "pull_request.ready_for_review",
  "pull_request.converted_to_draft",
  "pull_request.review_requested",
  "pull_request_review.submitted",
  "pull_request_review.edited",
  "pull_request_review.dismissed",
] as const;

export interface EvaluationRequest {
  pull: PullRef;
  installationId?: number;
  /** Head commit known from the event; used only to report a failure when GitHub cannot be read. */
  headShaHint?: string;
}

export interface EvaluationOutcome {
  result: "no-policy" | "closed" | PublishResult;
  output?: CheckOutput;
  changeClass?: string;
}

export async function evaluatePullRequest(
  octokit: GitHubClient,
  request: EvaluationRequest,
  deps: AppDependencies,
  log: Logger,
): Promise<EvaluationOutcome> {
  const { pull } = request;
  let headSha = request.headShaHint;
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const ctx = await readPullContext(octokit, pull, { appId: deps.appId, installationId: request.installationId });
    headSha = ctx.snapshot.headSha;
    if (ctx.kind === "no-policy") return { result: "no-policy" };
    if (ctx.snapshot.state !== "open") return { result: "closed" };
    let output: CheckOutput;
    let changeClass: string | undefined;
    if (ctx.kind === "invalid-policy") {
      output = renderConfigProblems(ctx.problems);
    } else {
      const verdict = evaluatePull(ctx.config, ctx.snapshot, { now: deps.now() });
      output = renderVerdict(verdict);
      changeClass = verdict.changeClass;
    }
    const where = { owner: pull.owner, repo: pull.repo, headSha };
    const result = await publishCheck(octokit, where, output, ctx.check, deps.now());
    recordCheckWrite(output.conclusion, result !== "unchanged");
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
    await publishCheck(octokit, { owner: pull.owner, repo: pull.repo, headSha }, output, null, deps.now());
    recordCheckWrite(output.conclusion, true);
    recordEvaluation("error", output.conclusion, seconds());
    return { result: "created", output };
  }
}

export function registerPullEvaluation(app: Probot, deps: AppDependencies): void {
  app.on([...PULL_EVENTS], async (context) => {
    const pr = context.payload.pull_request;
    // A closed PR's check no longer gates anything; merges are handled in merged-pull.ts.
    if (pr.state !== "open") return;
    await run(context, { pull: { ...context.repo(), number: pr.number }, headShaHint: pr.head.sha }, deps);
  });

  app.on(["check_run.rerequested", "check_run.requested_action"], async (context) => {
    const run_ = context.payload.check_run;
    if (run_.name !== CHECK_NAME || !isOurApp(run_.app?.id, deps)) return;
    if (context.payload.action === "requested_action" && context.payload.requested_action?.identifier !== REEVALUATE_ACTION) return;
    for (const number of await pullsOf(context, run_.head_sha, run_.pull_requests)) {
      await run(context, { pull: { ...context.repo(), number }, headShaHint: run_.head_sha }, deps);
    }
  });

  app.on("check_suite.rerequested", async (context) => {
    const suite = context.payload.check_suite;
    if (!isOurApp(suite.app?.id, deps)) return;
    for (const number of await pullsOf(context, suite.head_sha, suite.pull_requests)) {
      await run(context, { pull: { ...context.repo(), number }, headShaHint: suite.head_sha }, deps);
    }
  });
}

async function run(context: Context, request: EvaluationRequest, deps: AppDependencies): Promise<void> {
  const pull = { owner: request.pull.owner, repo: request.pull.repo, number: request.pull.number };
  const installationId = (context.payload as { installation?: { id: number } }).installation?.id;
  const log = context.log.child({ deliveryId: context.id, repo: `${pull.owner}/${pull.repo}`, pr: pull.number });
  const octokit = deliveryClient(context, deps.background?.budget);
  const full = { ...request, pull, ...(installationId ? { installationId } : {}) };
  if (!deps.background) {
    await evaluatePullRequest(octokit, full, deps, log);
    return;
  }
  // Answer the delivery now; the evaluation runs after the PR's burst of events (coalesced).
  void scheduleEvaluation(deps.background, octokit, full, deps, log);
}

/**
 * Evaluates the PR once its burst of events is over (see src/infra/coalesce.ts): one evaluation,
 * reading the state after the last event, and at most one check write. Resolves when it has run.
 */
export function scheduleEvaluation(
  background: BackgroundWork,
  octokit: GitHubClient,
  request: EvaluationRequest,
  deps: AppDependencies,
  log: Logger,
  options: { immediate?: boolean } = {},
): Promise<void> {
  const { owner, repo, number } = request.pull;
  const installation = String(request.installationId ?? "-");
  const key = `${installation}:${owner}/${repo}#${number}`.toLowerCase();
  const evaluate = async () => {
    const { result, spent } = await measureSpending(() => evaluatePullRequest(octokit, request, deps, log));
    background.budget.recordEvaluation(spent);
    recordEvaluationSpending(spent);
    log.info({ spent, result: result.result }, "GitHub requests spent by the evaluation");
  };
  // Queued re-evaluations are already paced; they still merge with a burst in progress.
  const timing = options.immediate ? { windowMs: 0, maxWaitMs: 0 } : background.timing(installation);
  return background.coalescer.submit(key, evaluate, timing);
}

function isOurApp(appId: number | null | undefined, deps: AppDependencies): boolean {
  return deps.appId === undefined || appId === deps.appId;
}

/** The PRs a check belongs to; GitHub leaves `pull_requests` empty for PRs from forks. */
async function pullsOf(context: Context, headSha: string, listed: { number: number }[] | undefined): Promise<number[]> {
  if (listed && listed.length > 0) return listed.map((p) => p.number);
  const { owner, repo } = context.repo();
  const res = await deliveryClient(context).request("GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls", { owner, repo, commit_sha: headSha });
  return res.data.filter((p) => p.state === "open" && p.head.sha === headSha).map((p) => p.number);
}
