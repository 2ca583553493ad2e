// Reads the Request for Change out of a pull request description: its sections (markdown headings
// and the text under them), its single-line fields ("Owner: @alice") and its ticked checkboxes.
//
// A single pass over the lines applies the few CommonMark rules that matter here (ATX and setext
// headings, fenced code, HTML comments, task-list items). It is deliberately not a full markdown
// parser: mdast/micromark take about a second on an ordinary 64 KB description on this class of
// machine and are cubic on nested lists (4 KB of "- - - …" took 3 s, 40 KB minutes), and a PR
// description is untrusted input that every evaluation reads. Everything here is linear: no
// regular expression that can backtrack, no nesting beyond six heading levels.
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
  const addText = (line: string) => {
    for (const section of open) section.lines.push(line);
  };
  const closeSections = (depth: number) => {
    while (open.length > 0 && open[open.length - 1]!.depth >= depth) {
      const section = open.pop()!;
      const list = rfc.sections.get(section.key) ?? [];
      list.push(removePlaceholders(section.lines.join("\n")));
      rfc.sections.set(section.key, list);
    }
  };
  const startSection = (title: string, depth: number) => {
    closeSections(depth);
    // A sub-heading's title is part of its parent section's text, as a reader sees it.
    addText(title);
    open.push({ key: normaliseHeading(title), depth, lines: [] });
  };
  // A paragraph line is held back one line: an `===`/`---` line under it makes it a heading.
  let pending: string | null = null;
  const flushPending = () => {
    if (pending === null) return;
    readLine(pending, rfc);
    addText(visibleText(pending));
    pending = null;
  };

  let fence: { char: string; length: number } | null = null;
  let inComment = false;
  for (const rawLine of (truncated ? text.slice(0, MAX_BODY_CHARS) : text).split("\n")) {
    let line = rawLine.endsWith("\r") ? rawLine.slice(0, -1) : rawLine;
    if (fence) {
      if (closesFence(line, fence)) fence = null;
      else addText(line);
      continue;
    }
    let hadComment = false;
    if (inComment) {
      const end = line.indexOf("-->");
      if (end < 0) continue;
      hadComment = true;
      line = line.slice(end + 3);
    }
    const stripped = stripComments(line);
    line = stripped.text;
    inComment = stripped.unterminated;
    hadComment ||= stripped.hadComment;

    const opening = openingFence(line);
    if (opening) {
      flushPending();
      fence = opening;
      continue;
    }
    const atx = atxHeading(line);
    if (atx) {
      flushPending();
      startSection(atx.title, atx.depth);
      continue;
    }
    const setext = pending !== null ? setextDepth(line) : 0;
    if (setext > 0) {
      const title = pending!.trim();
      pending = null;
      startSection(title, setext);
      continue;
    }
    flushPending();
    if (isThematicBreak(line)) continue;
    if (line.trim() === "" || startsBlock(line) || hadComment) {
      // Blank lines, list items and lines that held a comment cannot become setext headings.
      readLine(line, rfc);
      addText(visibleText(line));
    } else {
      pending = line;
    }
  }
  flushPending();
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

/** Reads a ticked checkbox or a "Name: value" field from one line of text outside code. */
function readLine(line: string, rfc: RequestForChange): void {
  if (line.length > MAX_FIELD_LINE) return;
  const { content, listItem } = withoutContainerMarkers(line);
  const box = listItem ? taskItem(content) : null;
  if (box) {
    if (box.checked) rfc.checked.push(normalise(box.text));
    return;
  }
  readField(content, rfc.fields);
}

/**
 * A line as it reads on GitHub, for measuring a section: without list and quote markers, task
 * boxes, and the backticks and asterisks of inline code and emphasis.
 */
function visibleText(line: string): string {
  const { content, listItem } = withoutContainerMarkers(line);
  const text = listItem && taskItem(content) ? content.slice(4) : content;
  let out = "";
  for (const c of text) if (c !== "`" && c !== "*") out += c;
  return out;
}

/** "Owner: @alice", "**Owner:** @alice", "- Owner: @alice" all read as owner = "@alice". */
function readField(line: string, fields: Map<string, string>): void {
  const colon = line.indexOf(":");
  if (colon <= 0 || colon > 60) return;
  const name = normalise(line.slice(0, colon));
  const value = trimMarkup(line.slice(colon + 1));
  if (name.length > 0 && value.length > 0 && !fields.has(name)) fields.set(name, value);
}

/** Leading blockquote markers and one list marker ("> ", "- ", "* ", "+ ", "1. ", "2) ") removed. */
function withoutContainerMarkers(line: string): { content: string; listItem: boolean } {
  let at = 0;
  for (;;) {
    while (line[at] === " " || line[at] === "\t") at++;
    if (line[at] !== ">") break;
    at++;
  }
  const rest = line.slice(at);
  const marker = listMarkerLength(rest);
  return marker > 0 ? { content: rest.slice(marker).trimStart(), listItem: true } : { content: rest, listItem: false };
}

/** Length of a list marker with its following space at the start of `text`; 0 when there is none. */
function listMarkerLength(text: string): number {
  const first = text[0];
  if (first === "-" || first === "*" || first === "+") return text[1] === " " || text[1] === "\t" ? 2 : 0;
  let digits = 0;
  while (digits < 9 && text[digits]! >= "0" && text[digits]! <= "9") digits++;
  if (digits === 0 || (text[digits] !== "." && text[digits] !== ")")) return 0;
  const space = text[digits + 1];
  return space === " " || space === "\t" ? digits + 2 : 0;
}

/** List items and blockquote lines end a paragraph: an underline below them is not a heading. */
function startsBlock(line: string): boolean {
  const t = line.trimStart();
  return t[0] === ">" || listMarkerLength(t) > 0;
}

/** "---", "***", "___" (spaces allowed): a horizontal rule, which is not text. */
function isThematicBreak(line: string): boolean {
  const t = line.trim();
  const char = t[0];
  if (char !== "-" && char !== "*" && char !== "_") return false;
  let count = 0;
  for (const c of t) {
    if (c === char) count++;
    else if (c !== " " && c !== "\t") return false;
  }
  return count >= 3;
}

/** "[x] text" / "[ ] text" after the list marker (only list items are task items). */
function taskItem(content: string): { checked: boolean; text: string } | null {
  if (content.length < 4 || content[0] !== "[" || content[2] !== "]" || (content[3] !== " " && content[3] !== "\t")) return null;
  const mark = content[1];
  if (mark !== "x" && mark !== "X" && mark !== " ") return null;
  return { checked: mark !== " ", text: content.slice(4) };
}

function atxHeading(line: string): { depth: number; title: string } | null {
  let at = 0;
  while (at < 3 && line[at] === " ") at++;
  let depth = 0;
  while (line[at + depth] === "#") depth++;
  if (depth < 1 || depth > 6) return null;
  const after = line[at + depth];
  if (after !== undefined && after !== " " && after !== "\t") return null;
  let title = line.slice(at + depth).trim();
  // An optional closing sequence of #s, preceded by a space.
  let end = title.length;
  while (end > 0 && title[end - 1] === "#") end--;
  if (end === 0) title = "";
  else if (end < title.length && (title[end - 1] === " " || title[end - 1] === "\t")) title = title.slice(0, end).trim();
  return { depth, title };
}

/** 1 for an "===" underline, 2 for "---"; 0 when the line is not a setext underline. */
function setextDepth(line: string): number {
  const t = line.trim();
  if (t.length === 0 || line.length - line.trimStart().length > 3) return 0;
  const char = t[0];
  if (char !== "=" && char !== "-") return 0;
  for (const c of t) if (c !== char) return 0;
  return char === "=" ? 1 : 2;
}

function openingFence(line: string): { char: string; length: number } | null {
  let at = 0;
  while (at < 3 && line[at] === " ") at++;
  const char = line[at];
  if (char !== "`" && char !== "~") return null;
  let length = 0;
  while (line[at + length] === char) length++;
  if (length < 3) return null;
  // A backtick fence's info string may not contain backticks (that is inline code).
  if (char === "`" && line.indexOf("`", at + length) >= 0) return null;
  return { char, length };
}

function closesFence(line: string, fence: { char: string; length: number }): boolean {
  const t = line.trim();
  if (t.length < fence.length || line.length - line.trimStart().length > 3) return false;
  for (const c of t) if (c !== fence.char) return false;
  return true;
}

/** Removes `<!-- … -->`; an unterminated comment hides the rest of the line and what follows. */
function stripComments(text: string): { text: string; unterminated: boolean; hadComment: boolean } {
  let out = "";
  let at = 0;
  let hadComment = false;
  for (;;) {
    const start = text.indexOf("<!--", at);
    if (start < 0) return { text: out + text.slice(at), unterminated: false, hadComment };
    hadComment = true;
    out += text.slice(at, start);
    const end = text.indexOf("-->", start + 4);
    if (end < 0) return { text: out, unterminated: true, hadComment };
    at = end + 3;
  }
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
