// Reads the Change Log Register issue a pull request links (`Change request: acme/changes#45`,
// SPEC §9). One REST GET, made only when the description links an issue of the register's repository.
//
// Why REST and not the evaluation's GraphQL query: the link is in the PR's description, which that
// query returns, so a second round trip is needed whichever API answers it. A REST GET goes through
// the conditional-request cache (src/github/conditional-requests.ts): an unchanged issue answers 304,
// which GitHub does not count, while a GraphQL query is never conditional and always costs points.
// An edit of the issue changes its ETag, so the next evaluation reads the new body.
import type { Config } from "../config/schema.js";
import { registerIssueToRead, type IssueRef } from "../policy/register.js";
import type { PullSnapshot, RegisterIssueRead } from "../policy/snapshot.js";
import { statusOf, type GitHubClient } from "./client.js";

/** An issue as GitHub's REST API answers it (the fields a register issue needs). */
export interface RestRegisterIssue {
  number: number;
  html_url: string;
  repository_url: string;
  state: string;
  state_reason?: string | null;
  labels: (string | { name?: string })[];
  body?: string | null;
  pull_request?: unknown;
}

/** The snapshot with the linked register issue, when the description links one (otherwise unchanged). */
export async function withRegisterIssue(octokit: GitHubClient, snapshot: PullSnapshot, config: Pick<Config, "register">): Promise<PullSnapshot> {
  const ref = registerIssueToRead(config, snapshot);
  return ref ? { ...snapshot, registerIssue: await readRegisterIssue(octokit, ref) } : snapshot;
}

/** 404 and 410 (deleted) are "not found", 403 "no access"; anything else is thrown (the check fails closed). */
export async function readRegisterIssue(octokit: GitHubClient, ref: IssueRef): Promise<RegisterIssueRead> {
  const requested = { repository: `${ref.owner}/${ref.repo}`, number: ref.number };
  let issue: RestRegisterIssue;
  try {
    const res = await octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}", { owner: ref.owner, repo: ref.repo, issue_number: ref.number });
    issue = res.data as RestRegisterIssue;
  } catch (error) {
    const status = statusOf(error);
    if (status === 404 || status === 410) return { ok: false, ...requested, error: "not_found" };
    const message = error instanceof Error ? error.message.split("\n")[0]!.slice(0, 200) : "";
    // A 403 for the rate limit is not a missing permission: let the evaluation report it as such.
    if (status === 403 && !/rate limit/i.test(message)) return { ok: false, ...requested, error: "no_access", ...(message ? { message } : {}) };
    throw error;
  }
  return registerIssueFromRest(issue, requested);
}

/** A REST issue as the register issue the policy reads; `requested` is what the link named. */
export function registerIssueFromRest(issue: RestRegisterIssue, requested?: { repository: string; number: number }): RegisterIssueRead {
  // A transferred issue answers (after GitHub's redirect) from its new repository.
  const answered = issue.repository_url.replace(/^.*\/repos\//, "");
  const asked = requested ?? { repository: answered, number: issue.number };
  const moved = answered.toLowerCase() !== asked.repository.toLowerCase() || issue.number !== asked.number;
  return {
    ok: true,
    ...asked,
    ...(moved ? { movedTo: `${answered}#${issue.number}` } : {}),
    url: issue.html_url,
    state: issue.state === "closed" ? "closed" : "open",
    stateReason: issue.state_reason ?? null,
    labels: issue.labels.map((l) => (typeof l === "string" ? l : (l.name ?? ""))).filter(Boolean),
    body: issue.body ?? "",
    isPullRequest: issue.pull_request !== undefined && issue.pull_request !== null,
  };
}
