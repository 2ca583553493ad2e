// A merged pull request is read once and handed to the two concerns that care about merges:
// emergency changes (and any class with `post_review`, SPEC §9) get their post-implementation review
// (SPEC §3); any other change merged without a passing check is an admin bypass, a security incident
// (SPEC §4) — a reviewed normal change merged that way is both.
import type { Logger } from "probot";
import type { GitHubClient } from "../github/client.js";
import { readPullContext } from "../github/pull-context.js";
import type { PullRef } from "../github/types.js";
import { defaultConfig, postReviewOf } from "../config/schema.js";
import { evaluatePull } from "../policy/evaluate.js";
import type { ServiceDependencies } from "./dependencies.js";
import { recordCheck, recordMerge } from "./evidence.js";
import { judgePull } from "./evaluation.js";
import { openPostImplementationReview } from "./follow-up.js";
import { reportBypassMerge } from "./incidents.js";

export interface MergedPullEvent {
  pull: PullRef;
  baseRef: string;
  mergeCommitSha: string | null;
  installationId?: number;
}

export async function handleMergedPull(octokit: GitHubClient, merge: MergedPullEvent, deps: ServiceDependencies, log: Logger): Promise<void> {
  const { pull, baseRef, installationId } = merge;
  const ctx = await readPullContext(octokit, pull, { appId: deps.appId, baseRefHint: baseRef, ...(installationId ? { installationId } : {}) });
  if (ctx.kind === "no-policy") return;
  // Under an invalid policy nothing could be evaluated; whether the merge bypassed the check is
  // judged from the check itself, and the incident is filed with the default incident settings.
  const config = ctx.kind === "ready" ? ctx.config : defaultConfig();
  if (ctx.kind === "invalid-policy") log.warn({ problems: ctx.problems.length }, "merged under an invalid policy");
  const verdict = evaluatePull(config, ctx.snapshot, { now: deps.now() });
  recordMerge(deps.ledger, {
    config,
    pr: ctx.snapshot,
    verdict,
    checkConclusion: ctx.check?.conclusion ?? null,
    mergeCommitSha: merge.mergeCommitSha,
    policyBlobSha: ctx.policyBlobSha,
  });
  const merged = { config, snapshot: ctx.snapshot, verdict, check: ctx.check, now: deps.now(), log, ...(deps.ledger ? { ledger: deps.ledger } : {}) };
  log.info({ changeClass: verdict.changeClass, checkAtMerge: ctx.check?.conclusion ?? null }, "pull request merged");
  const reviewed = ctx.kind === "ready" && postReviewOf(config, verdict.changeClass) !== null;
  if (reviewed) await openPostImplementationReview(octokit, merged);
  // An emergency change may merge before its approvals; its review is what follows instead.
  const emergencyReviewed = reviewed && verdict.changeClass === "emergency";
  if (!emergencyReviewed && ctx.check?.conclusion !== "success") await reportBypassMerge(octokit, merged);
}

/**
 * A merged pull request's description or labels edited afterwards: the ledger records what its
 * check would say now (`check` with `after_merge`), so auditors and the dashboard see what changed
 * since the merge without asking GitHub. Nothing is published; without a ledger nothing is read.
 */
export async function recordEditAfterMerge(octokit: GitHubClient, merge: Omit<MergedPullEvent, "mergeCommitSha">, deps: ServiceDependencies, log: Logger): Promise<void> {
  if (!deps.ledger) return;
  const judgement = await judgePull(octokit, merge.pull, deps, { baseRefHint: merge.baseRef, ...(merge.installationId ? { installationId: merge.installationId } : {}) });
  const ctx = judgement.context;
  if (judgement.kind === "no-policy" || ctx.kind !== "ready" || !judgement.verdict) return;
  recordCheck(deps.ledger, { ...merge.pull, headSha: ctx.snapshot.headSha }, judgement.output, { config: ctx.config, snapshot: ctx.snapshot, verdict: judgement.verdict, policyBlobSha: ctx.policyBlobSha, afterMerge: true }, null);
  log.info({ conclusion: judgement.output.conclusion }, "merged pull request edited: recorded what its check would say now");
}
