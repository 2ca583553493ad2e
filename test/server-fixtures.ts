// Shared by the server tests: an app key, signed webhook requests, and HTTP helpers.
import { createHmac, generateKeyPairSync } from "node:crypto";
import { createRequire } from "node:module";
import { Writable } from "node:stream";

export const WEBHOOK_SECRET = "s3cret-webhook-value-for-tests";
export const PRIVATE_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();

const examples = createRequire(import.meta.url)("@octokit/webhooks-examples") as { name: string; examples: { action?: string }[] }[];
export function examplePayload(name: string, action: string): Record<string, unknown> {
  const payload = examples.find((e) => e.name === name)!.examples.find((e) => e.action === action);
  if (!payload) throw new Error(`no example ${name}.${action}`);
  return structuredClone(payload) as Record<string, unknown>;
}

export function signatureOf(body: string, secret = WEBHOOK_SECRET): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export async function postWebhook(
  port: number,
  event: { name: string; id: string; payload: unknown },
  signature: string | null | "valid" = "valid",
): Promise<{ status: number; text: string }> {
  const body = JSON.stringify(event.payload);
  const headers: Record<string, string> = { "content-type": "application/json", "x-github-event": event.name, "x-github-delivery": event.id };
  if (signature !== null) headers["x-hub-signature-256"] = signature === "valid" ? signatureOf(body) : signature;
  const res = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, { method: "POST", headers, body });
  return { status: res.status, text: await res.text() };
}

export async function get(port: number, path: string): Promise<{ status: number; text: string; contentType: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, text: await res.text(), contentType: res.headers.get("content-type") };
}

/** A log destination that keeps every line written. */
export function captureLogs(): { stream: Writable; text: () => string; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const text = () => chunks.join("");
  return { stream, text, lines: () => text().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

export function deferred(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

export { freePort } from "./helpers/net.js";
