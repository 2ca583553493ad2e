// Reads the Request for Change out of a pull request description: its sections (markdown headings
// and the text under them), its single-line fields ("Owner: @alice") and its ticked checkboxes.
// A real markdown parser does the reading, so code blocks, nested lists and HTML comments behave as
// GitHub renders them; no regular expression here can be made to backtrack.
import type { Nodes, Root, RootContent } from "mdast";
import { fromMarkdown } from "mdast-util-from-markdown";
import { gfmFromMarkdown } from "mdast-util-gfm";
import { gfm } from "micromark-extension-gfm";
import { isMatch } from "date-fns";
import type { FieldConfig, SectionConfig } from "../config/schema.js";

/** GitHub caps a PR body at 65,536 characters; anything longer did not come from GitHub. */
export const MAX_BODY_CHARS = 65_536;
const MAX_FIELD_LINE = 1_000;

export interface RequestForChange {
  /** Normalised heading → text under it (comments and placeholders removed). */
  sections: Map<string, string[]>;
  /** Normalised field name → first value given. */
  fields: Map<string, string>;
  /** Normalised text of every ticked checkbox. */
  checked: string[];
  truncated: boolean;
}

export function readRequestForChange(body: string | null | undefined): RequestForChange {
  const text = body ?? "";
  const truncated = text.length > MAX_BODY_CHARS;
  const tree = fromMarkdown(truncated ? text.slice(0, MAX_BODY_CHARS) : text, {
    extensions: [gfm()],
    mdastExtensions: [gfmFromMarkdown()],
  });
  const rfc: RequestForChange = { sections: new Map(), fields: new Map(), checked: [], truncated };
  collectSections(tree, rfc);
  walk(tree, (node) => {
    if (node.type === "listItem" && node.checked === true) rfc.checked.push(normalise(plainText(node)));
    if (node.type === "paragraph") {
      for (const line of plainText(node).split("\n")) readField(line, rfc.fields);
    }
  });
  return rfc;
}

function collectSections(tree: Root, rfc: RequestForChange): void {
  const nodes = tree.children;
  for (let i = 0; i < nodes.length; i++) {
    const heading = nodes[i]!;
    if (heading.type !== "heading") continue;
    const parts: string[] = [];
    for (let j = i + 1; j < nodes.length; j++) {
      const next = nodes[j]!;
      if (next.type === "heading" && next.depth <= heading.depth) break;
      parts.push(plainText(next));
    }
    const key = normaliseHeading(plainText(heading));
    const list = rfc.sections.get(key) ?? [];
    list.push(removePlaceholders(parts.join("\n")));
    rfc.sections.set(key, list);
  }
}

export type SectionStatus = { present: true; length: number } | { present: false; reason: "missing" | "too-short" | "placeholder"; length: number };

export function sectionStatus(rfc: RequestForChange, section: SectionConfig): SectionStatus {
  let best: SectionStatus = { present: false, reason: "missing", length: 0 };
  for (const heading of section.headings) {
    for (const text of rfc.sections.get(normaliseHeading(heading)) ?? []) {
      const compact = text.replace(/\s+/g, " ").trim();
      let status: SectionStatus;
      if (isNullAnswer(compact)) status = { present: false, reason: "placeholder", length: compact.length };
      else if (compact.length < section.min_length) status = { present: false, reason: "too-short", length: compact.length };
      else status = { present: true, length: compact.length };
      if (status.present) return status;
      if (best.reason === "missing" || status.length > best.length) best = status;
    }
  }
  return best;
}

export type FieldStatus = { present: true; value: string } | { present: false; reason: "missing" | "invalid"; value?: string };

export function fieldStatus(rfc: RequestForChange, field: FieldConfig): FieldStatus {
  for (const name of field.names) {
    const value = rfc.fields.get(normalise(name));
    if (value === undefined) continue;
    if (isNullAnswer(value)) return { present: false, reason: "missing", value };
    if (field.format === "date") {
      const date = value.split(/\s/)[0]!;
      return isMatch(date, "yyyy-MM-dd") && /^\d{4}-\d{2}-\d{2}$/.test(date)
        ? { present: true, value: date }
        : { present: false, reason: "invalid", value };
    }
    if (field.format === "login") {
      const login = value.split(/[\s,]/)[0]!.replace(/^@/, "");
      return /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(login)
        ? { present: true, value: login.toLowerCase() }
        : { present: false, reason: "invalid", value };
    }
    return { present: true, value };
  }
  return { present: false, reason: "missing" };
}

export function isChecked(rfc: RequestForChange, text: string): boolean {
  const wanted = normalise(text);
  return rfc.checked.some((c) => c === wanted || c.startsWith(`${wanted} `));
}

/** "Owner: @alice", "**Owner:** @alice", "- Owner: @alice" all read as owner = "@alice". */
function readField(line: string, fields: Map<string, string>): void {
  if (line.length > MAX_FIELD_LINE) return;
  const colon = line.indexOf(":");
  if (colon <= 0 || colon > 60) return;
  const name = normalise(line.slice(0, colon));
  const value = line.slice(colon + 1).trim();
  if (name.length > 0 && value.length > 0 && !fields.has(name)) fields.set(name, value);
}

/** Text of a node as a reader sees it: HTML comments are not text. */
function plainText(node: Nodes): string {
  if (node.type === "html") return node.value.trimStart().startsWith("<!--") ? "" : stripComments(node.value);
  if ("value" in node) return node.value;
  if (node.type === "break") return "\n";
  if (!("children" in node)) return "";
  const separator = node.type === "paragraph" || node.type === "heading" || node.type === "tableCell" ? "" : "\n";
  return (node.children as Nodes[]).map(plainText).join(separator);
}

function walk(node: Nodes, visit: (node: Nodes) => void): void {
  visit(node);
  if ("children" in node) for (const child of node.children as RootContent[]) walk(child, visit);
}

function stripComments(text: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const start = text.indexOf("<!--", at);
    if (start < 0) return out + text.slice(at);
    out += text.slice(at, start);
    const end = text.indexOf("-->", start + 4);
    if (end < 0) return out;
    at = end + 3;
  }
}

/** Template hints such as "[describe the change]", "<details here>" or "{{owner}}" are not answers. */
function removePlaceholders(text: string): string {
  return text
    .split("\n")
    .filter((line) => {
      const t = line.trim();
      return !(
        (t.startsWith("[") && t.endsWith("]") && t.indexOf("]") === t.length - 1) ||
        (t.startsWith("<") && t.endsWith(">") && t.indexOf(">") === t.length - 1) ||
        (t.startsWith("{{") && t.endsWith("}}"))
      );
    })
    .join("\n");
}

const NULL_ANSWERS = new Set(["", "n/a", "na", "n.a", "none", "tbd", "tba", "todo", "to do", "-", "--", "---", "...", "…", "?", "nil", "null", "not applicable", "not yet", "later", "wip"]);

function isNullAnswer(text: string): boolean {
  // Every null answer is short; the length guard also keeps the patterns below linear.
  if (text.length > 20) return false;
  return NULL_ANSWERS.has(text.toLowerCase().replace(/[.!:]+$/, "").replace(/^[_*`]+|[_*`]+$/g, "").trim());
}

function normaliseHeading(text: string): string {
  return normalise(text).replace(/:$/, "").trim();
}

function normalise(text: string): string {
  return text.replace(/[*_`]/g, "").replace(/\s+/g, " ").trim().toLowerCase();
}
