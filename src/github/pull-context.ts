// Everything one evaluation reads from GitHub, in the order that keeps it cheap and honest:
// the PR (one query), then the policy from the PR's *current* base branch, then the
// policy-dependent data (permissions, group members, mostly cached), then the linked register issue.
import type { Config } from "../config/schema.js";
import type { ConfigProblem } from "../config/load.js";
import type { PullSnapshot } from "../policy/snapshot.js";
import type { GitHubClient } from "./client.js";
import { loadPolicyConfig } from "./config.js";
import { withRegisterIssue } from "./register-issue.js";
import { completeSnapshot, fetchPull } from "./snapshot.js";
import type { ExistingCheck, PullRef } from "./types.js";

export type PullContext =
  | { kind: "no-policy"; snapshot: PullSnapshot; check: ExistingCheck | null }
  | { kind: "invalid-policy"; snapshot: PullSnapshot; check: ExistingCheck | null; problems: ConfigProblem[] }
  | { kind: "ready"; snapshot: PullSnapshot; check: ExistingCheck | null; config: Config; sources: string[] };

export interface ReadOptions {
  appId?: number;
  installationId?: number;
}

export async function readPullContext(octokit: GitHubClient, pull: PullRef, options: ReadOptions = {}): Promise<PullContext> {
  const { snapshot, check } = await fetchPull(octokit, pull, options.appId);
  const policy = await loadPolicyConfig(octokit, { owner: pull.owner, repo: pull.repo, ref: snapshot.baseRef });
  if (policy.kind === "none") return { kind: "no-policy", snapshot, check };
  if (policy.kind === "invalid") return { kind: "invalid-policy", snapshot, check, problems: policy.problems };
  const complete = await withRegisterIssue(octokit, await completeSnapshot(octokit, snapshot, policy.config, options.installationId), policy.config);
  return { kind: "ready", snapshot: complete, check, config: policy.config, sources: policy.sources };
}
