// A GitHub-compatible sign-in served on loopback, laid out like GitHub Enterprise Server (web at
// http://127.0.0.1:PORT, REST API under /api/v3): the authorize page (approves at once for the user
// the test chose), the code → token exchange, GET /user and team memberships. Every API request is
// checked against GitHub's published API description, as the other GitHub-facing tests do.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { checkRequest } from "../helpers/github-api-description.js";

export const CLIENT_ID = "Iv1.dashboardtest0001";
export const CLIENT_SECRET = "client-secret-value-for-dashboard-tests-0123456789";

export interface FakeUser {
  login: string;
  id: number;
}

export interface RecordedCall {
  method: string;
  /** Path as requested (API paths without /api/v3). */
  path: string;
  api: boolean;
}

export class FakeGitHubOAuth {
  readonly calls: RecordedCall[] = [];
  readonly problems: string[] = [];
  /** Tokens handed out (the tests check none reaches a page, a cookie or a log line). */
  readonly tokensIssued: string[] = [];
  readonly codesIssued: string[] = [];
  /** Who the next sign-in is (GitHub's own session in the browser). */
  signInAs: FakeUser = { login: "alice", id: 1001 };
  /** `org/team` → member logins; `pending:` prefix for a pending invitation. */
  readonly teams = new Map<string, string[]>();
  /** Answers for a membership check of a team, e.g. 403 or 500, instead of the real one. */
  readonly failTeam = new Map<string, number>();
  /** Where GitHub would send the user: the App's registered callback URL prefix. */
  callbackPrefix = "";
  #codes = new Map<string, FakeUser>();
  #tokens = new Map<string, FakeUser>();
  #server: Server | null = null;
  port = 0;

  get webBaseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  apiCalls(): string[] {
    return this.calls.filter((c) => c.api).map((c) => `${c.method} ${c.path}`);
  }

  /** Revokes every token (as when the user revokes the app's authorization). */
  revokeTokens(): void {
    this.#tokens.clear();
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", this.webBaseUrl);
        const api = url.pathname.startsWith("/api/v3/");
        const path = api ? url.pathname.slice("/api/v3".length) + url.search : url.pathname;
        this.calls.push({ method: req.method ?? "GET", path, api });
        if (api) this.problems.push(...checkRequest({ method: req.method ?? "GET", path, headers: req.headers, body: body ? safeJson(body) : undefined }));
        const reply = (status: number, data: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
          res.end(JSON.stringify(data));
        };
        if (!api) return this.#web(req, url, body, reply, res);
        const user = this.#tokens.get(String(req.headers.authorization ?? "").replace(/^(Bearer|token) /, ""));
        if (!user) return reply(401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" });
        if (req.method === "GET" && url.pathname === "/api/v3/user") return reply(200, { login: user.login, id: user.id, type: "User", site_admin: false });
        const m = /^\/api\/v3\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(url.pathname);
        if (req.method === "GET" && m) {
          const team = `${m[1]}/${m[2]}`;
          const failure = this.failTeam.get(team);
          if (failure) return reply(failure, { message: failure === 403 ? "Resource not accessible by integration" : "Server Error" });
          const members = this.teams.get(team) ?? [];
          const login = decodeURIComponent(m[3]!);
          if (members.includes(login)) return reply(200, { url: `${this.webBaseUrl}/api/v3${url.pathname}`, role: "member", state: "active" });
          if (members.includes(`pending:${login}`)) return reply(200, { url: `${this.webBaseUrl}/api/v3${url.pathname}`, role: "member", state: "pending" });
          return reply(404, { message: "Not Found" });
        }
        return reply(404, { message: "Not Found" });
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", resolve));
    const address = this.#server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
  }

  #web(req: IncomingMessage, url: URL, body: string, reply: (status: number, data: unknown) => void, res: import("node:http").ServerResponse): void {
    if (req.method === "GET" && url.pathname === "/login/oauth/authorize") {
      const redirectUri = url.searchParams.get("redirect_uri") ?? "";
      if (url.searchParams.get("client_id") !== CLIENT_ID) return reply(404, { error: "unknown client" });
      if (this.callbackPrefix && !redirectUri.startsWith(this.callbackPrefix)) return reply(400, { error: "redirect_uri_mismatch" });
      const code = randomBytes(10).toString("hex");
      this.codesIssued.push(code);
      this.#codes.set(code, this.signInAs);
      const back = new URL(redirectUri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state") ?? "");
      res.writeHead(302, { location: back.toString() });
      res.end();
      return;
    }
    if (req.method === "POST" && url.pathname === "/login/oauth/access_token") {
      const form = safeJson(body) as Record<string, string> | undefined;
      if (form?.client_id !== CLIENT_ID || form.client_secret !== CLIENT_SECRET) return reply(200, { error: "incorrect_client_credentials" });
      const user = this.#codes.get(form.code ?? "");
      if (!user) return reply(200, { error: "bad_verification_code", error_description: "The code passed is incorrect or expired." });
      this.#codes.delete(form.code!);
      const token = `ghu_${randomBytes(18).toString("hex")}`;
      this.tokensIssued.push(token);
      this.#tokens.set(token, user);
      return reply(200, { access_token: token, token_type: "bearer", scope: "" });
    }
    reply(404, { message: "Not Found" });
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
