// Who may see the dashboard: GitHub sign-in (web OAuth flow), then active membership of one of
// DASHBOARD_TEAMS, checked at sign-in and again once the session is older than
// MEMBERSHIP_CACHE_SECONDS. The session cookie is signed and holds no token; the user's OAuth token
// stays in this process's memory only (for the re-checks), never in a cookie, a page or a log line.
import type { IncomingMessage } from "node:http";
import { LRUCache } from "lru-cache";
import { GitHubOAuthClient, SignInError, type Membership } from "./github-oauth.js";
import { CookieSigner, parseCookies, randomToken, readOAuthState, readSession, sameString, serializeCookie, type Session } from "./session.js";
import { teamName, type DashboardSettings } from "./settings.js";

export const SESSION_COOKIE = "change_policy_session";
export const STATE_COOKIE = "change_policy_oauth_state";
export const COOKIE_PATH = "/dashboard";
/** A working day; after it, sign in again. */
export const SESSION_SECONDS = 8 * 3600;
/** Time to finish GitHub's sign-in page. */
export const STATE_SECONDS = 10 * 60;

export type Access =
  | { kind: "member"; session: Session; setCookie: string | null }
  /** Not signed in, or the session cannot be used any more (forged, expired, tampered; token gone): sign in. */
  | { kind: "anonymous"; reason: AnonymousReason; clearCookie: boolean }
  | { kind: "forbidden"; login: string; problems: string[]; clearCookie: boolean }
  | { kind: "unavailable"; message: string };

/** none: no session cookie; ended: it is forged, tampered or expired; recheck: membership must be asked again. */
export type AnonymousReason = "none" | "ended" | "recheck";

export type SignInResult =
  | { kind: "member"; session: Session; setCookie: string; returnTo: string }
  | { kind: "forbidden"; login: string; problems: string[] }
  | { kind: "refused"; status: number; message: string };

export interface AuthLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export class DashboardAuth {
  readonly #settings: DashboardSettings;
  readonly #signer: CookieSigner;
  readonly #github: GitHubOAuthClient;
  readonly #clock: () => Date;
  readonly #log: AuthLog;
  /** sid → the user's OAuth token. Bounded; an evicted token only means signing in again. */
  readonly #tokens = new LRUCache<string, string>({ max: 10_000, ttl: SESSION_SECONDS * 1000, ttlAutopurge: false });
  /** One membership re-check at a time per session (a page and its stylesheet arrive together). */
  readonly #rechecks = new Map<string, Promise<Access>>();

  constructor(settings: DashboardSettings, options: { clock: () => Date; fetch?: typeof fetch; log: AuthLog }) {
    this.#settings = settings;
    this.#signer = new CookieSigner(settings.sessionSecret);
    this.#github = new GitHubOAuthClient({ ...settings, ...(options.fetch ? { fetch: options.fetch } : {}) });
    this.#clock = options.clock;
    this.#log = options.log;
  }

  get teamNames(): string[] {
    return this.#settings.teams.map(teamName);
  }

  #nowSeconds(): number {
    return Math.floor(this.#clock().getTime() / 1000);
  }

  /** The redirect to GitHub's authorize page and the state cookie bound to it. */
  startSignIn(returnTo: string, redirectUri: string, secure: boolean): { location: string; setCookie: string } {
    const state = randomToken();
    const cookie = this.#signer.sign("oauth-state", { state, returnTo, expiresAt: this.#nowSeconds() + STATE_SECONDS });
    return {
      location: this.#github.authorizeUrl(state, redirectUri),
      setCookie: serializeCookie(STATE_COOKIE, cookie, { path: COOKIE_PATH, maxAgeSeconds: STATE_SECONDS, secure }),
    };
  }

  clearStateCookie(secure: boolean): string {
    return serializeCookie(STATE_COOKIE, "", { path: COOKIE_PATH, maxAgeSeconds: 0, secure });
  }

  clearSessionCookie(secure: boolean): string {
    return serializeCookie(SESSION_COOKIE, "", { path: COOKIE_PATH, maxAgeSeconds: 0, secure });
  }

  /** GitHub sent the user back: check `state` against its cookie, exchange the code, check membership. */
  async finishSignIn(req: IncomingMessage, params: URLSearchParams, redirectUri: string, secure: boolean): Promise<SignInResult> {
    const now = this.#nowSeconds();
    const bound = readOAuthState(this.#signer.verify("oauth-state", parseCookies(req.headers.cookie).get(STATE_COOKIE)), now);
    const state = params.get("state") ?? "";
    if (!bound || !state || state.length > 200 || !sameString(state, bound.state)) {
      this.#log.warn({ hasStateCookie: Boolean(bound) }, "dashboard sign-in refused: the state did not match its cookie");
      return { kind: "refused", status: 400, message: "This sign-in could not be verified (it was started in another browser or tab, took longer than 10 minutes, or was not started here). Start it again." };
    }
    const error = params.get("error");
    if (error) {
      return { kind: "refused", status: 401, message: error === "access_denied" ? "The sign-in was cancelled on GitHub." : `GitHub did not sign you in (${error.slice(0, 100)}).` };
    }
    const code = params.get("code") ?? "";
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(code)) return { kind: "refused", status: 400, message: "GitHub's answer carried no usable sign-in code. Start again." };
    try {
      const token = await this.#github.exchangeCode(code, redirectUri);
      const user = await this.#github.user(token);
      const { teams, problems } = await this.#memberships(token, user.login);
      if (teams.length === 0) {
        this.#log.warn({ login: user.login, problems }, "dashboard sign-in refused: not a member of any dashboard team");
        if (problems.length === this.#settings.teams.length) return { kind: "refused", status: 503, message: `GitHub could not confirm your team membership just now (${problems.join("; ")}). Try again in a moment.` };
        return { kind: "forbidden", login: user.login, problems };
      }
      const session: Session = { sid: randomToken(), login: user.login, userId: user.id, teams, issuedAt: now, checkedAt: now, expiresAt: now + SESSION_SECONDS };
      this.#tokens.set(session.sid, token);
      this.#log.info({ login: user.login, teams }, "dashboard sign-in");
      return { kind: "member", session, setCookie: this.#sessionCookie(session, secure), returnTo: bound.returnTo };
    } catch (error) {
      if (error instanceof SignInError) return { kind: "refused", status: 502, message: error.message };
      throw error;
    }
  }

  /** Who is asking, from the session cookie; re-checks membership when the last check is too old. */
  async access(req: IncomingMessage, secure: boolean): Promise<Access> {
    const raw = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (!raw) return { kind: "anonymous", reason: "none", clearCookie: false };
    const now = this.#nowSeconds();
    const session = readSession(this.#signer.verify("session", raw), now);
    if (!session) return { kind: "anonymous", reason: "ended", clearCookie: true };
    if (now - session.checkedAt < this.#settings.membershipCacheSeconds) return { kind: "member", session, setCookie: null };
    let pending = this.#rechecks.get(session.sid);
    if (!pending) {
      pending = this.#recheck(session, secure).finally(() => this.#rechecks.delete(session.sid));
      this.#rechecks.set(session.sid, pending);
    }
    return pending;
  }

  async #recheck(session: Session, secure: boolean): Promise<Access> {
    const token = this.#tokens.get(session.sid);
    const again = { kind: "anonymous", reason: "recheck", clearCookie: true } as const;
    if (!token) return again;
    try {
      const { teams, problems } = await this.#memberships(token, session.login);
      if (teams.length === 0) {
        if (problems.length === this.#settings.teams.length) return { kind: "unavailable", message: `GitHub could not confirm your team membership just now (${problems.join("; ")}). Try again in a moment.` };
        this.#tokens.delete(session.sid);
        this.#log.warn({ login: session.login }, "dashboard access withdrawn: no longer a member of any dashboard team");
        return { kind: "forbidden", login: session.login, problems, clearCookie: true };
      }
      const renewed = { ...session, teams, checkedAt: this.#nowSeconds() };
      return { kind: "member", session: renewed, setCookie: this.#sessionCookie(renewed, secure) };
    } catch (error) {
      if (error instanceof SignInError) {
        this.#tokens.delete(session.sid);
        return again;
      }
      throw error;
    }
  }

  signOut(req: IncomingMessage): void {
    const session = readSession(this.#signer.verify("session", parseCookies(req.headers.cookie).get(SESSION_COOKIE)), this.#nowSeconds());
    if (session) this.#tokens.delete(session.sid);
  }

  async #memberships(token: string, login: string): Promise<{ teams: string[]; problems: string[] }> {
    const answers: Membership[] = await Promise.all(this.#settings.teams.map((team) => this.#github.membership(token, team, login)));
    const teams: string[] = [];
    const problems: string[] = [];
    answers.forEach((answer, i) => {
      const name = teamName(this.#settings.teams[i]!);
      if (answer.state === "active") teams.push(name);
      else if (answer.state === "unknown") problems.push(`${name}: ${answer.reason}`);
    });
    return { teams, problems };
  }

  #sessionCookie(session: Session, secure: boolean): string {
    return serializeCookie(SESSION_COOKIE, this.#signer.sign("session", session), { path: COOKIE_PATH, maxAgeSeconds: session.expiresAt - this.#nowSeconds(), secure });
  }

  close(): void {
    this.#tokens.clear();
  }
}
