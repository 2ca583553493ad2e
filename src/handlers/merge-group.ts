// `merge_group.checks_requested` in, one merge-group check (SPEC §7); `destroyed` needs nothing.
// Re-run and Re-evaluate on a merge group's check evaluate the group again.
import type { Probot } from "probot";
import type { ServiceDependencies } from "../services/dependencies.js";
import { CHECK_NAME, REEVALUATE_ACTION } from "../github/check.js";
import { deliveryClient } from "../github/instrument.js";
import { parseMergeGroupRef } from "../policy/merge-group.js";
import type { MergeGroupWiring } from "../services/dependencies.js";
import { runMergeGroupCheck, type MergeGroupDeps } from "../services/merge-group.js";


const QUEUE_BRANCH = "gh-readonly-queue/";

export function registerMergeGroup(app: Probot, deps: ServiceDependencies & MergeGroupWiring): void {
  app.on("merge_group.checks_requested", async (context) => {
    const group = context.payload.merge_group;
    const where = context.repo();
    const log = context.log.child({ deliveryId: context.id, repo: `${where.owner}/${where.repo}`, mergeGroup: group.head_ref });
    await runMergeGroupCheck(
      deliveryClient(context, deps.background?.budget),
      { ...where, headSha: group.head_sha, headRef: group.head_ref, baseSha: group.base_sha, ...installation(context.payload) },
      serviceDeps(deps, log),
    );
  });

  app.on(["check_run.rerequested", "check_run.requested_action"], async (context) => {
    const run = context.payload.check_run;
    const branch = run.check_suite?.head_branch ?? "";
    if (run.name !== CHECK_NAME || !branch.startsWith(QUEUE_BRANCH) || (deps.appId !== undefined && run.app?.id !== deps.appId)) return;
    if (context.payload.action === "requested_action" && context.payload.requested_action?.identifier !== REEVALUATE_ACTION) return;
    const headRef = `refs/heads/${branch}`;
    const ref = parseMergeGroupRef(headRef);
    if (!ref) return;
    const where = context.repo();
    const log = context.log.child({ deliveryId: context.id, repo: `${where.owner}/${where.repo}`, mergeGroup: headRef });
    // The entry's ref names the commit it was built on: the changes it adds are parent..head.
    await runMergeGroupCheck(
      deliveryClient(context, deps.background?.budget),
      { ...where, headSha: run.head_sha, headRef, baseSha: ref.parentSha, ...installation(context.payload) },
      serviceDeps(deps, log),
    );
  });
}

function installation(payload: unknown): { installationId?: number } {
  const id = (payload as { installation?: { id?: number } }).installation?.id;
  return id === undefined ? {} : { installationId: id };
}

function serviceDeps(deps: ServiceDependencies & MergeGroupWiring, log: MergeGroupDeps["log"]): MergeGroupDeps {
  return { now: deps.now, log, ...(deps.appId !== undefined ? { appId: deps.appId } : {}), ...(deps.record ? { record: deps.record } : {}) };
}
