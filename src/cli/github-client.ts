// The GitHub client of the commands that talk to GitHub (audit, sweep): a token (--token or
// GITHUB_TOKEN), or the app itself (APP_ID + PRIVATE_KEY / PRIVATE_KEY_PATH) acting as its
// installation on the repository, on github.com or GitHub Enterprise Server (GHE_HOST). Requests time
// out, are retried and wait out rate limits (src/github/resilience.ts, with the CLI's longer waits):
// a long audit must wait out a rate limit, not die half-way.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ProbotOctokit } from "probot";
import { statusOf, type GitHubClient } from "../github/client.js";
import { CLI_RESILIENCE, resilienceFromEnv, withResilience, type ResilienceOptions, type RetryNotice } from "../github/resilience.js";
import { formatDuration } from "../github/transient-errors.js";
import type { CliIO } from "./io.js";

export interface GitHubClientOptions {
  /** --token; falls back to GITHUB_TOKEN. */
  token?: string;
  /** --installation-id; otherwise looked up for owner/repo. */
  installationId?: number;
  owner?: string;
  repo?: string;
  /** The Octokit class; tests pass one without retry/throttling. */
  Octokit?: typeof ProbotOctokit;
  /** Over the CLI's timeouts, retries and waits (tests pass a clock). */
  resilience?: Partial<ResilienceOptions>;
  /** Octokit's request options (tests pass a fetch). */
  request?: { fetch?: typeof fetch };
}

/** A problem with the command's credentials, worded for the person running it. */
export class CredentialsError extends Error {}

export function apiBaseUrl(env: CliIO["env"]): string | undefined {
  const host = env.GHE_HOST?.trim();
  if (!host) return undefined;
  const protocol = env.GHE_PROTOCOL?.trim() || "https";
  return `${protocol}://${host}/api/v3`;
}

export async function createGitHubClient(io: CliIO, options: GitHubClientOptions = {}): Promise<GitHubClient> {
  const Octokit =
    options.Octokit ?? withResilience(ProbotOctokit, { ...resilienceFromEnv(io.env, CLI_RESILIENCE), onWait: (n) => io.err(waitMessage(n)), ...options.resilience });
  const baseUrl = apiBaseUrl(io.env);
  const common = { ...(baseUrl ? { baseUrl } : {}), log: cliLog(io), ...(options.request ? { request: options.request } : {}) };

  const token = options.token ?? io.env.GITHUB_TOKEN;
  if (token) return new Octokit({ ...common, auth: { token } });

  const appId = io.env.APP_ID;
  if (!appId) {
    throw new CredentialsError(
      "No GitHub credentials: pass --token (or set GITHUB_TOKEN), or set APP_ID and PRIVATE_KEY / PRIVATE_KEY_PATH to act as the app.",
    );
  }
  const privateKey = await loadPrivateKey(io);
  let installationId = options.installationId;
  if (installationId === undefined) {
    if (!options.owner || !options.repo) {
      throw new CredentialsError("To act as the app, give the repository (OWNER/REPO) or the installation id.");
    }
    // Authenticated as the app itself (a JWT): the one route that finds the installation.
    const app = new Octokit({ ...common, auth: { appId, privateKey } });
    try {
      const { data } = await app.request("GET /repos/{owner}/{repo}/installation", { owner: options.owner, repo: options.repo });
      installationId = data.id;
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) {
        throw new CredentialsError(`The app (APP_ID ${appId}) is not installed on ${options.owner}/${options.repo}; install it there or pass --token.`);
      }
      if (status === 401) {
        throw new CredentialsError("GitHub rejected the app's credentials (401): check APP_ID and the private key.");
      }
      throw error;
    }
  }
  return new Octokit({ ...common, auth: { appId, privateKey, installationId } });
}

export async function loadPrivateKey(io: CliIO): Promise<string> {
  // Environments often store the key on one line with literal "\n".
  if (io.env.PRIVATE_KEY) return io.env.PRIVATE_KEY.replace(/\\n/g, "\n");
  const path = io.env.PRIVATE_KEY_PATH;
  if (!path) throw new CredentialsError("APP_ID is set but neither PRIVATE_KEY nor PRIVATE_KEY_PATH is.");
  try {
    return await readFile(resolve(io.cwd, path), "utf8");
  } catch (error) {
    throw new CredentialsError(`PRIVATE_KEY_PATH ${path} cannot be read: ${(error as Error).message}`);
  }
}

/** What the person running a long command reads while it waits for GitHub. */
function waitMessage(n: RetryNotice): string {
  const wait = formatDuration(n.waitMs);
  if (n.reason === "rate_limit") {
    return `GitHub ${n.rateLimit === "secondary" ? "secondary " : ""}rate limit reached (${n.route}); waiting ${wait} before retrying.`;
  }
  const what = n.reason === "timeout" ? "did not answer in time" : n.reason === "network" ? "could not be reached" : `answered ${n.status ?? "with an internal error"}`;
  return `GitHub ${what} (${n.route}); retrying in ${wait}.`;
}

/** Octokit's warnings (rate limits, deprecations) go to stderr; its debug chatter is dropped. */
function cliLog(io: CliIO) {
  const noop = () => {};
  return { debug: noop, info: noop, warn: (message: string) => io.err(`warning: ${message}`), error: (message: string) => io.err(`error: ${message}`) };
}
