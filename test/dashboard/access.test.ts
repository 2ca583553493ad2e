// Who gets in, at the HTTP level: the sign-in through a GitHub-compatible OAuth endpoint on loopback,
// the session cookie, membership re-checks, and what a refused visitor sees (no data).
import { request } from "node:http";
import { CookieSigner } from "../../src/dashboard/session.js";
import { CONTENT_SECURITY_POLICY } from "../../src/dashboard/http.js";
import { CLIENT_SECRET, FakeGitHubOAuth } from "./fake-github-oauth.js";
import { Client, SESSION_SECRET, startDashboard, type RunningDashboard } from "./harness.js";
import { NOW, openTestLedger, seedQuarter, XSS_TITLE, type TestLedger } from "./ledger-fixture.js";

let ledger: TestLedger;
let github: FakeGitHubOAuth;
let app: RunningDashboard;
const clock = { now: NOW };

beforeAll(async () => {
  ledger = await openTestLedger();
  await seedQuarter(ledger);
  github = new FakeGitHubOAuth();
  await github.start();
  github.teams.set("acme/security-leads", ["alice"]);
  github.teams.set("acme/auditors", ["erin", "pending:frank"]);
  app = await startDashboard(ledger, github, clock, { MEMBERSHIP_CACHE_SECONDS: "300" });
  github.callbackPrefix = `${app.baseUrl}/dashboard/oauth/callback`;
});

afterAll(async () => {
  await app.stop();
  await github.stop();
  await ledger.close();
});

beforeEach(() => {
  clock.now = NOW;
  github.signInAs = { login: "alice", id: 1001 };
  github.failTeam.clear();
});

afterEach(() => {
  // Every request the dashboard sent to GitHub's API exists in GitHub's description and is well-formed.
  expect(github.problems).toEqual([]);
});

async function member(login = "alice", id = 1001): Promise<Client> {
  github.signInAs = { login, id };
  const client = new Client();
  const answer = await client.signIn(app.baseUrl);
  expect(answer.status).toBe(302);
  return client;
}

describe("access to the dashboard", () => {
  it("sends an anonymous visitor to the sign-in page, keeping where they were going", async () => {
    const answer = await new Client().get(`${app.baseUrl}/dashboard/acme/payments/pull/12?x=1`);
    expect(answer.status).toBe(302);
    expect(answer.location).toBe(`/dashboard/sign-in?return=${encodeURIComponent("/dashboard/acme/payments/pull/12?x=1")}`);
    expect(answer.text).toBe("");
    const signIn = await new Client().get(`${app.baseUrl}${answer.location}`);
    expect(signIn.status).toBe(200);
    expect(signIn.text).toContain("Sign in with GitHub");
    expect(signIn.text).toContain(`href="/dashboard/oauth/start?return=${encodeURIComponent("/dashboard/acme/payments/pull/12?x=1")}"`);
    expect(signIn.text).not.toContain("acme/payments#12");
  });

  it("signs a team member in through GitHub and shows the page they asked for (200)", async () => {
    const client = new Client();
    const start = await client.get(`${app.baseUrl}/dashboard/oauth/start?return=${encodeURIComponent("/dashboard/follow-ups")}`);
    const authorize = new URL(start.location!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${github.webBaseUrl}/login/oauth/authorize`);
    expect(authorize.searchParams.get("client_id")).toBe("Iv1.dashboardtest0001");
    expect(authorize.searchParams.get("redirect_uri")).toBe(`${app.baseUrl}/dashboard/oauth/callback`);
    expect(authorize.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stateCookie = start.setCookies.find((c) => c.startsWith("change_policy_oauth_state="))!;
    expect(stateCookie).toMatch(/; Path=\/dashboard; Max-Age=600; HttpOnly; SameSite=Lax$/);

    const back = await client.get((await client.get(start.location!)).location!);
    expect(back.status).toBe(302);
    expect(back.location).toBe("/dashboard/follow-ups");
    const session = back.setCookies.find((c) => c.startsWith("change_policy_session="))!;
    // HttpOnly, SameSite=Lax, 8 hours; not Secure only because this is plain http on loopback.
    expect(session).toMatch(/; Path=\/dashboard; Max-Age=28800; HttpOnly; SameSite=Lax$/);
    expect(back.setCookies.some((c) => c.startsWith("change_policy_oauth_state=;") && c.includes("Max-Age=0"))).toBe(true);

    const page = await client.get(`${app.baseUrl}/dashboard/follow-ups`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Signed in as <strong>@alice</strong>");
    expect(page.text).toContain("acme/payments#213");
    expect(github.apiCalls()).toEqual(expect.arrayContaining(["GET /user", "GET /orgs/acme/teams/security-leads/memberships/alice", "GET /orgs/acme/teams/auditors/memberships/alice"]));
  });

  it("keeps no token in the session cookie, the pages or the log, and logs no secret", async () => {
    const client = await member("erin", 1002);
    const cookie = client.cookies.get("change_policy_session")!;
    const payload = Buffer.from(cookie.split(".")[0]!, "base64url").toString("utf8");
    expect(JSON.parse(payload)).toEqual({ sid: expect.any(String), login: "erin", userId: 1002, teams: ["acme/auditors"], issuedAt: expect.any(Number), checkedAt: expect.any(Number), expiresAt: expect.any(Number) });
    const pages = await Promise.all(["/dashboard", "/dashboard/follow-ups", "/dashboard/acme/payments/pull/12"].map((p) => client.get(`${app.baseUrl}${p}`)));
    const everything = [cookie, payload, ...pages.map((p) => p.text), ...app.logs].join("\n");
    expect(github.tokensIssued.length).toBeGreaterThan(0);
    for (const token of github.tokensIssued) expect(everything).not.toContain(token);
    for (const code of github.codesIssued) expect(everything).not.toContain(code);
    expect(everything).not.toContain(CLIENT_SECRET);
    expect(everything).not.toContain(SESSION_SECRET);
    expect(app.logs.some((l) => l.includes('"msg":"dashboard sign-in"') && l.includes('"login":"erin"'))).toBe(true);
  });

  it("refuses a signed-in non-member with a 403 page naming the teams, and shows no data", async () => {
    github.signInAs = { login: "mallory", id: 666 };
    const client = new Client();
    const answer = await client.signIn(app.baseUrl);
    expect(answer.status).toBe(403);
    expect(answer.text).toContain("You cannot see this dashboard");
    expect(answer.text).toContain("@mallory");
    expect(answer.text).toContain("<code>acme/security-leads</code>");
    expect(answer.text).toContain("<code>acme/auditors</code>");
    for (const data of ["acme/payments", "Hotfix", "merged", "OVERDUE", "#13"]) expect(answer.text).not.toContain(data);
    expect(client.cookies.has("change_policy_session")).toBe(false);
    // No session: the next visit goes to the sign-in page again, never to data.
    expect((await client.get(`${app.baseUrl}/dashboard`)).status).toBe(302);
  });

  it("treats a pending team invitation as not a member", async () => {
    github.signInAs = { login: "frank", id: 1003 };
    expect((await new Client().signIn(app.baseUrl)).status).toBe(403);
  });

  it("says GitHub could not confirm membership (503, no data) when every team check fails", async () => {
    github.failTeam.set("acme/security-leads", 403);
    github.failTeam.set("acme/auditors", 500);
    const answer = await new Client().signIn(app.baseUrl);
    expect(answer.status).toBe(503);
    expect(answer.text).toContain("Members: read");
    expect(answer.text).not.toContain("acme/payments");
  });

  it.each([
    ["forged (signed with another secret)", () => `${Buffer.from(JSON.stringify({ sid: "x", login: "alice", userId: 1001, teams: ["acme/security-leads"], issuedAt: nowSeconds(), checkedAt: nowSeconds(), expiresAt: nowSeconds() + 3600 })).toString("base64url")}.${"A".repeat(43)}`],
    ["tampered (login changed after signing)", (real: string) => {
      const [data, mac] = real.split(".");
      const payload = JSON.parse(Buffer.from(data!, "base64url").toString("utf8"));
      return `${Buffer.from(JSON.stringify({ ...payload, login: "mallory" })).toString("base64url")}.${mac}`;
    }],
    ["expired", () => new CookieSigner(SESSION_SECRET).sign("session", { sid: "old", login: "alice", userId: 1001, teams: ["acme/security-leads"], issuedAt: nowSeconds() - 9 * 3600, checkedAt: nowSeconds() - 60, expiresAt: nowSeconds() - 3600 })],
    ["a sign-in state cookie used as a session", () => new CookieSigner(SESSION_SECRET).sign("oauth-state", { sid: "x", login: "alice", userId: 1001, teams: ["acme/security-leads"], issuedAt: nowSeconds(), checkedAt: nowSeconds(), expiresAt: nowSeconds() + 3600 })],
    ["garbage", () => "not-a-cookie"],
  ])("sends a visitor with a %s session cookie to sign in again, and clears it", async (_label, make) => {
    const client = await member();
    client.cookies.set("change_policy_session", make(client.cookies.get("change_policy_session")!));
    const answer = await client.get(`${app.baseUrl}/dashboard`);
    expect(answer.status).toBe(302);
    expect(answer.location).toBe("/dashboard/sign-in?return=%2Fdashboard&notice=ended");
    expect(answer.setCookies.some((c) => c.startsWith("change_policy_session=;") && c.includes("Max-Age=0"))).toBe(true);
    expect(answer.text).toBe("");
    const signIn = await client.get(`${app.baseUrl}${answer.location}`);
    expect(signIn.text).toContain("Your session has ended or could not be verified. Sign in again.");
  });

  it("refuses a callback whose state does not match the state cookie (400), and one with no state cookie", async () => {
    const client = new Client();
    const start = await client.get(`${app.baseUrl}/dashboard/oauth/start`);
    const callback = new URL((await client.get(start.location!)).location!);
    callback.searchParams.set("state", "a-state-that-we-never-issued");
    const forged = await client.get(callback.toString());
    expect(forged.status).toBe(400);
    expect(forged.text).toContain("This sign-in could not be verified");
    expect(client.cookies.has("change_policy_session")).toBe(false);

    // An attacker's own callback link (their code and state), opened in a victim's browser: no state cookie.
    const attacker = new Client();
    const attackerStart = await attacker.get(`${app.baseUrl}/dashboard/oauth/start`);
    const attackerCallback = (await attacker.get(attackerStart.location!)).location!;
    const victim = new Client();
    const answer = await victim.get(attackerCallback);
    expect(answer.status).toBe(400);
    expect(victim.cookies.has("change_policy_session")).toBe(false);
    expect(app.logs.some((l) => l.includes("the state did not match its cookie"))).toBe(true);
  });

  it("refuses a state cookie older than 10 minutes", async () => {
    const client = new Client();
    const start = await client.get(`${app.baseUrl}/dashboard/oauth/start`);
    const callback = (await client.get(start.location!)).location!;
    clock.now = new Date(NOW.getTime() + 11 * 60_000);
    expect((await client.get(callback)).status).toBe(400);
  });

  it("does not accept a sign-in code twice", async () => {
    const client = new Client();
    const start = await client.get(`${app.baseUrl}/dashboard/oauth/start`);
    const callback = (await client.get(start.location!)).location!;
    const stateCookie = client.cookies.get("change_policy_oauth_state")!;
    expect((await client.get(callback)).status).toBe(302);
    client.cookies.set("change_policy_oauth_state", stateCookie);
    const again = await client.get(callback);
    expect(again.status).toBe(502);
    expect(again.text).toContain("GitHub did not accept the sign-in code");
  });

  it("re-checks membership once the session is older than MEMBERSHIP_CACHE_SECONDS, and not before", async () => {
    const client = await member("erin", 1002);
    const count = () => github.apiCalls().filter((c) => c.endsWith("/memberships/erin")).length;
    const before = count();
    clock.now = new Date(NOW.getTime() + 299_000);
    expect((await client.get(`${app.baseUrl}/dashboard`)).status).toBe(200);
    expect(count()).toBe(before);
    clock.now = new Date(NOW.getTime() + 301_000);
    const rechecked = await client.get(`${app.baseUrl}/dashboard`);
    expect(rechecked.status).toBe(200);
    expect(count()).toBe(before + 2); // both teams asked again
    expect(rechecked.setCookies.some((c) => c.startsWith("change_policy_session="))).toBe(true); // renewed check time
    expect((await client.get(`${app.baseUrl}/dashboard`)).status).toBe(200);
    expect(count()).toBe(before + 2);
  });

  it("withdraws access at the next re-check when the user left the teams (403, no data)", async () => {
    github.teams.set("acme/auditors", ["erin", "gina"]);
    const client = await member("gina", 1004);
    github.teams.set("acme/auditors", ["erin"]);
    clock.now = new Date(NOW.getTime() + 301_000);
    const answer = await client.get(`${app.baseUrl}/dashboard`);
    expect(answer.status).toBe(403);
    expect(answer.text).toContain("@gina");
    expect(answer.text).not.toContain("acme/payments");
    expect(client.cookies.has("change_policy_session")).toBe(false);
  });

  it("asks to sign in again when GitHub no longer accepts the token at a re-check", async () => {
    const client = await member();
    github.revokeTokens();
    clock.now = new Date(NOW.getTime() + 301_000);
    const answer = await client.get(`${app.baseUrl}/dashboard`);
    expect(answer.status).toBe(302);
    expect(answer.location).toBe("/dashboard/sign-in?return=%2Fdashboard&notice=recheck");
  });

  it("signs out with a same-origin POST only", async () => {
    const client = await member();
    const crossSite = await client.request("POST", `${app.baseUrl}/dashboard/sign-out`, { "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    expect((await client.get(`${app.baseUrl}/dashboard`)).status).toBe(200);
    expect((await client.get(`${app.baseUrl}/dashboard/sign-out`)).status).toBe(405);
    const out = await client.request("POST", `${app.baseUrl}/dashboard/sign-out`, { "sec-fetch-site": "same-origin" });
    expect(out.status).toBe(303);
    expect(out.location).toBe("/dashboard/sign-in?signed-out=1");
    expect((await client.get(`${app.baseUrl}/dashboard`)).status).toBe(302);
  });

  it("never returns to another site after sign-in", async () => {
    for (const target of ["https://evil.example/", "//evil.example/dashboard", "/dashboard/../../evil", "/dashboard/%2e%2e/evil", "/dashboardevil", "/\\evil.example"]) {
      const client = new Client();
      const answer = await client.signIn(app.baseUrl, target);
      expect(answer.location?.startsWith("/dashboard") && !answer.location.startsWith("//")).toBe(true);
      expect(answer.location).not.toContain("evil");
    }
  });

  it("puts the security headers on every dashboard response, signed in or not", async () => {
    const client = await member();
    const answers = [
      await new Client().get(`${app.baseUrl}/dashboard`),
      await new Client().get(`${app.baseUrl}/dashboard/sign-in`),
      await new Client().get(`${app.baseUrl}/dashboard/assets/dashboard.css`),
      await client.get(`${app.baseUrl}/dashboard`),
      await client.get(`${app.baseUrl}/dashboard/nothing-here`),
      await client.get(`${app.baseUrl}/dashboard/audit.csv?repo=acme/payments`),
      await client.request("DELETE", `${app.baseUrl}/dashboard`),
    ];
    expect(answers.map((a) => a.status)).toEqual([302, 200, 200, 200, 404, 200, 405]);
    for (const a of answers) {
      expect(a.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
      expect(a.headers.get("x-content-type-options")).toBe("nosniff");
      expect(a.headers.get("referrer-policy")).toBe("no-referrer");
      expect(a.headers.get("cache-control")).toBe("no-store");
      expect(a.headers.get("x-frame-options")).toBe("DENY");
    }
    expect(CONTENT_SECURITY_POLICY).toBe("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  });

  it("renders a pull request title with HTML as text, everywhere it appears", async () => {
    const client = await member();
    const pages = await Promise.all(["/dashboard/acme/payments/pull/15", "/dashboard/audit?repo=acme/payments"].map((p) => client.get(`${app.baseUrl}${p}`)));
    for (const page of pages) {
      expect(page.status).toBe(200);
      expect(page.text).not.toContain("<script>alert");
      expect(page.text).not.toContain("<img src=x");
      expect(page.text).toContain("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; Fix &quot;quotes&quot; &amp; things");
      expect(page.text).not.toMatch(/<script/i);
    }
    expect(pages[0]!.text).toContain("<code>&lt;b&gt;bold&lt;/b&gt;</code>");
    expect(XSS_TITLE).toContain("<script>");
  });

  it("makes no GitHub request to render any page (only the sign-in and membership checks call GitHub)", async () => {
    const client = await member();
    const before = github.calls.length;
    const paths = ["/dashboard", "/dashboard?repo=acme", "/dashboard/follow-ups", "/dashboard/incidents", "/dashboard/audit?repo=acme/payments", "/dashboard/audit.md?repo=acme/payments", "/dashboard/audit.json?repo=acme/payments", "/dashboard/acme/payments/pull/12"];
    for (const path of paths) expect((await client.get(`${app.baseUrl}${path}`)).status).toBe(200);
    expect(github.calls.slice(before)).toEqual([]);
  });

  it("marks the session cookie Secure when the dashboard is reached over HTTPS (behind an ingress)", async () => {
    const client = new Client();
    const start = await client.get(`${app.baseUrl}/dashboard/oauth/start`, { "x-forwarded-proto": "https" });
    expect(start.setCookies[0]).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
    expect(new URL(start.location!).searchParams.get("redirect_uri")).toBe(`${app.baseUrl.replace("http:", "https:")}/dashboard/oauth/callback`);
    // fetch always sends the real Host; node:http lets the test send the one an ingress would pass on.
    const named = await rawGet(`${app.baseUrl}/dashboard/oauth/start`, { host: "change-policy.example.com" });
    expect(named.setCookie).toContain("; Secure;");
    expect(new URL(named.location!).searchParams.get("redirect_uri")).toBe("https://change-policy.example.com/dashboard/oauth/callback");
    expect((await rawGet(`${app.baseUrl}/dashboard`, { host: "bad host" })).status).toBe(400);
  });

  it("answers only its own paths", async () => {
    const other = await new Client().get(`${app.baseUrl}/dashboardx`);
    expect(other.status).toBe(404);
    expect(other.text).toBe("not the dashboard\n");
    expect((await new Client().get(`${app.baseUrl}/api/github/webhooks`)).text).toBe("not the dashboard\n");
  });
});

function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; location: string | null; setCookie: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? null, setCookie: (res.headers["set-cookie"] ?? []).join("\n") }));
    });
    req.on("error", reject);
    req.end();
  });
}

function nowSeconds(): number {
  return Math.floor(clock.now.getTime() / 1000);
}
