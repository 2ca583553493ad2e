// The repositories an installation can see: sweeps and policy-change re-evaluation both walk them.
import type { GitHubClient } from "./client.js";
import type { RepoRef } from "./types.js";

/** Every non-archived repository the installation token can see. */
export async function installationRepositories(octokit: GitHubClient): Promise<RepoRef[]> {
  const repos = await octokit.paginate("GET /installation/repositories", { per_page: 100 });
  return repos.filter((r) => !r.archived).map((r) => ({ owner: r.owner.login, repo: r.name }));
}
