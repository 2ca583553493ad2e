// A merged pull request is read once and handed to the two concerns that care about merges:
// emergency changes (and any class with `post_review`, SPEC §9) get their post-implementation review
// (SPEC §3); any other change merged without a passing check is an admin bypass, a security incident
// (SPEC §4) — a reviewed normal change merged that way is both.
import type { Probot } from "probot";
import type { AppDependencies } from "../app.js";
import { readPullContext } from "../github/pull-context.js";
import { defaultConfig, postReviewOf } from "../config/schema.js";
import { evaluatePull } from "../policy/evaluate.js";
import { openPostImplementationReview } from "./emergency-followup.js";
import { reportBypassMerge } from "./incidents.js";
import { deliveryClient } from "../github/instrument.js";

export function registerMergedPull(app: Probot, deps: AppDependencies): void {
  app.on("pull_request.closed", async (context) => {
    if (!context.payload.pull_request.merged) return;
    const pull = { ...context.repo(), number: context.payload.pull_request.number };
    const log = context.log.child({ deliveryId: context.id, repo: `${pull.owner}/${pull.repo}`, pr: pull.number });
    const octokit = deliveryClient(context, deps.background?.budget);
    const ctx = await readPullContext(octokit, pull, { appId: deps.appId, installationId: context.payload.installation?.id });
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
  });
}
