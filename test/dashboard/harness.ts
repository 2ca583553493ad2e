// Runs the dashboard handler on a loopback HTTP server, the way src/server.ts plugs it in, against a
// real SQLite ledger and the fake GitHub sign-in; plus a tiny cookie-keeping HTTP client.
import { createServer, type Server } from "node:http";
import { createDashboard, type Dashboard } from "../../src/dashboard/dashboard.js";
import { dashboardSettingsFromEnv } from "../../src/dashboard/settings.js";
import { CLIENT_ID, CLIENT_SECRET, type FakeGitHubOAuth } from "./fake-github-oauth.js";
import type { TestLedger } from "./ledger-fixture.js";

export const SESSION_SECRET = "session-secret-for-dashboard-tests-0123456789abcdef";

export interface RunningDashboard {
  baseUrl: string;
  dashboard: Dashboard;
  /** Every line the dashboard logged (JSON of fields + message), unscrubbed. */
  logs: string[];
  clock: { now: Date };
  stop(): Promise<void>;
}

export async function startDashboard(ledger: TestLedger, github: FakeGitHubOAuth, clock: { now: Date }, env: Record<string, string> = {}): Promise<RunningDashboard> {
  const settings = dashboardSettingsFromEnv({
    GITHUB_CLIENT_ID: CLIENT_ID,
    GITHUB_CLIENT_SECRET: CLIENT_SECRET,
    DASHBOARD_SESSION_SECRET: SESSION_SECRET,
    DASHBOARD_TEAMS: "acme/security-leads,acme/auditors",
    GHE_HOST: github.host,
    GHE_PROTOCOL: "http",
    ...env,
  })!;
  const logs: string[] = [];
  const record = (level: string) => (fields: object, message: string) => logs.push(JSON.stringify({ level, ...fields, msg: message }, (_k, v) => (v instanceof Error ? { message: v.message, stack: v.stack } : v)));
  const dashboard = createDashboard({ settings, database: ledger.handle, clock: () => clock.now, log: { info: record("info"), warn: record("warn"), error: record("error") } });
  const server: Server = createServer((req, res) => {
    void dashboard.handle(req, res).then((handled) => {
      if (!handled) res.writeHead(404, { "content-type": "text/plain" }).end("not the dashboard\n");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    dashboard,
    logs,
    clock,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dashboard.close();
    },
  };
}

export interface Answer {
  status: number;
  location: string | null;
  setCookies: string[];
  headers: Headers;
  text: string;
}

/** An HTTP client that keeps cookies like a browser (per name; Max-Age=0 deletes) and never follows redirects. */
export class Client {
  readonly cookies = new Map<string, string>();

  async get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
    return this.request("GET", url, headers);
  }

  async request(method: string, url: string, headers: Record<string, string> = {}): Promise<Answer> {
    const cookie = [...this.cookies.entries()].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await fetch(url, { method, redirect: "manual", headers: { ...(cookie ? { cookie } : {}), ...headers } });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      if (/Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair!.slice(eq + 1));
    }
    return { status: res.status, location: res.headers.get("location"), setCookies, headers: res.headers, text: await res.text() };
  }

  /** Follows the sign-in: start → GitHub's authorize → callback. Returns the callback's answer. */
  async signIn(baseUrl: string, returnTo = "/dashboard"): Promise<Answer> {
    const start = await this.get(`${baseUrl}/dashboard/oauth/start?return=${encodeURIComponent(returnTo)}`);
    if (start.status !== 302 || !start.location) throw new Error(`sign-in did not start: ${start.status}`);
    const authorize = await this.get(start.location);
    if (authorize.status !== 302 || !authorize.location) throw new Error(`GitHub did not redirect back: ${authorize.status} ${authorize.text}`);
    return this.get(authorize.location);
  }
}
