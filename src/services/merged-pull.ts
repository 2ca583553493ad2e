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
import { openPostImplementationReview } from "./follow-up.js";
import { reportBypassMerge } from "./incidents.js";

export interface MergedPullEvent {
  pull: PullRef;
  baseRef: string;
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
  const merged = { config, snapshot: ctx.snapshot, verdict, check: ctx.check, now: deps.now(), log };
  log.info({ changeClass: verdict.changeClass, checkAtMerge: ctx.check?.conclusion ?? null }, "pull request merged");
  const reviewed = ctx.kind === "ready" && postReviewOf(config, verdict.changeClass) !== null;
  if (reviewed) await openPostImplementationReview(octokit, merged);
  // An emergency change may merge before its approvals; its review is what follows instead.
  const emergencyReviewed = reviewed && verdict.changeClass === "emergency";
  if (!emergencyReviewed && ctx.check?.conclusion !== "success") await reportBypassMerge(octokit, merged);
}
