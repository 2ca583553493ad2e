// The hash chain of SPEC §10 (a contract: auditors recompute it themselves).
// hash = lowercase hex SHA-256 of  prev_hash + "\n" + canonical({seq, recorded_at, kind, repository, subject, body})
import { createHash } from "node:crypto";

/** The first entry's prev_hash. */
export const GENESIS_PREV_HASH = "0".repeat(64);

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The hashed fields of an entry, as stored. */
export interface HashedFields {
  seq: number;
  /** UTC with milliseconds: 2026-12-02T14:03:33.123Z */
  recorded_at: string;
  kind: string;
  repository: string;
  subject: string;
  body: JsonValue;
}

/**
 * JSON with object keys sorted (by Unicode code point, which is also UTF-8 byte order, as Python's
 * sort_keys and jq -S sort) at every level and no whitespace. Strings and numbers are written as
 * JSON.stringify writes them. Only plain JSON values are accepted.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no representation for ${value}`);
      return JSON.stringify(value);
    case "string":
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
      const keys = Object.keys(value).sort(compareCodePoints);
      const parts: string[] = [];
      for (const key of keys) {
        const v = value[key];
        if (v === undefined) continue;
        parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
      }
      return `{${parts.join(",")}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}

/** Orders strings by Unicode code point (JS's default sort compares UTF-16 units, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Surrogates (U+D800–DFFF) stand for code points above U+FFFF, so they rank after U+E000–FFFF. */
function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/** The text that is hashed after prev_hash and the newline. */
export function canonicalEntry(fields: HashedFields): string {
  return canonicalJson({
    seq: fields.seq,
    recorded_at: fields.recorded_at,
    kind: fields.kind,
    repository: fields.repository,
    subject: fields.subject,
    body: fields.body,
  });
}

export function entryHash(prevHash: string, fields: HashedFields): string {
  return createHash("sha256").update(prevHash).update("\n").update(canonicalEntry(fields)).digest("hex");
}

/**
 * Makes a body storable and hashable the same way in both databases: a plain JSON value (Dates become
 * ISO strings, undefined members vanish, as JSON.stringify does), with strings PostgreSQL's jsonb accepts
 * (it rejects NUL and lone surrogates; both become U+FFFD).
 */
export function normalizeBody(body: unknown): JsonValue {
  const json = JSON.stringify(body ?? null);
  if (json === undefined) return null;
  return cleanStrings(JSON.parse(json) as JsonValue);
}

function cleanStrings(value: JsonValue): JsonValue {
  if (typeof value === "string") return cleanString(value);
  if (Array.isArray(value)) return value.map(cleanStrings);
  if (value !== null && typeof value === "object") {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) out[cleanString(k)] = cleanStrings(v);
    return out;
  }
  return value;
}

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function cleanString(s: string): string {
  return s.replace(LONE_SURROGATE, "\ufffd").replaceAll(String.fromCharCode(0), "\ufffd");
}

/** recorded_at as the hash writes it: UTC, milliseconds, Z. */
export function isoMillis(date: Date): string {
  return date.toISOString();
}
