// `push` → two independent concerns, one service call each: an unauthorized push becomes an incident
// (src/services/incidents.ts); a push that changes the policy re-evaluates the PRs it governs
// (src/services/policy-change.ts).
import type { Probot } from "probot";
import type { ServiceDependencies } from "../services/dependencies.js";
import { reportUnauthorizedPush } from "../services/incidents.js";
import { reevaluateAfterPolicyPush } from "../services/policy-change.js";
import { fromDelivery } from "./delivery.js";
import { workKey } from "../infra/durable-work.js";
import { rememberAndRunOnce } from "../services/pending-work.js";

export function registerPush(app: Probot, deps: ServiceDependencies): void {
  app.on("push", async (context) => {
    const push = context.payload;
    const { octokit, log, installationId } = fromDelivery(context, deps, { ref: push.ref, after: push.after });
    const where = context.repo();
    const defaultBranch = push.repository.default_branch ?? push.repository.master_branch ?? "main";
    const facts = {
      where,
      ref: push.ref,
      before: push.before,
      after: push.after,
      created: push.created,
      deleted: push.deleted,
      forced: push.forced,
      compareUrl: push.compare,
      defaultBranch,
      pusher: { name: push.pusher.name, email: push.pusher.email ?? null },
      sender: push.sender?.login ?? push.pusher.name,
      ...(typeof push.repository.pushed_at === "number" ? { pushedAt: push.repository.pushed_at } : {}),
      commits: push.commits.map((c) => ({ sha: c.id, message: c.message, authorName: c.author.name, authorLogin: c.author.username ?? null, url: c.url })),
    };
    const key = workKey.pushIncident(where, push.after);
    await Promise.all([
      rememberAndRunOnce(deps, { kind: "push", key, payload: { ...facts, ...(installationId ? { installationId } : {}) } }, log, () => reportUnauthorizedPush(octokit, facts, deps, log)),
      reevaluateAfterPolicyPush(
        octokit,
        { ...where, ref: push.ref, before: push.before, after: push.after, deleted: push.deleted, defaultBranch, commits: push.commits, ...(installationId ? { installationId } : {}) },
        deps,
        log,
      ),
    ]);
  });
}
