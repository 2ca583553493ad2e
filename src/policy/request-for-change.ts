// Reads the Request for Change out of a pull request description: its sections (markdown headings
// and the text under them), its single-line fields ("Owner: @alice") and its ticked checkboxes.
//
// markdown-it parses the blocks (headings, lists, quotes, code, HTML) the way CommonMark does. Its
// inline rules for links, images, emphasis, strikethrough, autolinks and entities are switched off:
// nothing here needs them, and they are the part that is slow on odd input (100k "[" took 250 ms,
// 300 KB of "*a " 200 ms). So are tables (16k rows of "a|b" took 110 ms; pipes are read as text)
// and reference definitions ("[x]: y" stays a line of text). What is left is linear: the worst
// 64 KB body found takes well under 0.1 s (README, "How the description is read").
import MarkdownIt from "markdown-it";
import type { Token } from "markdown-it";
import { isMatch } from "date-fns";
import type { FieldConfig, SectionConfig } from "../config/schema.js";

/** GitHub caps a PR body at 65,536 characters; anything longer did not come from GitHub. */
export const MAX_BODY_CHARS = 65_536;
const MAX_FIELD_LINE = 1_000;

const markdown = new MarkdownIt({ html: true }).disable([
  "table",
  "reference",
  "linkify",
  "link",
  "image",
  "autolink",
  "emphasis",
  "strikethrough",
  "entity",
  "replacements",
  "smartquotes",
]);

export interface RequestForChange {
  /** Normalised heading → text under it (comments and placeholders removed). */
  sections: Map<string, string[]>;
  /** Normalised field name → first value given. */
  fields: Map<string, string>;
  /** Normalised text of every ticked checkbox. */
  checked: string[];
  truncated: boolean;
}

interface OpenSection {
  key: string;
  depth: number;
  lines: string[];
}

export function readRequestForChange(body: string | null | undefined): RequestForChange {
  const text = body ?? "";
  const truncated = text.length > MAX_BODY_CHARS;
  const rfc: RequestForChange = { sections: new Map(), fields: new Map(), checked: [], truncated };
  const open: OpenSection[] = [];
  const addText = (block: string) => {
    for (const section of open) section.lines.push(block);
  };
  const closeSections = (depth: number) => {
    while (open.length > 0 && open[open.length - 1]!.depth >= depth) {
      const section = open.pop()!;
      const list = rfc.sections.get(section.key) ?? [];
      list.push(removePlaceholders(section.lines.join("\n")));
      rfc.sections.set(section.key, list);
    }
  };

  const tokens = markdown.parse(truncated ? text.slice(0, MAX_BODY_CHARS) : text, {});
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    let visible: VisibleText;
    if (token.type === "fence" || token.type === "code_block") {
      // Code counts towards a section's length; what looks like a field or heading inside it is not one.
      addText(token.content);
      continue;
    } else if (token.type === "html_block") {
      visible = htmlText(token.content);
      readFields(visible.text, rfc.fields);
      addText(shown(visible.text));
    } else if (token.type === "inline") {
      visible = inlineText(token.children ?? []);
      const opener = tokens[i - 1]!;
      if (opener.type === "heading_open") {
        const title = shown(visible.text).trim();
        // Only a top-level heading starts a section; one inside a quote or list is text of the section.
        if (opener.level === 0) closeSections(Number(opener.tag.slice(1)));
        // A sub-heading's title is part of its parent section's text, as a reader sees it.
        addText(title);
        if (opener.level === 0) open.push({ key: normaliseHeading(title), depth: Number(opener.tag.slice(1)), lines: [] });
      } else {
        const box = opener.type === "paragraph_open" && tokens[i - 2]?.type === "list_item_open" ? taskBox(token, visible.text) : null;
        if (box?.checked) rfc.checked.push(normalise(box.text));
        if (!box) readFields(visible.text, rfc.fields);
        addText(shown(box ? box.text : visible.text));
      }
    } else continue;
    // An unclosed "<!--" hides the rest of the description (fail closed).
    if (visible.unclosedComment) break;
  }
  closeSections(1);
  return rfc;
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
      // "@alice (backup @bob)" names alice; a bare word only when it is the whole value, so that
      // "Owner: the platform team" is not read as the user @the.
      const first = value.split(/[\s,]/)[0]!;
      const login = first.startsWith("@") ? first.slice(1) : first === value ? first : "";
      return /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(login)
        ? { present: true, value: login.toLowerCase() }
        : { present: false, reason: "invalid", value };
    }
    return { present: true, value };
  }
  return { present: false, reason: "missing" };
}

/**
 * The box's text as configured, optionally followed by a note: "… deployment (snapshot 42)" or
 * "…: snapshot 42". Not any longer sentence: "Database backup" must not be met by a ticked
 * "Database backup not needed".
 */
export function isChecked(rfc: RequestForChange, text: string): boolean {
  const wanted = normalise(text);
  return rfc.checked.some((c) => {
    if (!c.startsWith(wanted)) return false;
    const rest = c.slice(wanted.length);
    return rest === "" || NOTE_STARTS.some((start) => rest.startsWith(start));
  });
}

const NOTE_STARTS = [" (", "(", ":", " - ", " – ", " — "];

interface VisibleText {
  text: string;
  /** A "<!--" without its "-->": the text stops there. */
  unclosedComment: boolean;
}

/** A paragraph's or heading's text with code spans unwrapped and inline HTML (comments, tags) left out. */
function inlineText(children: Token[]): VisibleText {
  let text = "";
  for (const child of children) {
    if (child.type === "text") {
      // markdown-it reads a comment that closes within the paragraph as html_inline; this one does not.
      const comment = child.content.indexOf("<!--");
      if (comment >= 0) return { text: text + child.content.slice(0, comment), unclosedComment: true };
      text += child.content;
    } else if (child.type === "code_inline") text += child.content;
    else if (child.type === "softbreak" || child.type === "hardbreak") text += "\n";
  }
  return { text, unclosedComment: false };
}

/**
 * An HTML block's text without comments and tags: "<!-- hint --> answer" reads "answer",
 * "<summary>Rollback</summary>" reads "Rollback". Searches never go back (linear), and a "<"
 * with no ">" after it is text.
 */
function htmlText(html: string): VisibleText {
  let text = "";
  let at = 0;
  let tagEnd = -1; // the first ">" at or after the current "<"; html.length when there is none
  for (;;) {
    const open = html.indexOf("<", at);
    if (open < 0) return { text: text + html.slice(at), unclosedComment: false };
    text += html.slice(at, open);
    if (html.startsWith("<!--", open)) {
      const end = html.indexOf("-->", open + 4);
      if (end < 0) return { text, unclosedComment: true };
      at = end + 3;
      continue;
    }
    if (tagEnd < open) {
      const found = html.indexOf(">", open);
      tagEnd = found < 0 ? html.length : found;
    }
    if (tagEnd < html.length && /[A-Za-z/!?]/.test(html[open + 1] ?? "")) at = tagEnd + 1;
    else {
      text += "<";
      at = open + 1;
    }
  }
}

/** What a reader sees of a line for measuring a section: no emphasis asterisks or stray backticks. */
function shown(text: string): string {
  let out = "";
  for (const c of text) if (c !== "`" && c !== "*") out += c;
  return out;
}

/** "[x] text" / "[ ] text" opening a list item's first paragraph, as written (not "\\[x]"). */
function taskBox(inline: Token, text: string): { checked: boolean; text: string } | null {
  const raw = inline.content;
  if (raw[0] !== "[" || raw[2] !== "]" || !" \t\n".includes(raw[3] ?? "x")) return null;
  const mark = raw[1];
  if (mark !== "x" && mark !== "X" && mark !== " ") return null;
  return { checked: mark !== " ", text: text.slice(4) };
}

/** Reads the "Name: value" fields of a block of text, one per line. */
function readFields(text: string, fields: Map<string, string>): void {
  for (const line of text.split("\n")) if (line.length <= MAX_FIELD_LINE) readField(line, fields);
}

/** "Owner: @alice", "**Owner:** @alice", "- Owner: @alice" all read as owner = "@alice". */
function readField(line: string, fields: Map<string, string>): void {
  const colon = line.indexOf(":");
  if (colon <= 0 || colon > 60) return;
  const name = normalise(line.slice(0, colon));
  const value = trimMarkup(line.slice(colon + 1));
  if (name.length > 0 && value.length > 0 && !fields.has(name)) fields.set(name, value);
}

function trimMarkup(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && " \t*_".includes(text[start]!)) start++;
  while (end > start && " \t*_".includes(text[end - 1]!)) end--;
  return text.slice(start, end);
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

// "@" and "YYYY-MM-DD" are what the pull request template leaves in its field lines.
const NULL_ANSWERS = new Set(["@", "yyyy-mm-dd", "", "n/a", "na", "n.a", "none", "tbd", "tba", "todo", "to do", "-", "--", "---", "...", "…", "?", "nil", "null", "not applicable", "not yet", "later", "wip"]);

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
