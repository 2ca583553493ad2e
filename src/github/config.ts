// Finds the policy that governs a pull request: `.github/change-policy.yml` on the PR's base branch,
// else the organisation's `.github` repository, following `_extends` (Probot's conventions), with
// arrays replaced rather than concatenated. Probot's context.config() reads the default branch and
// concatenates arrays, which would let a PR's base branch be ignored, so it is not used.
import { createHash } from "node:crypto";
import type { Config } from "../config/schema.js";
import {
  CONFIG_PATH,
  MAX_EXTENDS_DEPTH,
  parseConfigFile,
  parseExtends,
  resolveConfig,
  type ConfigFile,
  type ConfigProblem,
} from "../config/load.js";
import { readFile, type GitHubClient } from "./client.js";

/** `blobSha`: git's blob id of the repository's (or organisation's) own file as read, for the ledger. */
export type PolicyLookup =
  | { kind: "none" }
  | { kind: "invalid"; problems: ConfigProblem[]; sources: string[]; blobSha: string }
  | { kind: "ok"; config: Config; sources: string[]; blobSha: string };

/** What `git hash-object` (and GitHub's blob sha) says of a file's text. */
export function gitBlobSha(text: string): string {
  const bytes = Buffer.from(text, "utf8");
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

import type { RepoRef } from "./types.js";
export type { RepoRef };

/** The organisation-wide fallback lives in the owner's `.github` repository, per GitHub convention. */
export const ORG_CONFIG_REPO = ".github";

export async function loadPolicyConfig(octokit: GitHubClient, where: RepoRef & { ref?: string }): Promise<PolicyLookup> {
  let first = await readFile(octokit, { ...where, path: CONFIG_PATH });
  let source = `${where.owner}/${where.repo}:${CONFIG_PATH}`;
  if (first === null && where.repo !== ORG_CONFIG_REPO) {
    first = await readFile(octokit, { owner: where.owner, repo: ORG_CONFIG_REPO, path: CONFIG_PATH });
    source = `${where.owner}/${ORG_CONFIG_REPO}:${CONFIG_PATH}`;
  }
  if (first === null) return { kind: "none" };
  const blobSha = gitBlobSha(first);

  // Walk the `_extends` chain; the repository's own file ends up last so that it wins.
  const chain: ConfigFile[] = [];
  let text: string | null = first;
  const visited = new Set<string>();
  while (text !== null) {
    const parsed = parseConfigFile(text, source);
    if (!parsed.ok) return { kind: "invalid", problems: parsed.problems, sources: [source, ...chain.map((c) => c.source)], blobSha };
    chain.unshift(parsed.value);
    const ext = parsed.value.raw._extends;
    if (ext === undefined) break;
    const target = parseExtends(ext, where.owner);
    const fail = (message: string) => ({
      kind: "invalid" as const,
      problems: [{ source, path: "_extends", message }],
      sources: chain.map((c) => c.source),
      blobSha,
    });
    if (typeof target === "string") return fail(target);
    const key = `${target.owner}/${target.repo}:${target.path}`.toLowerCase();
    if (visited.has(key) || chain.length > MAX_EXTENDS_DEPTH) {
      return fail(`_extends chain is circular or deeper than ${MAX_EXTENDS_DEPTH} files`);
    }
    visited.add(key);
    text = await readFile(octokit, target);
    if (text === null) return fail(`_extends points at ${target.owner}/${target.repo}:${target.path}, which does not exist or the app cannot read`);
    source = `${target.owner}/${target.repo}:${target.path}`;
  }
  const sources = chain.map((c) => c.source);
  const resolved = resolveConfig(chain);
  return resolved.ok ? { kind: "ok", config: resolved.value, sources, blobSha } : { kind: "invalid", problems: resolved.problems, sources, blobSha };
}
