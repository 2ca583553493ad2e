// Turns the text of one or more configuration files into a validated Config, or into a list of
// problems that each name the file, the key path and (where possible) the YAML line. Pure: the
// files are fetched elsewhere (src/github/config.ts, src/cli/).
import { Composer, isMap, isScalar, isSeq, LineCounter, Parser, YAMLParseError, visit, type CST, type Document, type Pair, type YAMLMap } from "yaml";
import { issueMessage } from "./issue-message.js";
import { configSchema, type Config } from "./schema.js";

export const CONFIG_PATH = ".github/change-policy.yml";
const MAX_CONFIG_BYTES = 256 * 1024;
const MAX_EXTENDS_DEPTH = 5;
// The YAML parser recurses once per nesting level: about 800 levels ("[[[[…", "- - - …", or one more
// space of indentation per line) overflow its stack, and V8 may then die compiling a regular
// expression (a fatal out-of-memory that no try/catch sees). A policy needs a handful of levels.
const MAX_FLOW_DEPTH = 64;
// The YAML library builds each key in about 8 µs: 64 KB of `a:` lines (21,000 keys) took 170 ms. A
// policy has a few hundred lines; this bound keeps any file well under 50 ms.
const MAX_ITEMS = 4_000;
const MAX_INDENT = 128;

export interface ConfigProblem {
  /** Where the file came from, e.g. "acme/api:.github/change-policy.yml". */
  source: string;
  /** Dotted key path, e.g. "classes.normal.approvals.1.from"; "" for the whole file. */
  path: string;
  message: string;
  line?: number;
}

export interface ConfigFile {
  source: string;
  raw: Record<string, unknown>;
  doc: Document;
  lines: LineCounter;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: ConfigProblem[] };

export function parseConfigFile(text: string, source: string): Parsed<ConfigFile> {
  if (Buffer.byteLength(text, "utf8") > MAX_CONFIG_BYTES) {
    return fail({ source, path: "", message: `file is larger than ${MAX_CONFIG_BYTES / 1024} KiB` });
  }
  const deep = tooDeeplyNested(text);
  if (deep) return fail({ source, path: "", ...deep });
  const items = countItems(text);
  if (items > MAX_ITEMS) {
    return fail({ source, path: "", message: `file has ${items} lines and flow items (more than ${MAX_ITEMS}); a policy needs a few hundred` });
  }
  const lines = new LineCounter();
  const doc = withoutStackTraces(() => parseYaml(text, lines));
  const errors = doc.errors.length > 0 ? doc.errors : duplicateKeys(doc);
  if (errors.length > 0) {
    const lastText = text.trimEnd().length;
    return {
      ok: false,
      problems: errors.map((e) => ({
        source,
        path: "",
        message: `invalid YAML: ${e.message.split("\n")[0]}`,
        // An error at the end of the input (an unclosed bracket or quote) points at the last line
        // with text, not at an empty line after it.
        line: lines.linePos(Math.min(e.pos[0], lastText)).line,
      })),
    };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    return fail({ source, path: "", message: `invalid YAML: ${(e as Error).message}` });
  }
  // A tagged top level (`!!binary`, `!!set`, `!!omap`) is an object too, but not a mapping of keys.
  if (typeof raw !== "object" || raw === null || Object.getPrototypeOf(raw) !== Object.prototype) {
    return fail({ source, path: "", message: "the file must be a mapping of keys (e.g. `classes:`), or empty", line: 1 });
  }
  return { ok: true, value: { source, raw: raw as Record<string, unknown>, doc, lines } };
}

/** Where `_extends` points: another repository's file, per Probot's conventions. */
export interface ExtendsTarget {
  owner: string;
  repo: string;
  path: string;
}

export function parseExtends(value: unknown, defaultOwner: string): ExtendsTarget | string {
  if (typeof value !== "string" || value.length === 0 || value.length > 300) {
    return "_extends must be `repo`, `owner/repo` or `owner/repo:path/to/file.yml`";
  }
  const match = /^(?:([A-Za-z0-9_.-]+)\/)?([A-Za-z0-9_.-]+)(?::([A-Za-z0-9_./-]+))?$/.exec(value);
  if (!match || match[3]?.includes("..")) {
    return "_extends must be `repo`, `owner/repo` or `owner/repo:path/to/file.yml`";
  }
  return { owner: match[1] ?? defaultOwner, repo: match[2]!, path: match[3] ?? CONFIG_PATH };
}

export { MAX_EXTENDS_DEPTH };

/** Deep merge where the override wins; arrays are replaced, never concatenated. */
export function mergeConfig(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const prev = Object.hasOwn(out, key) ? out[key] : undefined;
    // Defined, not assigned: a `__proto__:` key must stay a key (and be reported as unknown), not
    // become the prototype whose properties zod would then read as if they were set.
    Object.defineProperty(out, key, {
      value: isPlainObject(prev) && isPlainObject(value) ? mergeConfig(prev, value) : value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * Validates the files of an `_extends` chain, base first and the repository's own file last.
 * Every problem is reported, with the line in the file that set the offending key.
 */
export function resolveConfig(chain: ConfigFile[]): Parsed<Config> {
  const merged = chain.reduce<Record<string, unknown>>((acc, f) => mergeConfig(acc, f.raw), {});
  delete merged._extends;
  const result = configSchema.safeParse(merged);
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    // One problem per unknown key, so that each names its own path and line.
    const found: { path: string[]; message: string }[] =
      issue.code === "unrecognized_keys"
        ? issue.keys.map((key) => ({ path: [...path, key], message: `unknown key "${key}" (check the spelling)` }))
        : [{ path, message: issue.code === "invalid_key" ? (issue.issues[0]?.message ?? issue.message) : issueMessage(issue) }];
    return found.map(({ path: keyPath, message }): ConfigProblem => {
      const where = locate(chain, keyPath);
      return { source: where.source, path: keyPath.join("."), message, ...(where.line ? { line: where.line } : {}) };
    });
  });
  // In file order, as a reader fixes them.
  const order = new Map(chain.map((f, i) => [f.source, i]));
  problems.sort((a, b) => (order.get(a.source) ?? 0) - (order.get(b.source) ?? 0) || (a.line ?? 0) - (b.line ?? 0));
  return { ok: false, problems };
}

export function parseConfigText(text: string, source: string): Parsed<Config> {
  const file = parseConfigFile(text, source);
  return file.ok ? resolveConfig([file.value]) : file;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? `${p.source}:${p.line}` : p.source;
  return `${where}: ${p.path || "(file)"}: ${p.message}`;
}

/** More syntax errors than anyone reads: the rest of the file is not parsed (see parseYaml). */
const MAX_SYNTAX_ERRORS = 100;

/**
 * yaml's parseDocument, except that it stops reading after MAX_SYNTAX_ERRORS top-level syntax
 * errors: 64 KB of "[[x]]" is 13,000 of them, and the parser spends ~20 µs on each (0.45 s).
 * Duplicate keys are found by duplicateKeys: the parser's own check compares every key with every
 * other (6,000 keys took 0.4 s).
 */
function parseYaml(text: string, lines: LineCounter): Document.Parsed {
  const composer = new Composer({ prettyErrors: false, uniqueKeys: false });
  let syntaxErrors = 0;
  let stoppedAt: number | undefined;
  function* untilTooManyErrors(tokens: Generator<CST.Token>): Generator<CST.Token> {
    for (const token of tokens) {
      if (token.type === "error" && ++syntaxErrors > MAX_SYNTAX_ERRORS) {
        stoppedAt = token.offset;
        return;
      }
      yield token;
    }
  }
  let doc: Document.Parsed | undefined;
  for (const next of composer.compose(untilTooManyErrors(new Parser(lines.addNewLine).parse(text)), true, text.length)) {
    if (!doc) doc = next;
    else {
      doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], "MULTIPLE_DOCS", "Source contains multiple documents; please use YAML.parseAllDocuments()"));
      break;
    }
  }
  // compose(…, true) always yields a document, an empty one for an empty text.
  const parsed = doc!;
  if (stoppedAt !== undefined) {
    parsed.errors.push(new YAMLParseError([stoppedAt, stoppedAt + 1], "UNEXPECTED_TOKEN", `more than ${MAX_SYNTAX_ERRORS} syntax errors; the rest of the file was not read`));
  }
  return parsed;
}

/**
 * The parser makes an Error object per problem it finds, and capturing their stack traces is most
 * of its time on a broken file: 64 KB of "{}" (65,000 errors) took 0.9 s with traces, 0.27 s
 * without. Nobody reads those traces: the problems are reported by position.
 */
function withoutStackTraces<T>(fn: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return fn();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Keys set twice in one mapping, worded and placed as the YAML parser's own check does. */
function duplicateKeys(doc: Document): { message: string; pos: [number, number] }[] {
  const found: { message: string; pos: [number, number] }[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const name = `${typeof pair.key.value}:${String(pair.key.value)}`;
        if (seen.has(name)) found.push({ message: "Map keys must be unique", pos: [pair.key.range?.[0] ?? 0, pair.key.range?.[1] ?? 0] });
        seen.add(name);
      }
    },
  });
  return found;
}

/**
 * Whether the text nests deeper than a policy ever does (see MAX_FLOW_DEPTH). Every "[" and "{"
 * counts, quoted or not, so that nothing can hide a level. A line's block depth counts its
 * indentation, the "- ", "? " and ": " indicators that open a block on the same line, and every
 * further ": " outside brackets ("a: b: c: …" nests too, though it is not valid YAML).
 */
function tooDeeplyNested(text: string): { message: string; line: number } | undefined {
  let depth = 0;
  let line = 1;
  let level = 0;
  let atLineStart = true;
  const blockTooDeep = () => ({ message: `a line is indented or nested more than ${MAX_INDENT} levels deep; a policy needs a few`, line });
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\n") {
      line++;
      level = 0;
      atLineStart = true;
      continue;
    }
    const next = text[i + 1];
    const spaceAfter = next === " " || next === "\t" || next === "\n" || next === "\r" || next === undefined;
    if (atLineStart) {
      if (c === " " || c === "\t" || ((c === "-" || c === "?" || c === ":") && spaceAfter)) {
        if (++level > MAX_INDENT) return blockTooDeep();
        continue;
      }
      atLineStart = false;
    }
    if (c === "[" || c === "{") {
      if (++depth > MAX_FLOW_DEPTH) {
        return { message: `brackets nest more than ${MAX_FLOW_DEPTH} levels deep (an unclosed "[" or "{"?); a policy needs a few`, line };
      }
    } else if ((c === "]" || c === "}") && depth > 0) depth--;
    else if (c === ":" && depth === 0 && spaceAfter && ++level > MAX_INDENT) return blockTooDeep();
  }
  return undefined;
}

/** Finds the file (last one that sets it wins) and line of the deepest existing node on a key path. */
function locate(chain: ConfigFile[], path: string[]): { source: string; line?: number } {
  for (let i = chain.length - 1; i >= 0; i--) {
    const file = chain[i]!;
    for (let depth = path.length; depth > 0; depth--) {
      const node = nodeAt(file.doc, path.slice(0, depth));
      if (node?.range) return { source: file.source, line: file.lines.linePos(node.range[0]).line };
    }
  }
  return { source: chain[chain.length - 1]?.source ?? "" };
}

type NodeWithRange = { range?: [number, number, number] | null };

function nodeAt(doc: Document, path: string[]): NodeWithRange | undefined {
  let node: unknown = doc.contents;
  for (const key of path) {
    if (isMap(node)) {
      const pair = pairsByKey(node).get(key);
      if (!pair) return undefined;
      // For an unknown key, point at the key itself.
      node = pair.value ?? pair.key;
      if (key === path[path.length - 1] && isScalar(pair.key)) node = pair.key;
    } else if (isSeq(node)) {
      node = node.items[Number(key)];
    } else {
      return undefined;
    }
  }
  return node as NodeWithRange | undefined;
}

// A file with thousands of unknown keys gets a problem for each: look keys up by name, not by scanning.
const keyIndex = new WeakMap<object, Map<string, Pair>>();

function pairsByKey(map: YAMLMap): Map<string, Pair> {
  let index = keyIndex.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (name !== undefined && !index.has(name)) index.set(name, pair);
    }
    keyIndex.set(map, index);
  }
  return index;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fail(problem: ConfigProblem): Parsed<never> {
  return { ok: false, problems: [problem] };
}

/** Lines plus flow-collection separators: an upper bound on the entries the YAML parser would build. */
function countItems(text: string): number {
  let count = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 44) count += 1; // "\n" or ","
  }
  return count;
}
