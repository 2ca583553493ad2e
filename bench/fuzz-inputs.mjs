// Generators of hostile inputs for the three parsers that read what users and GitHub send: the
// policy file loader (src/config/load.ts), the Request for Change reader
// (src/policy/request-for-change.ts) and the snapshot-file / webhook payload converter
// (src/github/payload-snapshot.ts). One definition, used by the property tests (test/fuzz/) and by
// the worst-case timing run (bench/fuzz.mjs), so that what is timed is what is tested.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
/* global structuredClone */
import fc from "fast-check";
import { stringify } from "yaml";

const require = createRequire(import.meta.url);

/** The example policy, a realistic starting point for mutation. */
export const EXAMPLE_CONFIG = readFileSync(new URL("../examples/change-policy.yml", import.meta.url), "utf8");

// ---- The policy file ----

/** Pieces of YAML syntax, the schema's own words, and values of every type a key could get wrong. */
const YAML_TOKENS = [
  "groups:", "classification:", "classes:", "rules:", "sections:", "fields:", "approvals:", "incidents:", "_extends:",
  "normal:", "standard:", "emergency:", "post_review:", "require:", "checked:", "when:", "paths:", "labels:", "users:",
  "teams:", "headings:", "min_length:", "names:", "format:", "count:", "from:", "stale:", "within_hours:", "name:",
  "__proto__:", "constructor:", "toString:", "requires:",
  "\n", "\n\n", "\r\n", " ", "  ", "    ", "\t", "- ", ": ", "? ", ",", "[", "]", "{", "}", "[]", "{}", "&a ", "*a", "&b [1, 2] ",
  "!!str ", "!!int ", "!!binary ", "!!set ", "!!omap ", "!custom ", "|", "|-", ">", "'", "''", '"', '\\"', "\\", "#", " # note",
  "---", "...", "%YAML 1.2\n---\n", "<<: ", "null", "~", "true", "no", "0x1F", "1e400", "-1", "0", "3.5", ".nan", "-.inf",
  "2001-12-14", "2026-01-31T12:00:00Z", "@alice", "acme/team", "cto-ciso", "**/*.md", "dismiss", "keep", "login", "date",
  "\u0000", "\u00e9", "\u2028", "\ud83d\ude00", "\ufeff",
];

const SCHEMA_KEYS = [
  "groups", "users", "teams", "classification", "default", "emergency", "normal", "standard", "labels", "paths", "sections",
  "headings", "min_length", "fields", "names", "format", "classes", "require", "checked", "approvals", "count", "from",
  "post_review", "within_hours", "repository", "assignees", "remind_before_hours", "rules", "name", "when", "stale",
  "incidents", "branches", "_extends", "cto-ciso", "compliance", "emergency-declarers", "description", "impact", "rollback",
  "owner", "target_date", "__proto__", "constructor", "prototype", "hasOwnProperty", "requires", "Classes", "",
];

const SCHEMA_VALUES = [
  "normal", "standard", "emergency", "login", "date", "text", "dismiss", "keep", "cto-ciso", "compliance", "@alice",
  "alice", "acme/security-leads", "**/*.md", "docs/**", "", " ", "repo", "acme/repo", "acme/repo:path/file.yml",
  "../../etc/passwd", "description", "impact", "rollback", "owner", "target_date", "Description", "x".repeat(600),
];

/** Short text of YAML tokens and arbitrary characters. */
export const yamlishText = fc
  .array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...YAML_TOKENS) }, fc.string({ maxLength: 12 }), fc.string({ unit: "binary", maxLength: 4 })), { maxLength: 120 })
  .map((parts) => parts.join(""));

const schemaValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SCHEMA_VALUES) },
  fc.integer({ min: -5, max: 30 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 30 }),
);

/** Objects shaped like a policy (its keys, nested a few levels), with values of the right and wrong types. */
export const nearSchemaObject = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, schemaValue, tie("list"), tie("map")),
  list: fc.array(tie("node"), { maxLength: 5 }),
  map: fc.dictionary(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...SCHEMA_KEYS) }, fc.string({ maxLength: 8 })), tie("node"), { maxKeys: 6 }),
})).map;

/** A near-schema object as a policy file: YAML block style or JSON (which is YAML too). */
export const nearSchemaText = fc.tuple(nearSchemaObject, fc.boolean()).map(([value, asJson]) => (asJson ? JSON.stringify(value) : stringify(value)));

const textEdit = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom("insert", "delete", "duplicate-line", "indent", "swap"),
  token: fc.constantFrom(...YAML_TOKENS),
  length: fc.integer({ min: 1, max: 40 }),
});

function applyEdit(text, edit) {
  const at = text.length === 0 ? 0 : edit.at % text.length;
  switch (edit.kind) {
    case "insert":
      return text.slice(0, at) + edit.token + text.slice(at);
    case "delete":
      return text.slice(0, at) + text.slice(at + edit.length);
    case "duplicate-line": {
      const start = text.lastIndexOf("\n", at) + 1;
      const end = text.indexOf("\n", at);
      const line = text.slice(start, end < 0 ? text.length : end + 1);
      return text.slice(0, start) + line + text.slice(start);
    }
    case "indent": {
      const start = text.lastIndexOf("\n", at) + 1;
      return text.slice(0, start) + " ".repeat(edit.length % 8) + text.slice(start);
    }
    default: {
      const other = (at + edit.length) % Math.max(1, text.length);
      const [a, b] = at < other ? [at, other] : [other, at];
      return text.slice(0, a) + text.slice(b, b + 1) + text.slice(a + 1, b) + text.slice(a, a + 1) + text.slice(b + 1);
    }
  }
}

/** The example policy after a few random edits: mostly near-valid files, the common case of a typo. */
export const mutatedExampleConfig = fc.array(textEdit, { minLength: 1, maxLength: 8 }).map((edits) => edits.reduce(applyEdit, EXAMPLE_CONFIG));

/** A short random pattern repeated up to `maxBytes` (repetition is how parsers are made slow). */
export function repeatedPattern(tokens, maxBytes, minBytes = 0) {
  return fc
    .tuple(fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...tokens) }, fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 6 }), fc.integer({ min: minBytes, max: maxBytes }))
    .map(([parts, size]) => {
      const pattern = parts.join("") || "a";
      return pattern.repeat(Math.ceil(size / pattern.length)).slice(0, size);
    });
}

/** Deep nesting of every kind YAML has, at depths around and far beyond what the parser survives. */
export const deeplyNestedConfig = fc
  .tuple(fc.constantFrom("[", "{a: ", "- ", "? ", "a:\n", " - ", "[{", "- [", "! ", "a: ", "a:\t", "-\t", "? a: ", "&x a: ", "!t a:\t", "\ta:"), fc.integer({ min: 1, max: 5000 }), fc.boolean())
  .map(([open, depth, indented]) =>
    indented && open.endsWith("\n")
      ? Array.from({ length: depth }, (_, i) => " ".repeat(i) + open.trim()).join("\n")
      : open.repeat(depth) + "x" + (open === "[" ? "]".repeat(depth) : ""),
  );

export const YAML_PATTERN_TOKENS = YAML_TOKENS;

// ---- The Request for Change (pull request description) ----

const MARKDOWN_TOKENS = [
  "# ", "## ", "### ", "###### ", "####### ", "## Description\n", "## Rollback plan\n", "### rollback:\n", "## Impact\n",
  "Description", "Rollback plan", "Impact analysis", "Testing", "\n", "\n\n", "\r\n", " ", "   ", "    ", "\t", "- ", "* ", "+ ",
  "1. ", "1) ", "> ", "[x] ", "[X] ", "[ ] ", "[x]", "\\[x] ", "- [x] Database backup taken before deployment\n",
  "- [x] Privacy or regulatory impact\n", "Owner: @alice\n", "**Owner:** @bob\n", "- Owner: alice\n", "Owner: @\n",
  "Target date: 2026-01-31\n", "Target date: YYYY-MM-DD\n", "Target date: 2026-02-30\n", "Name:", ": ", "<!--", "-->",
  "<!-- hint -->", "<!-- a\nb -->", "<details>", "<summary>Rollback</summary>", "</details>", "<div>\n\n", "<", ">", "<a",
  "```", "```\n", "~~~\n", "`", "``", "*", "**", "***", "_", "__", "~~", "[", "]", "[a](", "(", ")", "![", "{{owner}}",
  "[describe the change]", "<details here>", "\\", "&#", "&amp;", "&#x", "===\n", "---\n", "|", "a|b\n-|-\n", "<http:",
  "N/A", "TBD", "-", "text ", "a", "é", "\u0000", "\u2028", "\ud83d\ude00", "\ufeff",
];

/** A description made of markdown pieces: headings, fields, boxes, comments, code, HTML and noise. */
export const markdownBody = fc
  .array(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...MARKDOWN_TOKENS) }, fc.string({ maxLength: 20 }), fc.string({ unit: "binary", maxLength: 4 })), { maxLength: 150 })
  .map((parts) => parts.join(""));

export const MARKDOWN_PATTERN_TOKENS = MARKDOWN_TOKENS;

// ---- Webhook payloads and snapshot files ----

const examples = require("@octokit/webhooks-examples");
/** Every real `pull_request` and `pull_request_review` payload GitHub documents. */
export const REAL_PULL_PAYLOADS = examples
  .filter((e) => e.name === "pull_request" || e.name === "pull_request_review")
  .flatMap((e) => e.examples)
  .filter((p) => p.pull_request);

/** Every path (array of keys) inside a JSON value, parents before children, at most `limit`. */
function paths(value, limit = 2000) {
  const out = [];
  const walk = (v, path) => {
    if (out.length >= limit) return;
    out.push(path);
    if (v && typeof v === "object") for (const key of Object.keys(v)) walk(v[key], [...path, key]);
  };
  walk(value, []);
  return out;
}

const payloadEdit = fc.record({
  pick: fc.nat(),
  kind: fc.constantFrom("delete", "null", "replace", "wrap", "stringify", "huge", "empty"),
  value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom("", "APPROVED", "approved", "labeled", "closed", "2026-13-45T99:00:00Z", -1, 0, 1.5, "__proto__")),
  size: fc.integer({ min: 0, max: 70_000 }),
});

function applyPayloadEdit(payload, edit) {
  const all = paths(payload).filter((p) => p.length > 0);
  if (all.length === 0) return payload;
  const path = all[edit.pick % all.length];
  const parent = path.slice(0, -1).reduce((v, k) => v[k], payload);
  const key = path[path.length - 1];
  const current = parent[key];
  switch (edit.kind) {
    case "delete":
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      break;
    case "null":
      parent[key] = null;
      break;
    case "replace":
      parent[key] = edit.value;
      break;
    case "wrap":
      parent[key] = [current];
      break;
    case "stringify":
      parent[key] = JSON.stringify(current ?? null);
      break;
    case "huge":
      parent[key] = typeof current === "string" ? current.repeat(Math.ceil(edit.size / Math.max(1, current.length))).slice(0, edit.size) : "x".repeat(edit.size);
      break;
    default:
      parent[key] = Array.isArray(current) ? [] : typeof current === "object" ? {} : "";
  }
  return payload;
}

const login = fc.oneof(fc.constantFrom("alice", "Bob", "@carol", "renovate[bot]", "", "x".repeat(120)), fc.string({ maxLength: 10 }));
const extraParts = fc.record(
  {
    files: fc.array(fc.oneof(fc.constantFrom("README.md", "db/migrations/1.sql", ""), fc.record({ filename: fc.string({ maxLength: 20 }), previous_filename: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }) }), fc.jsonValue({ maxDepth: 1 })), { maxLength: 6 }),
    reviews: fc.array(fc.record({ user: fc.option(fc.record({ login, type: fc.constantFrom("User", "Bot") }), { nil: null }), state: fc.constantFrom("APPROVED", "approved", "CHANGES_REQUESTED", "dismissed", "commented", "PENDING", "LGTM", ""), commit_id: fc.option(fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), maxLength: 40 }), { nil: null }), submitted_at: fc.option(fc.constantFrom("2026-01-31T12:00:00Z", "2026-01-31", "yesterday", "2026-01-31T12:00:00+02:00"), { nil: null }) }), { maxLength: 5 }),
    permissions: fc.dictionary(login, fc.constantFrom("admin", "write", "read", "none", "owner", "")),
    groups: fc.dictionary(fc.constantFrom("cto-ciso", "compliance", "", "__proto__"), fc.array(login, { maxLength: 4 })),
    label_events: fc.array(fc.record({ label: fc.string({ maxLength: 10 }), actor: fc.option(login, { nil: null }), created_at: fc.constantFrom("2026-01-31T12:00:00Z", "not a time", "") }), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

/** A real payload, mutated at random paths, with snapshot-file extras (files, reviews, …) of any shape. */
export const mutatedPayload = fc
  .tuple(fc.constantFrom(...REAL_PULL_PAYLOADS.keys()), fc.array(payloadEdit, { maxLength: 6 }), extraParts)
  .map(([index, edits, extras]) => edits.reduce(applyPayloadEdit, { ...structuredClone(REAL_PULL_PAYLOADS[index]), ...extras }));
