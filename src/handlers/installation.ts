// The app installed on repositories → their open PRs are evaluated (src/services/policy-change.ts).
import type { Probot } from "probot";
import type { ServiceDependencies } from "../services/dependencies.js";
import { evaluateInstalledRepositories } from "../services/policy-change.js";
import { fromDelivery } from "./delivery.js";

export function registerInstallation(app: Probot, deps: ServiceDependencies): void {
  app.on(["installation.created", "installation_repositories.added"], async (context) => {
    const payload = context.payload as { installation: { id: number }; repositories?: { full_name: string }[]; repositories_added?: { full_name: string }[] };
    const repositories = (payload.repositories_added ?? payload.repositories ?? []).map((r) => {
      const [owner, repo] = r.full_name.split("/") as [string, string];
      return { owner, repo };
    });
    const { octokit, log } = fromDelivery(context, deps, { installation: payload.installation.id });
    evaluateInstalledRepositories(octokit, payload.installation.id, repositories, deps, log);
  });
}
