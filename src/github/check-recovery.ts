// What one evaluation knows of our `Change Policy` run on the head commit, so that its fail-closed
// write updates that run instead of creating a second one. The evaluation's read (the PR query)
// says which run exists; a check write that fails may still have been carried out by GitHub (a 502
// or a timeout after the request arrived), and then neither the run's existence nor what it shows
// is known. Only then, or when the read itself failed, is the run looked up (one REST request) before
// the failure is written: the evaluation that succeeds spends nothing more.
import { CHECK_NAME } from "../policy/check-name.js";
import type { CheckOutput } from "../render/check-output.js";
import { publishCheck, type PublishResult } from "./check.js";
import { statusOf, type GitHubClient } from "./client.js";
import { rateLimitOf, timeoutOf } from "./transient-errors.js";
import type { ExistingCheck } from "./types.js";

export interface CheckedHead {
  owner: string;
  repo: string;
  headSha: string;
}

/**
 * Whether GitHub may have carried out a write that failed: it did not answer in time, answered 5xx,
 * or the connection was lost (Octokit reports that as 500). Not a 4xx, rate limits included: GitHub
 * refused the request before doing anything.
 */
export function mayHaveBeenWritten(error: unknown): boolean {
  if (timeoutOf(error)) return true;
  if (rateLimitOf(error)) return false;
  const status = statusOf(error);
  return status === undefined || status >= 500;
}

/**
 * Our newest `Change Policy` run on the commit, read from GitHub (REST: the PR query may be what
 * failed), or null when there is none. Without the app's id, a run of that name by another app would
 * be taken for ours; the server always knows its id.
 */
export async function findOurCheckRun(octokit: GitHubClient, head: CheckedHead, appId: number | undefined): Promise<ExistingCheck | null> {
  const res = await octokit.request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
    owner: head.owner,
    repo: head.repo,
    ref: head.headSha,
    check_name: CHECK_NAME,
    ...(appId !== undefined ? { app_id: appId } : {}),
  });
  let newest: (typeof res.data.check_runs)[number] | undefined;
  for (const run of res.data.check_runs) {
    if (run.name !== CHECK_NAME || (appId !== undefined && run.app?.id !== appId)) continue;
    if (!newest || run.id > newest.id) newest = run;
  }
  if (!newest) return null;
  return { id: Number(newest.id), status: newest.status, conclusion: newest.conclusion ?? null, title: newest.output.title ?? null, summary: newest.output.summary ?? null };
}

/** Our run as last seen: `undefined` while unknown (not read yet, or changed by a write whose answer failed). */
type Known = ExistingCheck | null | undefined;

export class OurCheckRun {
  #known: Known = undefined;

  /** What the evaluation's read found on the head commit (null: no run of ours). */
  read(check: ExistingCheck | null): void {
    this.#known = check;
  }

  /** The verdict's write (src/github/check.ts), remembering what the run shows afterwards, or that it is unknown. */
  async publish(octokit: GitHubClient, head: CheckedHead, output: CheckOutput, now: Date): Promise<PublishResult> {
    const existing = this.#known ?? null;
    try {
      const result = await publishCheck(octokit, head, output, existing, now);
      // A created run's id is not returned by publishCheck: should anything fail now, it is looked up.
      this.#known = result === "created" ? undefined : result === "updated" && existing ? shown(existing.id, output) : existing;
      return result;
    } catch (error) {
      // An update that may have been made is sent again whatever the run seemed to show (a stale
      // `success` must not stay because the failure looks like what was there before); a creation
      // that may have been made is looked up.
      if (mayHaveBeenWritten(error)) this.#known = existing ? { ...existing, status: "unknown" } : undefined;
      throw error;
    }
  }

  /**
   * The fail-closed write: updates our run when there is one, creating one only when GitHub says
   * there is none (or cannot say: the failure must be shown anyway). Returns the run's id when updated.
   */
  async publishFailure(
    octokit: GitHubClient,
    head: CheckedHead,
    output: CheckOutput,
    now: Date,
    options: { appId: number | undefined; log: { warn(details: object, message: string): void } },
  ): Promise<{ result: PublishResult; checkRunId: number | null }> {
    let existing = this.#known;
    if (existing === undefined) {
      try {
        existing = await findOurCheckRun(octokit, head, options.appId);
      } catch (error) {
        options.log.warn({ err: error }, "could not look up the check run before writing the failure; creating one");
        existing = null;
      }
      this.#known = existing;
    }
    const result = await this.publish(octokit, head, output, now);
    return { result, checkRunId: result === "created" || !existing ? null : existing.id };
  }
}

function shown(id: number, output: CheckOutput): ExistingCheck {
  return { id, status: "completed", conclusion: output.conclusion, title: output.title, summary: output.summary };
}
