// Small HTTP pieces of the dashboard: the security headers every response carries, and answering.
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * No script at all, styles only from our one stylesheet, images only ours or data: URIs, forms only to
 * ourselves, never framed. Inline SVG needs nothing more: its colours are presentation attributes.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

export function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "content-type": contentType, "content-length": String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

export function sendHtml(res: ServerResponse, status: number, body: string, headers: Record<string, string | string[]> = {}): void {
  send(res, status, "text/html; charset=utf-8", body, headers);
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}, status = 302): void {
  res.writeHead(status, { ...SECURITY_HEADERS, location, "content-length": "0", ...headers });
  res.end();
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The Host header, when it is a plain host[:port] (anything else is refused). */
export function hostOf(req: IncomingMessage): string | null {
  const host = req.headers.host ?? "";
  return /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/.test(host) ? host : null;
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.replace(/:\d{1,5}$/, "").toLowerCase());
}

/**
 * The origin people reach the dashboard at. Behind an ingress that terminates TLS the app sees plain
 * HTTP, so only a loopback host without `X-Forwarded-Proto: https` is taken to be plain http.
 */
export function requestOrigin(req: IncomingMessage, host: string): string {
  const forwarded = String(req.headers["x-forwarded-proto"] ?? "").split(",")[0]!.trim().toLowerCase();
  const encrypted = Boolean((req.socket as { encrypted?: boolean }).encrypted);
  const https = encrypted || forwarded === "https" || !isLoopbackHost(host);
  return `${https ? "https" : "http"}://${host}`;
}
