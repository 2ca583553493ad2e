// The one GitHub client type used everywhere (webhook handlers, CLI, sweeps), and the few
// helpers that every reader of GitHub needs.
import { ProbotOctokit } from "probot";
import { describeTransientFailure } from "./transient-errors.js";

export type GitHubClient = InstanceType<typeof ProbotOctokit>;

const RAW = "application/vnd.github.raw";

/** A file's text at a ref (default branch when omitted), or null when it does not exist. */
export async function readFile(
  octokit: GitHubClient,
  where: { owner: string; repo: string; path: string; ref?: string },
): Promise<string | null> {
  try {
    const res = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      owner: where.owner,
      repo: where.repo,
      path: where.path,
      ...(where.ref ? { ref: where.ref } : {}),
      headers: { accept: RAW },
    });
    return typeof res.data === "string" ? res.data : decodeContent(res.data);
  } catch (error) {
    if (statusOf(error) === 404) return null;
    throw error;
  }
}

/** If GitHub answered JSON anyway (some proxies drop the raw media type), decode it. */
function decodeContent(data: unknown): string {
  if (data && typeof data === "object" && "content" in data && typeof data.content === "string") {
    return Buffer.from(data.content, "base64").toString("utf8");
  }
  if (data && typeof data === "object" && "type" in data && data.type !== "file") {
    throw new Error("the policy path is a directory or link, not a file");
  }
  return String(data ?? "");
}

export function statusOf(error: unknown): number | undefined {
  return typeof error === "object" && error !== null && "status" in error && typeof error.status === "number"
    ? error.status
    : undefined;
}

/** Turns any failure into words for the check: what happened and what to do about it. */
export function describeFailure(error: unknown): { reason: string; remedy: string } {
  const transient = describeTransientFailure(error);
  if (transient) return transient;
  const status = statusOf(error);
  const message = error instanceof Error ? error.message.split("\n")[0]!.slice(0, 300) : String(error).slice(0, 300);
  if (status === 401) {
    return { reason: "GitHub rejected the app's credentials (401).", remedy: "Check the app's APP_ID and private key, then press Re-run." };
  }
  if (status === 403 && /rate limit/i.test(message)) {
    return { reason: "GitHub's API rate limit for this installation is used up.", remedy: "Wait for the limit to reset (at most an hour), then press Re-run." };
  }
  if (status === 403 || status === 404) {
    return {
      reason: `GitHub refused a request the evaluation needs (${status}: ${message}). The app is probably missing a permission or access to a repository.`,
      remedy: "An organisation owner should accept the app's requested permissions (Settings → GitHub Apps → change-policy) and give it access to this repository and the organisation's `.github` repository; then press Re-run.",
    };
  }
  if (status !== undefined && status >= 500) {
    return { reason: `GitHub had an internal error (${status}).`, remedy: "Press Re-run in a minute; any new push, label or review also re-evaluates." };
  }
  return {
    reason: `An internal error stopped the evaluation: ${message}`,
    remedy: "Press Re-run. If it keeps failing, give the administrators of change-policy this pull request's link: the error is in the app's logs.",
  };
}
