// Everything one evaluation reads from GitHub, in the order that keeps it cheap and honest: the
// policy from the PR's base branch (a 304 when unchanged), then ONE GraphQL query for the PR and
// the members of the teams that policy uses (src/policy/lookups.ts). The base branch is taken from
// the event; if the PR's current base differs (or the event did not say), the policy is read again
// from the real base — the PR's state is never trusted from a webhook payload. Then the linked
// register issue (src/github/register-issue.ts), a conditional request.
import type { Config } from "../config/schema.js";
import type { ConfigProblem } from "../config/load.js";
import { expandGroups, lookupsFor } from "../policy/lookups.js";
import type { PullSnapshot } from "../policy/snapshot.js";
import type { GitHubClient } from "./client.js";
import { loadPolicyConfig, type PolicyLookup } from "./config.js";
import { teamMembers } from "./groups.js";
import { withRegisterIssue } from "./register-issue.js";
import { fetchPull } from "./snapshot.js";
import type { ExistingCheck, PullRef } from "./types.js";

export type PullContext =
  | { kind: "no-policy"; snapshot: PullSnapshot; check: ExistingCheck | null }
  | { kind: "invalid-policy"; snapshot: PullSnapshot; check: ExistingCheck | null; problems: ConfigProblem[] }
  | { kind: "ready"; snapshot: PullSnapshot; check: ExistingCheck | null; config: Config; sources: string[] };

export interface ReadOptions {
  appId?: number;
  installationId?: number;
  /** The PR's base branch as the event says; saves a second policy read when it is still right. */
  baseRefHint?: string;
}

export async function readPullContext(octokit: GitHubClient, pull: PullRef, options: ReadOptions = {}): Promise<PullContext> {
  const repo = { owner: pull.owner, repo: pull.repo };
  const hint = options.baseRefHint;
  // Without a hint, the default branch's policy: most PRs target it, and the query says if not.
  let policy = await loadPolicyConfig(octokit, { ...repo, ...(hint ? { ref: hint } : {}) });
  const teams = policy.kind === "ok" ? lookupsFor(policy.config).teams : [];
  const reading = await fetchPull(octokit, pull, options.appId, teams, options.installationId);
  const { snapshot, check } = reading;
  const policyRef = hint ?? reading.defaultBranch;
  if (snapshot.baseRef !== policyRef) policy = await loadPolicyConfig(octokit, { ...repo, ref: snapshot.baseRef });
  return withPolicy(octokit, policy, reading.teamMembers, snapshot, check, options.installationId);
}

async function withPolicy(
  octokit: GitHubClient,
  policy: PolicyLookup,
  teamMembersRead: Record<string, string[]>,
  snapshot: PullSnapshot,
  check: ExistingCheck | null,
  installationId: number | undefined,
): Promise<PullContext> {
  if (policy.kind === "none") return { kind: "no-policy", snapshot, check };
  if (policy.kind === "invalid") return { kind: "invalid-policy", snapshot, check, problems: policy.problems };
  const members = { ...teamMembersRead };
  // Only when the base branch's policy names teams the query did not ask for (the base changed).
  for (const team of lookupsFor(policy.config).teams) members[team] ??= await teamMembers(octokit, team, installationId);
  const groups = expandGroups(policy.config, members);
  const complete = await withRegisterIssue(octokit, { ...snapshot, groups }, policy.config);
  return { kind: "ready", snapshot: complete, check, config: policy.config, sources: policy.sources };
}
