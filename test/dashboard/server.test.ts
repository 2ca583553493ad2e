// The dashboard inside the production server (src/server.ts), next to the webhook path: it answers
// /dashboard, the webhooks still work, and the server's own JSON logs (Probot's request log included)
// never show a sign-in code, a token or a cookie.
import type { Probot } from "probot";
import { dashboardFromEnv } from "../../src/dashboard/dashboard.js";
import { createLogger } from "../../src/logging.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { captureLogs, examplePayload, freePort, postWebhook, PRIVATE_KEY, WEBHOOK_SECRET } from "../server-fixtures.js";
import { CLIENT_ID, CLIENT_SECRET, FakeGitHubOAuth } from "./fake-github-oauth.js";
import { Client, SESSION_SECRET } from "./harness.js";
import { openTestLedger, seedQuarter, type TestLedger } from "./ledger-fixture.js";

let ledger: TestLedger;
let github: FakeGitHubOAuth;
let server: RunningServer;
let logs: ReturnType<typeof captureLogs>;
const delivered: string[] = [];

beforeAll(async () => {
  ledger = await openTestLedger();
  await seedQuarter(ledger);
  github = new FakeGitHubOAuth();
  await github.start();
  github.teams.set("acme/auditors", ["alice"]);
  logs = captureLogs();
  const env = {
    APP_ID: "12345",
    PRIVATE_KEY,
    WEBHOOK_SECRET,
    HOST: "127.0.0.1",
    PORT: String(await freePort()),
    LOG_LEVEL: "info",
    GITHUB_CLIENT_ID: CLIENT_ID,
    GITHUB_CLIENT_SECRET: CLIENT_SECRET,
    DASHBOARD_TEAMS: "acme/auditors",
    DASHBOARD_SESSION_SECRET: SESSION_SECRET,
    GHE_HOST: github.host,
    GHE_PROTOCOL: "http",
  };
  // The dashboard logs through the server's logger (secrets scrubbed), as src/server.ts would wire it.
  const log = createLogger({ destination: logs.stream, secrets: [WEBHOOK_SECRET, PRIVATE_KEY] });
  const dashboard = dashboardFromEnv(env, { database: ledger.handle, log })!;
  const app = (probot: Probot) => {
    probot.on("pull_request.opened", async (context) => {
      delivered.push(context.id);
    });
  };
  server = (await startServer({ env, app, logDestination: logs.stream, jobs: [], httpHandlers: [dashboard.handle] })) as RunningServer;
  (server as RunningServer & { dashboardClose?: () => Promise<void> }).dashboardClose = () => dashboard.close();
});

afterAll(async () => {
  await server.shutdown("test over");
  await (server as RunningServer & { dashboardClose?: () => Promise<void> }).dashboardClose?.();
  await github.stop();
  await ledger.close();
});

it("serves the dashboard next to the webhook path, and logs no sign-in code, token or cookie", async () => {
  const base = `http://127.0.0.1:${server.port}`;
  const client = new Client();
  expect((await client.signIn(base)).status).toBe(302);
  const page = await client.get(`${base}/dashboard`);
  expect(page.status).toBe(200);
  expect(page.text).toContain("Overview: all repositories");
  expect((await client.get(`${base}/healthz`)).text).toBe("ok\n");
  const webhook = await postWebhook(server.port, { name: "pull_request", id: "delivery-next-to-dashboard", payload: examplePayload("pull_request", "opened") });
  expect(webhook.status).toBe(200);
  expect(delivered).toContain("delivery-next-to-dashboard");

  const text = logs.text();
  expect(text).toContain("/dashboard/oauth/callback?code=[REDACTED]&state="); // Probot's request log saw the callback
  expect(text).toContain('"msg":"dashboard sign-in"');
  for (const code of github.codesIssued) expect(text).not.toContain(code);
  for (const token of github.tokensIssued) expect(text).not.toContain(token);
  expect(text).not.toContain(client.cookies.get("change_policy_session")!);
  expect(text).not.toContain(CLIENT_SECRET);
  expect(text).not.toContain(SESSION_SECRET);
  expect(github.problems).toEqual([]);
});
