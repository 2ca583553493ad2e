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
    case "string":
      return jsonString(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no representation for ${value}`);
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) out += (i ? "," : "") + canonicalJson(value[i] ?? null);
        return `${out}]`;
      }
      const { keys, prefixes } = objectShape(value);
      let out = "{";
      for (let i = 0; i < keys.length; i++) {
        const v = value[keys[i]!];
        if (v === undefined) return canonicalObjectWithGaps(value);
        out += prefixes[i]! + canonicalJson(v);
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}

/** Like JSON.stringify, members whose value is undefined are left out (not a JsonValue, but tolerated). */
function canonicalObjectWithGaps(value: { [key: string]: JsonValue }): string {
  const parts: string[] = [];
  for (const key of sortedKeys(value)) if (value[key] !== undefined) parts.push(`${jsonString(key)}:${canonicalJson(value[key]!)}`);
  return `{${parts.join(",")}}`;
}

interface Shape {
  keys: string[];
  /** `"key":` (with the comma before it, after the first), ready to write. */
  prefixes: string[];
}

// Bodies of one kind share their key sets, so each set is sorted and escaped once. Bounded: cleared
// when full. The cache key is length-prefixed, so no two key lists can share one.
const shapes = new Map<string, Shape>();
const MAX_SHAPES = 5_000;

function objectShape(value: object): Shape {
  const keys = Object.keys(value);
  let id = "";
  for (const key of keys) id += `${key.length}:${key}`;
  let shape = shapes.get(id);
  if (!shape) {
    const sorted = sortedKeys(value);
    shape = { keys: sorted, prefixes: sorted.map((k, i) => `${i ? "," : ""}${jsonString(k)}:`) };
    if (shapes.size >= MAX_SHAPES) shapes.clear();
    shapes.set(id, shape);
  }
  return shape;
}

// What JSON.stringify escapes in a string: the quote, the backslash, controls and lone surrogates.
// eslint-disable-next-line no-control-regex -- the control characters are what is looked for
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as JSON.stringify writes it (most need no escaping: skip the call for those). */
function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** `out[key] = value`, except that "__proto__" (a legal JSON key) becomes a key, not the prototype. */
function setOwn(out: { [key: string]: JsonValue }, key: string, value: JsonValue): void {
  if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

// Below U+D800, UTF-16 unit order (JS's default sort) is code point order; only keys with higher
// units need the slower comparison.
const HIGH_UNIT = /[\ud800-\uffff]/;

function sortedKeys(object: object): string[] {
  const keys = Object.keys(object);
  for (const key of keys) if (HIGH_UNIT.test(key)) return keys.sort(compareCodePoints);
  return keys.sort();
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
  return canonicalEntryWithBody(fields, canonicalJson(fields.body));
}

/**
 * The same text from the body's canonical JSON (the six keys written in their sorted order), so a body
 * already held as canonical text (SQLite stores it so) is not parsed and rewritten to be hashed.
 */
export function canonicalEntryWithBody(fields: Omit<HashedFields, "body">, canonicalBody: string): string {
  if (!Number.isFinite(fields.seq)) throw new TypeError(`canonical JSON has no representation for ${fields.seq}`);
  return (
    `{"body":${canonicalBody},"kind":${JSON.stringify(fields.kind)},"recorded_at":${JSON.stringify(fields.recorded_at)},` +
    `"repository":${JSON.stringify(fields.repository)},"seq":${JSON.stringify(fields.seq)},"subject":${JSON.stringify(fields.subject)}}`
  );
}

export function entryHash(prevHash: string, fields: HashedFields): string {
  return hashCanonical(prevHash, canonicalEntry(fields));
}

/** sha256(prev_hash + "\n" + canonical entry), lowercase hex. */
export function hashCanonical(prevHash: string, canonical: string): string {
  return createHash("sha256").update(prevHash).update("\n").update(canonical).digest("hex");
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
    for (const [k, v] of Object.entries(value)) setOwn(out, cleanString(k), cleanStrings(v));
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
