import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Probot } from "probot";
import { startFakeGitHub, type FakeGitHub } from "../bench/fake-github.mjs";
import { deliveryLog, annotateDelivery } from "../src/logging.js";
import { startServer, type RunningServer } from "../src/server.js";
import { freePort, PRIVATE_KEY, WEBHOOK_SECRET, captureLogs, deferred, examplePayload, get, postWebhook, signatureOf, waitFor } from "./server-fixtures.js";

const baseEnv = { APP_ID: "12345", PRIVATE_KEY, WEBHOOK_SECRET, HOST: "127.0.0.1", LOG_LEVEL: "info" };
/** What the loopback fake GitHub (bench/fake-github.mjs) hands out as the installation token. */
const INSTALLATION_TOKEN = `ghs_${"b".repeat(36)}`;

/**
 * A stand-in app, only for what is the server's own doing (signature verification before any
 * handler, shutdown waiting for a delivery in flight, held by `gate`): it records the deliveries its
 * handler sees. What the real handlers do (their logging above all) is tested with the real app.
 */
function recordingApp(seen: string[], gate?: Promise<void>) {
  return (app: Probot) => {
    app.on("pull_request.opened", async (context) => {
      const log = deliveryLog(context);
      await gate;
      seen.push(context.id);
      annotateDelivery({ verdict: "failure" });
      log.info("evaluated");
    });
  };
}

/** Each server's ledger and pending work in a fresh SQLite file (never ./data, which a previous run may hold). */
const dataDirs: string[] = [];
function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "server-test-ledger-"));
  dataDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string>, app: (probot: Probot) => void, logs = captureLogs()) {
  const server = (await startServer({ env: { ...baseEnv, PORT: String(await freePort()), DATA_DIR: freshDataDir(), ...env }, app, logDestination: logs.stream, jobs: [] })) as RunningServer;
  return { server, logs };
}

/** A pull_request.opened delivery of an installation (so the real app asks for an installation token). */
function openedPayload() {
  return { ...examplePayload("pull_request", "opened"), installation: { id: 4242 } };
}

describe("webhook server running the real app against a loopback GitHub", () => {
  let server: RunningServer;
  let logs: ReturnType<typeof captureLogs>;
  let github: FakeGitHub;

  beforeAll(async () => {
    github = await startFakeGitHub();
    github.currentPr.set("Hello-World", 2); // the example payload's PR, for the fake's check writes
    logs = captureLogs();
    // No `app`: src/server.ts builds the real createApp, as in production.
    server = (await startServer({
      env: {
        ...baseEnv,
        PORT: String(await freePort()),
        GHE_HOST: `127.0.0.1:${github.port}`,
        GHE_PROTOCOL: "http",
        DATA_DIR: freshDataDir(),
        SWEEP_INTERVAL_MINUTES: "0",
        COALESCE_WINDOW_MS: "0",
      },
      logDestination: logs.stream,
      jobs: [],
    })) as RunningServer;
  });
  afterAll(async () => {
    await server.shutdown("test over");
    await github.close();
  });

  /** Delivers a signed pull_request.opened and waits until the real app has written its check. */
  async function deliverAndWaitForCheck(id: string) {
    github.checks.clear();
    const res = await postWebhook(server.port, { name: "pull_request", id, payload: openedPayload() });
    await waitFor(() => github.checks.has("Hello-World#2") && logs.lines().some((l) => l.msg === "pull request evaluated" && l.delivery === id), 10_000);
    return res;
  }

  it("handles a correctly signed delivery: the real app reads the PR and writes its check", async () => {
    const res = await deliverAndWaitForCheck("delivery-signed");
    expect(res.status).toBe(200);
    expect(github.requests).toEqual(
      expect.arrayContaining(["POST /app/installations/4242/access_tokens", "POST /api/graphql", "POST /repos/Codertocat/Hello-World/check-runs"]),
    );
  });

  it("logs JSON lines carrying the delivery id, repository, PR number and verdict", async () => {
    await deliverAndWaitForCheck("delivery-fields");
    const conclusion = github.checks.get("Hello-World#2")!.conclusion.toLowerCase();
    const line = logs.lines().find((l) => l.msg === "pull request evaluated" && l.delivery === "delivery-fields");
    expect(line).toMatchObject({ delivery: "delivery-fields", event: "pull_request", repo: "Codertocat/Hello-World", pr: 2, verdict: conclusion });
  });

  it("never writes the webhook secret, the signature, the private key or tokens to its logs", async () => {
    const payload = openedPayload();
    const signature = signatureOf(JSON.stringify(payload));
    await deliverAndWaitForCheck("delivery-logged");
    await postWebhook(server.port, { name: "pull_request", id: "delivery-logged-bad", payload }, signatureOf("x"));
    await waitFor(() => logs.text().includes("delivery-logged-bad"));
    const lines = logs.text().split("\n").filter(Boolean);
    const text = lines.join("\n");
    expect(text).toContain('"delivery":"delivery-logged"'); // the capture works: the real handlers' lines are there
    expect(text).toContain("pull request evaluated");
    expect(text).toContain('"x-hub-signature-256":"[REDACTED]"'); // the HTTP logger did log the headers
    for (const line of lines) {
      expect(line).not.toContain(signature.slice("sha256=".length));
      expect(line).not.toContain(signatureOf("x").slice("sha256=".length));
      expect(line).not.toMatch(/sha256=[0-9a-f]{64}/);
      expect(line).not.toContain(WEBHOOK_SECRET);
      for (const keyLine of PRIVATE_KEY.split("\n").filter((l) => l.length >= 16 && !l.startsWith("-----"))) expect(line).not.toContain(keyLine);
      expect(line).not.toContain(INSTALLATION_TOKEN);
      expect(line).not.toMatch(/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/); // the app's JWT
    }
  });

  it("answers /healthz, /readyz and /metrics", async () => {
    expect(await get(server.port, "/healthz")).toMatchObject({ status: 200 });
    expect(await get(server.port, "/readyz")).toMatchObject({ status: 200, text: expect.stringMatching(/^ready\nledger: (ok|opening the database)/) });
    const metrics = await get(server.port, "/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.contentType).toContain("text/plain");
    for (const name of [
      "change_policy_evaluations_total",
      "change_policy_evaluation_duration_seconds",
      "change_policy_github_requests_total",
      "change_policy_github_rate_limit_remaining",
      "change_policy_followup_reviews_open",
      "change_policy_followup_reviews_overdue",
      "change_policy_incidents_opened_total",
      "change_policy_errors_total",
    ]) expect(metrics.text).toContain(`# TYPE ${name} `);
    expect(metrics.text).toMatch(/change_policy_errors_total\{where="webhook_rejected"\} [1-9]/);
  });
});

// Server mechanics only: the signature is checked before any handler runs, so a stand-in app that
// records what its handler sees proves it (and cannot be confused by the real app's background work).
describe("webhook signature verification", () => {
  let server: RunningServer;
  const seen: string[] = [];

  beforeAll(async () => {
    ({ server } = await start({}, recordingApp(seen)));
  });
  afterAll(async () => {
    await server.shutdown("test over");
  });

  it("runs the handler for a correctly signed delivery", async () => {
    const res = await postWebhook(server.port, { name: "pull_request", id: "delivery-signed", payload: examplePayload("pull_request", "opened") });
    expect(res.status).toBe(200);
    expect(seen).toContain("delivery-signed");
  });

  it.each([
    ["missing", null],
    ["wrong", signatureOf("{}")],
    ["made with another secret", "computed-below"],
  ])("rejects a delivery whose signature is %s with 400, and no handler runs", async (_label, signature) => {
    const payload = examplePayload("pull_request", "opened");
    const sig = signature === "computed-below" ? signatureOf(JSON.stringify(payload), "not-the-secret") : signature;
    const id = `delivery-bad-${String(_label).replace(/ /g, "-")}`;
    const res = await postWebhook(server.port, { name: "pull_request", id, payload }, sig);
    expect(res.status).toBe(400);
    expect(seen).not.toContain(id);
  });
});

// Server mechanics only: a stand-in app whose handler waits on a gate holds a delivery in flight.
describe("graceful shutdown", () => {
  it("stops being ready, finishes the delivery in flight, then stops", async () => {
    const gate = deferred();
    const seen: string[] = [];
    const { server } = await start({ SHUTDOWN_GRACE_MS: "300" }, recordingApp(seen, gate.promise));
    const response = postWebhook(server.port, { name: "pull_request", id: "in-flight", payload: examplePayload("pull_request", "opened") });
    await waitFor(() => server.inFlight() === 1);
    const stopped = server.shutdown("SIGTERM");
    expect(await get(server.port, "/readyz")).toMatchObject({ status: 503, text: expect.stringMatching(/^not ready: shutting down\nledger: /) });
    expect(seen).toEqual([]);
    gate.release();
    expect(await stopped).toEqual({ clean: true });
    expect(seen).toEqual(["in-flight"]);
    expect((await response).status).toBe(200);
    await expect(get(server.port, "/healthz")).rejects.toThrow(); // no longer listening
  });

  it("gives up after the timeout and says so", async () => {
    const logs = captureLogs();
    const { server } = await start({ SHUTDOWN_TIMEOUT_MS: "200" }, recordingApp([], new Promise(() => undefined)), logs);
    void postWebhook(server.port, { name: "pull_request", id: "stuck", payload: examplePayload("pull_request", "opened") }).catch(() => undefined);
    await waitFor(() => server.inFlight() === 1);
    expect(await server.shutdown("SIGTERM")).toEqual({ clean: false });
    const line = logs.lines().find((l) => String(l.msg).startsWith("shutdown timeout"));
    expect(line).toMatchObject({ inFlight: 1, abandoned: ["delivery stuck (pull_request)"] });
  });
});
