// Signed cookies: `base64url(JSON) . base64url(HMAC-SHA256)`, keyed per purpose from
// DASHBOARD_SESSION_SECRET so that a sign-in `state` cookie can never be replayed as a session.
// The session holds who signed in and when membership was last checked — never a token.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export type CookiePurpose = "session" | "oauth-state";

/** Longer cookie values are refused before any parsing (browsers cap a cookie at ~4 KB anyway). */
const MAX_COOKIE_LENGTH = 4096;

export interface Session {
  /** Random id: the key of the user's OAuth token in this process's memory (for membership re-checks). */
  sid: string;
  login: string;
  userId: number;
  /** The teams of DASHBOARD_TEAMS the user was an active member of at the last check. */
  teams: string[];
  /** Seconds since the epoch. */
  issuedAt: number;
  checkedAt: number;
  expiresAt: number;
}

export interface OAuthState {
  state: string;
  /** The dashboard path to return to after sign-in. */
  returnTo: string;
  expiresAt: number;
}

export class CookieSigner {
  readonly #keys: Record<CookiePurpose, Buffer>;

  constructor(secret: string) {
    // One key per purpose, derived from the one secret.
    const derive = (purpose: CookiePurpose) => createHmac("sha256", secret).update(`change-policy dashboard ${purpose}`).digest();
    this.#keys = { session: derive("session"), "oauth-state": derive("oauth-state") };
  }

  sign(purpose: CookiePurpose, payload: object): string {
    const data = Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
    return `${data}.${this.#mac(purpose, data).toString("base64url")}`;
  }

  /** The payload when the value carries a valid signature for this purpose; null for anything else. */
  verify(purpose: CookiePurpose, value: string | undefined): unknown {
    if (!value || value.length > MAX_COOKIE_LENGTH) return null;
    const dot = value.indexOf(".");
    if (dot <= 0 || dot !== value.lastIndexOf(".")) return null;
    const data = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), "base64url");
    const expected = this.#mac(purpose, data);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      return JSON.parse(Buffer.from(data, "base64url").toString("utf8"));
    } catch {
      return null;
    }
  }

  #mac(purpose: CookiePurpose, data: string): Buffer {
    return createHmac("sha256", this.#keys[purpose]).update(data).digest();
  }
}

/** A valid, unexpired session from a verified payload; null when any field is missing or odd. */
export function readSession(payload: unknown, nowSeconds: number): Session | null {
  if (!payload || typeof payload !== "object") return null;
  const p = payload as Record<string, unknown>;
  const isTime = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
  if (typeof p.sid !== "string" || typeof p.login !== "string" || typeof p.userId !== "number") return null;
  if (!Array.isArray(p.teams) || !p.teams.every((t) => typeof t === "string")) return null;
  if (!isTime(p.issuedAt) || !isTime(p.checkedAt) || !isTime(p.expiresAt)) return null;
  if (p.expiresAt <= nowSeconds || p.issuedAt > nowSeconds + 60) return null;
  return { sid: p.sid, login: p.login, userId: p.userId, teams: p.teams as string[], issuedAt: p.issuedAt, checkedAt: p.checkedAt, expiresAt: p.expiresAt };
}

export function readOAuthState(payload: unknown, nowSeconds: number): OAuthState | null {
  if (!payload || typeof payload !== "object") return null;
  const p = payload as Record<string, unknown>;
  if (typeof p.state !== "string" || typeof p.returnTo !== "string" || typeof p.expiresAt !== "number") return null;
  if (p.expiresAt <= nowSeconds) return null;
  return { state: p.state, returnTo: p.returnTo, expiresAt: p.expiresAt };
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** Constant-time comparison of two strings (the OAuth `state`). */
export function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The cookies of a request, by name (the first value wins); a malformed header yields what it can. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header || header.length > 16_384) return cookies;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

export interface CookieOptions {
  path: string;
  maxAgeSeconds: number;
  secure: boolean;
}

export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    "HttpOnly",
    ...(options.secure ? ["Secure"] : []),
    "SameSite=Lax",
  ].join("; ");
}
