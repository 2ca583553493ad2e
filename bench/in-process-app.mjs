// What the in-process benchmarks (bursts, deployment gate) share: a Probot instance of the built app
// talking to a loopback fake GitHub, and signed deliveries to it.
/* global fetch */
import { createHmac, generateKeyPairSync } from "node:crypto";
import { performance } from "node:perf_hooks";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";

export const SECRET = "bench-secret";

export async function listen(server) {
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

/** Probot with throttling and retries off: they change timing, not request counts. */
export function benchProbot(baseUrl) {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  return new Probot({
    appId: 1,
    privateKey,
    secret: SECRET,
    baseUrl,
    // Probot's throttling spaces writes ~1 s apart in production; off here, as it changes timing, not counts.
    Octokit: ProbotOctokit.defaults((o) => ({ ...o, retry: { enabled: false }, throttle: { ...o.throttle, enabled: false } })),
    log: pino({ level: process.env.BENCH_LOG_LEVEL ?? "silent" }),
  });
}

/** Sends one signed delivery through the webhook endpoint; returns how long the answer took. */
export async function deliver(webhookUrl, name, body, id) {
  const text = JSON.stringify(body);
  const signature = `sha256=${createHmac("sha256", SECRET).update(text).digest("hex")}`;
  const started = performance.now();
  const res = await fetch(webhookUrl, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": name, "x-github-delivery": id, "x-hub-signature-256": signature },
    body: text,
  });
  if (res.status >= 300) throw new Error(`delivery ${id} answered ${res.status}: ${await res.text()}`);
  return performance.now() - started;
}
