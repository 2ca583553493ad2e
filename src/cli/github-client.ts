// The GitHub client of the commands that talk to GitHub (audit, sweep): a token (--token or
// GITHUB_TOKEN), or the app itself (APP_ID + PRIVATE_KEY / PRIVATE_KEY_PATH) acting as its
// installation on the repository, on github.com or GitHub Enterprise Server (GHE_HOST). Retries and
// rate-limit throttling stay on: a long audit must wait out a rate limit, not die half-way.
import { ProbotOctokit } from "probot";
import { statusOf, type GitHubClient } from "../github/client.js";
import { octokitClass } from "../github/octokit.js";
import { parseSettings } from "../settings.js";
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
}

/** A problem with the command's credentials, worded for the person running it. */
export class CredentialsError extends Error {}

/** How often a request is retried after GitHub's rate limit before the command gives up. */
const MAX_RATE_LIMIT_RETRIES = 3;

/** GitHub's API address for the commands: the same setting (GHE_HOST, GHE_PROTOCOL) as the server's. */
export function apiBaseUrl(env: CliIO["env"]): string | undefined {
  return parseSettings(env).apiBaseUrl;
}

export async function createGitHubClient(io: CliIO, options: GitHubClientOptions = {}): Promise<GitHubClient> {
  const Octokit = octokitClass({ base: options.Octokit ?? ProbotOctokit, throttle: cliThrottle(io) });
  const baseUrl = apiBaseUrl(io.env);
  const common = { ...(baseUrl ? { baseUrl } : {}), log: cliLog(io) };


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
export async function createAppClient(io: CliIO, options: Pick<GitHubClientOptions, "Octokit"> = {}): Promise<GitHubClient> {
  const Octokit = octokitClass({ base: options.Octokit ?? ProbotOctokit, throttle: cliThrottle(io) });
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

/** Rate-limit waits are said on stderr; after a few the command gives up instead of hanging for hours. */
function cliThrottle(io: CliIO) {
  return {
      onRateLimit: (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
        io.err(`GitHub rate limit reached (${request.method} ${request.url}); waiting ${retryAfter} s before retrying.`);
        return retryCount < MAX_RATE_LIMIT_RETRIES;
      },
      onSecondaryRateLimit: (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
        io.err(`GitHub secondary rate limit reached (${request.method} ${request.url}); waiting ${retryAfter} s before retrying.`);
        return retryCount < MAX_RATE_LIMIT_RETRIES;
      },
  };
}

/** Octokit's warnings (rate limits, deprecations) go to stderr; its debug chatter is dropped. */
function cliLog(io: CliIO) {
  const noop = () => {};
  return { debug: noop, info: noop, warn: (message: string) => io.err(`warning: ${message}`), error: (message: string) => io.err(`error: ${message}`) };
}
