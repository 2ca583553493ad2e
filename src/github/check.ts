// Writes the `Change Policy` check run on the PR's head commit: updates our existing run, creates
// one when there is none, and writes nothing when the verdict shown is already the same.
import { CHECK_NAME } from "../policy/check-name.js";
import type { CheckOutput } from "../render/check-output.js";
import type { GitHubClient } from "./client.js";
import type { ExistingCheck } from "./types.js";

export { CHECK_NAME };
export const REEVALUATE_ACTION = "re-evaluate";

export type PublishResult = "created" | "updated" | "unchanged";

export function isSameVerdict(existing: ExistingCheck | null, output: CheckOutput): boolean {
  return (
    existing !== null &&
    existing.status === "completed" &&
    existing.conclusion === output.conclusion &&
    existing.title === output.title &&
    existing.summary === output.summary
  );
}

export async function publishCheck(
  octokit: GitHubClient,
  where: { owner: string; repo: string; headSha: string },
  output: CheckOutput,
  existing: ExistingCheck | null,
  now: Date,
): Promise<PublishResult> {
  if (isSameVerdict(existing, output)) return "unchanged";
  const body = {
    owner: where.owner,
    repo: where.repo,
    status: "completed" as const,
    conclusion: output.conclusion,
    completed_at: now.toISOString(),
    output: { title: output.title, summary: output.summary },
    actions: [{ label: "Re-evaluate", description: "Evaluate the policy again now", identifier: REEVALUATE_ACTION }],
  };
  if (existing) {
    await octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", { ...body, check_run_id: existing.id });
    return "updated";
  }
  await octokit.request("POST /repos/{owner}/{repo}/check-runs", { ...body, name: CHECK_NAME, head_sha: where.headSha });
  return "created";
}
