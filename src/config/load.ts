// Turns the text of one or more configuration files into a validated Config, or into a list of
// problems that each name the file, the key path and (where possible) the YAML line. Pure: the
// files are fetched elsewhere (src/github/config.ts, src/cli/).
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from "yaml";
import { configSchema, type Config } from "./schema.js";

export const CONFIG_PATH = ".github/change-policy.yml";
const MAX_CONFIG_BYTES = 256 * 1024;
const MAX_EXTENDS_DEPTH = 5;

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
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        source,
        path: "",
        message: `invalid YAML: ${e.message.split("\n")[0]}`,
        // An error at the end of the input (an unclosed bracket or quote) points at the last line
        // with text, not at an empty line after it.
        line: lines.linePos(Math.min(e.pos[0], text.trimEnd().length)).line,
      })),
    };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    return fail({ source, path: "", message: `invalid YAML: ${(e as Error).message}` });
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
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
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? mergeConfig(prev, value) : value;
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
        : [{ path, message: issue.code === "invalid_key" ? (issue.issues[0]?.message ?? issue.message) : issue.message }];
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
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
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

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fail(problem: ConfigProblem): Parsed<never> {
  return { ok: false, problems: [problem] };
}
