// GitHub's web application flow for the app's own OAuth client (a GitHub App's client id and secret):
// the authorize URL, the code → token exchange, who signed in, and their membership of a team.
// These are the only GitHub requests the dashboard makes; no page is rendered from GitHub's answers.
// The token travels only in request headers; errors never carry it.
import type { DashboardTeam } from "./settings.js";

export interface OAuthClientOptions {
  clientId: string;
  clientSecret: string;
  webBaseUrl: string;
  apiBaseUrl: string;
  fetch?: typeof fetch;
  /** Per request; GitHub answers these in well under a second. */
  timeoutMs?: number;
}

export interface GitHubUser {
  id: number;
  login: string;
}

/** active: an active member; none: not a member (or pending); unknown: GitHub did not say (error). */
export type Membership = { state: "active" } | { state: "none" } | { state: "unknown"; reason: string };

/** A sign-in that failed for a reason the user or the admin can act on; the message is safe to show. */
export class SignInError extends Error {
  constructor(
    message: string,
    /** The token was refused: sign in again. */
    readonly tokenRejected = false,
  ) {
    super(message);
    this.name = "SignInError";
  }
}

export class GitHubOAuthClient {
  readonly #options: OAuthClientOptions;
  readonly #fetch: typeof fetch;

  constructor(options: OAuthClientOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
  }

  authorizeUrl(state: string, redirectUri: string): string {
    const url = new URL(`${this.#options.webBaseUrl}/login/oauth/authorize`);
    url.searchParams.set("client_id", this.#options.clientId);
    url.searchParams.set("redirect_uri", redirectUri);
    url.searchParams.set("state", state);
    // Only what the dashboard reads: who you are and your team memberships (a GitHub App ignores
    // scopes and grants what its permissions allow: Members: read).
    url.searchParams.set("scope", "read:org");
    url.searchParams.set("allow_signup", "false");
    return url.toString();
  }

  async exchangeCode(code: string, redirectUri: string): Promise<string> {
    const response = await this.#request(`${this.#options.webBaseUrl}/login/oauth/access_token`, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify({ client_id: this.#options.clientId, client_secret: this.#options.clientSecret, code, redirect_uri: redirectUri }),
    });
    const answer = (await readJson(response)) as { access_token?: unknown; error?: unknown; error_description?: unknown } | null;
    if (response.ok && typeof answer?.access_token === "string" && answer.access_token) return answer.access_token;
    const error = typeof answer?.error === "string" ? answer.error : `HTTP ${response.status}`;
    if (error === "bad_verification_code") throw new SignInError("GitHub did not accept the sign-in code (it was used already or expired). Sign in again.");
    if (error === "incorrect_client_credentials") throw new SignInError("GitHub refused the dashboard's OAuth client: check GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET.");
    if (error === "redirect_uri_mismatch") throw new SignInError("GitHub refused the callback URL: add this dashboard's /dashboard/oauth/callback URL to the GitHub App's callback URLs.");
    throw new SignInError(`GitHub did not complete the sign-in (${error.slice(0, 100)}). Sign in again.`);
  }

  async user(token: string): Promise<GitHubUser> {
    const response = await this.#api("/user", token);
    if (response.status === 401) throw new SignInError("GitHub no longer accepts your sign-in. Sign in again.", true);
    const user = (await readJson(response)) as { id?: unknown; login?: unknown } | null;
    if (!response.ok || typeof user?.login !== "string" || typeof user.id !== "number") {
      throw new SignInError(`GitHub did not say who signed in (HTTP ${response.status}). Try again.`);
    }
    return { id: user.id, login: user.login };
  }

  /** `GET /orgs/{org}/teams/{team_slug}/memberships/{username}` with the user's own token. */
  async membership(token: string, team: DashboardTeam, login: string): Promise<Membership> {
    const path = `/orgs/${encodeURIComponent(team.org)}/teams/${encodeURIComponent(team.slug)}/memberships/${encodeURIComponent(login)}`;
    let response: Response;
    try {
      response = await this.#api(path, token);
    } catch (error) {
      return { state: "unknown", reason: error instanceof Error ? error.message : String(error) };
    }
    if (response.status === 401) throw new SignInError("GitHub no longer accepts your sign-in. Sign in again.", true);
    if (response.status === 404) {
      await response.body?.cancel();
      return { state: "none" };
    }
    const answer = (await readJson(response)) as { state?: unknown } | null;
    if (response.ok) return answer?.state === "active" ? { state: "active" } : { state: "none" };
    return {
      state: "unknown",
      reason: response.status === 403 ? "GitHub refused to show the membership (403): the app needs the organisation permission Members: read and must be installed on the organisation" : `GitHub answered HTTP ${response.status}`,
    };
  }

  #api(path: string, token: string): Promise<Response> {
    return this.#request(`${this.#options.apiBaseUrl}${path}`, {
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${token}`,
        "x-github-api-version": "2022-11-28",
        "user-agent": "change-policy-dashboard",
      },
    });
  }

  async #request(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.#fetch(url, { ...init, redirect: "error", signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000) });
    } catch (error) {
      const what = error instanceof Error && error.name === "TimeoutError" ? "did not answer in time" : "could not be reached";
      throw new SignInError(`GitHub (${new URL(url).host}) ${what}. Try again in a moment.`);
    }
  }
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.length > 1_000_000) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
