import type { Probot } from "probot";
import { deliveryLog, annotateDelivery } from "../src/logging.js";
import { startServer, type RunningServer } from "../src/server.js";
import { freePort, PRIVATE_KEY, WEBHOOK_SECRET, captureLogs, deferred, examplePayload, get, postWebhook, signatureOf, waitFor } from "./server-fixtures.js";

const baseEnv = { APP_ID: "12345", PRIVATE_KEY, WEBHOOK_SECRET, HOST: "127.0.0.1", LOG_LEVEL: "info" };

/** A stand-in app: records the deliveries its handler sees, logs like the real handlers do. */
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

async function start(env: Record<string, string>, app: (probot: Probot) => void, logs = captureLogs()) {
  const server = (await startServer({ env: { ...baseEnv, PORT: String(await freePort()), ...env }, app, logDestination: logs.stream, jobs: [] })) as RunningServer;
  return { server, logs };
}

describe("webhook server", () => {
  let server: RunningServer;
  let logs: ReturnType<typeof captureLogs>;
  const seen: string[] = [];

  beforeAll(async () => {
    ({ server, logs } = await start({}, recordingApp(seen)));
  });
  afterAll(async () => {
    await server.shutdown("test over");
  });

  it("handles a correctly signed delivery", async () => {
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

  it("never writes the webhook secret, the signature, the private key or tokens to its logs", async () => {
    const payload = examplePayload("pull_request", "opened");
    const signature = signatureOf(JSON.stringify(payload));
    await postWebhook(server.port, { name: "pull_request", id: "delivery-logged", payload });
    await postWebhook(server.port, { name: "pull_request", id: "delivery-logged-bad", payload }, signatureOf("x"));
    await waitFor(() => logs.text().includes("delivery-logged-bad"));
    const text = logs.text();
    expect(text).toContain("delivery-logged"); // the capture works: the delivery's lines are there
    expect(text).toContain('"x-hub-signature-256":"[REDACTED]"'); // the HTTP logger did log the headers
    expect(text).not.toContain(signature.slice("sha256=".length));
    expect(text).not.toContain(signatureOf("x").slice("sha256=".length));
    expect(text).not.toMatch(/sha256=[0-9a-f]{64}/);
    expect(text).not.toContain(WEBHOOK_SECRET);
    expect(text).not.toContain(PRIVATE_KEY.split("\n")[1]!);
  });

  it("logs JSON lines carrying the delivery id, repository, PR number and verdict", async () => {
    await postWebhook(server.port, { name: "pull_request", id: "delivery-fields", payload: examplePayload("pull_request", "opened") });
    const line = logs.lines().find((l) => l.msg === "evaluated" && l.delivery === "delivery-fields");
    expect(line).toMatchObject({ delivery: "delivery-fields", event: "pull_request", repo: "Codertocat/Hello-World", pr: 2, verdict: "failure" });
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
