// The GitHub client of the commands that talk to GitHub (audit, sweep): a token (--token or
// GITHUB_TOKEN), or the app itself (APP_ID + PRIVATE_KEY / PRIVATE_KEY_PATH) acting as its
// installation on the repository, on github.com or GitHub Enterprise Server (GHE_HOST). Requests time
// out, are retried and wait out rate limits (src/github/resilience.ts, with the CLI's longer waits):
// a long audit must wait out a rate limit, not die half-way.
import { ProbotOctokit } from "probot";
import { statusOf, type GitHubClient } from "../github/client.js";
import { octokitClass } from "../github/octokit.js";
import { CLI_RESILIENCE, resilienceFromEnv, type ResilienceOptions, type RetryNotice } from "../github/resilience.js";
import { formatDuration } from "../github/transient-errors.js";
import { parseSettings } from "../settings.js";
import type { CliIO } from "./io.js";

export interface GitHubClientOptions {
  /** --token; falls back to GITHUB_TOKEN. */
  token?: string;
  /** --installation-id; otherwise looked up for owner/repo. */
  installationId?: number;
  owner?: string;
  repo?: string;
  /** The Octokit class; tests pass one without retry/throttling (and then get no resilience either). */
  Octokit?: typeof ProbotOctokit;
  /** Over the CLI's timeouts, retries and waits (tests pass a clock). */
  resilience?: Partial<ResilienceOptions>;
  /** Octokit's request options (tests pass a fetch). */
  request?: { fetch?: typeof fetch };
}

/** A problem with the command's credentials, worded for the person running it. */
export class CredentialsError extends Error {}

/** GitHub's API address for the commands: the same setting (GHE_HOST, GHE_PROTOCOL) as the server's. */
export function apiBaseUrl(env: CliIO["env"]): string | undefined {
  return parseSettings(env).apiBaseUrl;
}

export async function createGitHubClient(io: CliIO, options: GitHubClientOptions = {}): Promise<GitHubClient> {
  const Octokit = cliOctokit(io, options);
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

/** The app itself (a JWT): lists installations; the sweep then acts as each of them. */
export async function createAppClient(io: CliIO, options: Pick<GitHubClientOptions, "Octokit" | "resilience"> = {}): Promise<GitHubClient> {
  const Octokit = cliOctokit(io, options);
  const baseUrl = apiBaseUrl(io.env);
  return new Octokit({ ...(baseUrl ? { baseUrl } : {}), log: cliLog(io), auth: { appId: io.env.APP_ID, privateKey: await loadPrivateKey(io) } }) as GitHubClient;
}

/** The app's private key, read as the server reads it (src/settings.ts). */
export async function loadPrivateKey(io: CliIO): Promise<string> {
  if (!io.env.PRIVATE_KEY && !io.env.PRIVATE_KEY_PATH) throw new CredentialsError("APP_ID is set but neither PRIVATE_KEY nor PRIVATE_KEY_PATH is.");
  try {
    return parseSettings(io.env, { cwd: io.cwd }).privateKey!;
  } catch (error) {
    throw new CredentialsError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * The commands' client class: timeouts, retries and rate-limit waits long enough for an audit to wait
 * out an hourly reset (CLI_RESILIENCE, GITHUB_* settings), each wait said on stderr.
 */
function cliOctokit(io: CliIO, options: Pick<GitHubClientOptions, "Octokit" | "resilience">): typeof ProbotOctokit {
  if (options.Octokit) return octokitClass({ base: options.Octokit });
  return octokitClass({ resilience: { ...resilienceFromEnv(io.env, CLI_RESILIENCE), onWait: (n) => io.err(waitMessage(n)), ...options.resilience } });
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
