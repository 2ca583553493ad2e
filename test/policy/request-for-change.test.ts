import { defaultConfig } from "../../src/config/schema.js";
import {
  fieldStatus,
  isChecked,
  MAX_BODY_CHARS,
  readRequestForChange,
  sectionStatus,
} from "../../src/policy/request-for-change.js";

const config = defaultConfig();
const description = config.sections.description!; // headings Description/Summary/Purpose, min 20
const rollback = config.sections.rollback!;
const owner = config.fields.owner!;
const targetDate = config.fields.target_date!;

const TEXT = "We replace the session store with Redis."; // 40 characters

function section(body: string, s = description) {
  return sectionStatus(readRequestForChange(body), s);
}

describe("sections", () => {
  test.each([
    ["# heading", `# Description\n${TEXT}`],
    ["## heading", `## Description\n${TEXT}`],
    ["###### heading", `###### Description\n${TEXT}`],
    ["closing #s", `## Description ##\n${TEXT}`],
    ["up to 3 spaces before #", `   ## Description\n${TEXT}`],
    ["lower case", `## description\n${TEXT}`],
    ["upper case", `## DESCRIPTION\n${TEXT}`],
    ["trailing colon", `## Description:\n${TEXT}`],
    ["bold heading text", `## **Description**\n${TEXT}`],
    ["alternative heading Summary", `## Summary\n${TEXT}`],
    ["alternative heading Purpose", `### Purpose\n${TEXT}`],
    ["setext heading", `Description\n===========\n${TEXT}`],
    ["setext h2", `Description\n---\n${TEXT}`],
    ["CRLF line ends", `## Description\r\n${TEXT}\r\n`],
    ["comment inside the heading", `## Description <!-- required -->\n${TEXT}`],
    ["text after a comment on the same line", `## Description\n<!-- what and why --> ${TEXT}`],
    ["text spread over a sub-heading", `## Description\n### Context\nSession store moves to Redis.`],
    ["text in a code block counts", `## Description\n\`\`\`\n${TEXT}\n\`\`\``],
    ["text in a list counts", `## Description\n- ${TEXT}`],
  ])("present: %s", (_name, body) => {
    expect(section(body)).toMatchObject({ present: true });
  });

  test("the length counted is the text under the heading, whitespace collapsed", () => {
    expect(section(`## Description\n\n  ${TEXT}  \n\n`)).toEqual({ present: true, length: 40 });
  });

  test.each<[string, string, object]>([
    ["no heading at all", TEXT, { present: false, reason: "missing", length: 0 }],
    ["heading text is not the section's", `## Descriptions\n${TEXT}`, { present: false, reason: "missing", length: 0 }],
    ["#-sign without space is not a heading", `##Description\n${TEXT}`, { present: false, reason: "missing", length: 0 }],
    ["7 #s is not a heading", `####### Description\n${TEXT}`, { present: false, reason: "missing", length: 0 }],
    ["4-space indent is code, not a heading", `    ## Description\n${TEXT}`, { present: false, reason: "missing", length: 0 }],
    ["escaped #", `\\## Description\n${TEXT}`, { present: false, reason: "missing", length: 0 }],
    ["heading inside a fenced code block", `\`\`\`md\n## Description\n${TEXT}\n\`\`\``, { present: false, reason: "missing", length: 0 }],
    ["heading inside a ~~~ fence", `~~~\n## Description\n${TEXT}\n~~~`, { present: false, reason: "missing", length: 0 }],
    ["heading inside an HTML comment block", `<!--\n## Description\n${TEXT}\n-->`, { present: false, reason: "missing", length: 0 }],
    ["unterminated comment hides the rest", `## Description\n<!-- ${TEXT}\n${TEXT}`, { present: false, reason: "placeholder", length: 0 }],
    ["only a comment under the heading (unedited template)", "## Description\n<!-- Describe the change and why -->\n", { present: false, reason: "placeholder", length: 0 }],
    ["multi-line comment only", "## Description\n<!--\nWhat changes?\nWhy?\n-->\n", { present: false, reason: "placeholder", length: 0 }],
    ["[bracket] placeholder", "## Description\n[Describe the change here, in a few sentences]\n", { present: false, reason: "placeholder", length: 0 }],
    ["<angle> placeholder", "## Description\n<describe the change here in a few sentences>\n", { present: false, reason: "placeholder", length: 0 }],
    ["{{mustache}} placeholder", "## Description\n{{ description of the change goes here }}\n", { present: false, reason: "placeholder", length: 0 }],
    ["N/A", "## Description\nN/A\n", { present: false, reason: "placeholder", length: 3 }],
    ["n/a.", "## Description\nn/a.\n", { present: false, reason: "placeholder", length: 4 }],
    ["TBD", "## Description\n\nTBD\n", { present: false, reason: "placeholder", length: 3 }],
    ["TODO", "## Description\nTODO\n", { present: false, reason: "placeholder", length: 4 }],
    ["*TODO*", "## Description\n*TODO*\n", { present: false, reason: "placeholder", length: 4 }],
    ["- (an empty list item in CommonMark)", "## Description\n-\n", { present: false, reason: "placeholder", length: 0 }],
    ["None", "## Description\nNone\n", { present: false, reason: "placeholder", length: 4 }],
    ["nothing under the heading", "## Description\n## Impact\nx\n", { present: false, reason: "placeholder", length: 0 }],
    ["a horizontal rule is not text", "## Description\n\n---\n", { present: false, reason: "placeholder", length: 0 }],
    ["too short", "## Description\nFixes a bug.\n", { present: false, reason: "too-short", length: 12 }],
    ["the next heading of the same level ends the section", `## Description\nShort.\n## Testing\n${TEXT}`, { present: false, reason: "too-short", length: 6 }],
    ["a higher-level heading ends the section", `### Description\nShort.\n# Testing\n${TEXT}`, { present: false, reason: "too-short", length: 6 }],
  ])("not present: %s", (_name, body, expected) => {
    expect(section(body)).toEqual(expected);
  });

  test("a sub-heading belongs to the section; list markers are not counted", () => {
    const body = "## Rollback plan\n### Steps\n1. Revert the merge commit\n2. Redeploy\n## Testing\nunit";
    expect(section(body, rollback)).toEqual({ present: true, length: 38 }); // "Steps Revert the merge commit Redeploy"
  });

  test("of two matching sections, one that is present wins; otherwise the longest tells why", () => {
    expect(section(`## Summary\nTBD\n## Description\n${TEXT}`)).toEqual({ present: true, length: 40 });
    expect(section("## Summary\nTBD\n## Description\nShort one.")).toEqual({ present: false, reason: "too-short", length: 10 });
  });

  test("a long answer that starts like a placeholder is an answer", () => {
    expect(section("## Description\nN/A for customers, but the admin API changes its paging.")).toMatchObject({ present: true });
  });

  test("min_length 0 still rejects placeholders", () => {
    expect(section("## Description\nTBD", { headings: ["Description"], min_length: 0 })).toEqual({ present: false, reason: "placeholder", length: 3 });
    expect(section("## Description\nok", { headings: ["Description"], min_length: 0 })).toEqual({ present: true, length: 2 });
  });
});

describe("fields", () => {
  test.each<[string, string, object]>([
    ["Owner: @alice", "Owner: @alice", { present: true, value: "alice" }],
    ["**Owner:** @alice", "**Owner:** @alice", { present: true, value: "alice" }],
    ["**Owner**: @Alice", "**Owner**: @Alice", { present: true, value: "alice" }],
    ["- Owner: alice", "- Owner: alice", { present: true, value: "alice" }],
    ["* owner: @alice (backup @bob)", "* owner: @alice (backup @bob)", { present: true, value: "alice" }],
    ["> Owner: @alice", "> Owner: @alice", { present: true, value: "alice" }],
    ["inside a section", `## Description\n${TEXT}\n\nOwner: @alice`, { present: true, value: "alice" }],
    ["first one wins", "Owner: @alice\nOwner: @bob", { present: true, value: "alice" }],
    ["invalid login", "Owner: @not_a_login!", { present: false, reason: "invalid", value: "@not_a_login!" }],
    ["free text is not a login", "Owner: the platform team", { present: false, reason: "invalid", value: "the platform team" }],
    ["template placeholder `@`", "Owner: @", { present: false, reason: "missing", value: "@" }],
    ["TBD", "Owner: TBD", { present: false, reason: "missing", value: "TBD" }],
    ["only a comment", "Owner: <!-- @login -->", { present: false, reason: "missing" }],
    ["in a code block it does not count", "```\nOwner: @alice\n```", { present: false, reason: "missing" }],
    ["in a comment it does not count", "<!--\nOwner: @alice\n-->", { present: false, reason: "missing" }],
    ["absent", TEXT, { present: false, reason: "missing" }],
  ])("owner: %s", (_name, body, expected) => {
    expect(fieldStatus(readRequestForChange(body), owner)).toEqual(expected);
  });

  test.each<[string, object]>([
    ["Target date: 2026-02-28", { present: true, value: "2026-02-28" }],
    ["Target date: 2028-02-29", { present: true, value: "2028-02-29" }],
    ["target date: 2026-03-01 (after the freeze)", { present: true, value: "2026-03-01" }],
    ["**Target date:** 2026-03-01", { present: true, value: "2026-03-01" }],
    ["Target date: 2026-02-30", { present: false, reason: "invalid", value: "2026-02-30" }],
    ["Target date: 2027-02-29", { present: false, reason: "invalid", value: "2027-02-29" }],
    ["Target date: 2026-13-01", { present: false, reason: "invalid", value: "2026-13-01" }],
    ["Target date: 01/03/2026", { present: false, reason: "invalid", value: "01/03/2026" }],
    ["Target date: 2026-3-1", { present: false, reason: "invalid", value: "2026-3-1" }],
    ["Target date: next week", { present: false, reason: "invalid", value: "next week" }],
    ["Target date: YYYY-MM-DD", { present: false, reason: "missing", value: "YYYY-MM-DD" }],
    ["Target date:", { present: false, reason: "missing" }],
  ])("target date: %s", (body, expected) => {
    expect(fieldStatus(readRequestForChange(body), targetDate)).toEqual(expected);
  });

  test("a text field takes the value as written", () => {
    expect(fieldStatus(readRequestForChange("Ticket: CHG-1234"), { names: ["Change ticket", "Ticket"], format: "text" })).toEqual({
      present: true,
      value: "CHG-1234",
    });
  });
});

describe("checkboxes", () => {
  const body = [
    "- [x] Privacy or regulatory impact",
    "* [X] Database backup taken before deployment (snapshot 42)",
    "- [ ] Feature flag off by default",
    "1. [x] Numbered item",
    "  - [x] **Nested** item",
    "```",
    "- [x] In a code block",
    "```",
    "<!-- - [x] In a comment -->",
    "[x] Not a list item",
  ].join("\n");
  const rfc = readRequestForChange(body);

  test.each([
    ["Privacy or regulatory impact", true],
    ["privacy OR regulatory impact", true],
    ["Database backup taken before deployment", true],
    ["Numbered item", true],
    ["Nested item", true],
    ["Feature flag off by default", false],
    ["In a code block", false],
    ["In a comment", false],
    ["Not a list item", false],
    ["Privacy", false],
    ["Database backup", false],
    ["Database backup taken", false],
  ])("%s → %s", (text, expected) => {
    expect(isChecked(rfc, text)).toBe(expected);
  });
});

describe("CommonMark, as GitHub renders it", () => {
  test.each<[string, string, object]>([
    ["4-space indented code counts towards the section", `## Description\n\n    ${TEXT}\n`, { present: true, length: 40 }],
    ["a heading inside a quote does not start a section", `> ## Description\n> ${TEXT}`, { present: false, reason: "missing", length: 0 }],
    ["a setext heading's title is its whole paragraph", `Some context\nDescription\n===\n${TEXT}`, { present: false, reason: "missing", length: 0 }],
    ["HTML tags are not text, what they enclose is", '## Description\n<p align="center">\nabc\n</p>', { present: true, length: 3 }],
    ["a `<` that opens no tag is text", "## Description\n<div>\nx <y", { present: true, length: 4 }],
    ["text before an unclosed comment in a paragraph counts", `## Description\n${TEXT} <!-- note\n\n${TEXT}`, { present: true, length: 40 }],
    ["a comment closed in the same paragraph hides only itself", `## Description\nWe replace <!-- the old\nsession --> the session store with Redis.`, { present: true, length: 40 }],
  ])("section: %s", (_name, body, expected) => {
    expect(section(body, { headings: ["Description"], min_length: 0 })).toEqual(expected);
  });

  test.each<[string, string, object]>([
    ["in 4-space indented code it does not count", "    Owner: @alice", { present: false, reason: "missing" }],
    ["after a comment on the same line", "<!-- who answers for it --> Owner: @alice", { present: true, value: "alice" }],
    ["around a comment spanning lines", "Owner: <!-- your\nlogin --> @alice", { present: true, value: "alice" }],
    ["in a code span", "Owner: `@alice`", { present: true, value: "alice" }],
    ["inside an HTML block", "<p>\nOwner: @alice\n</p>", { present: true, value: "alice" }],
    ["in a checkbox item it is the box's text", "- [ ] Reviewed by\n  Owner: @alice", { present: false, reason: "missing" }],
    ["in a heading it is a title, not a field", "## Owner: @alice", { present: false, reason: "missing" }],
    ["after an unclosed comment in a list item", "- <!-- hint\n\nOwner: @alice", { present: false, reason: "missing" }],
    ["after an unclosed comment in a paragraph", "Note <!-- hint\n\nOwner: @alice", { present: false, reason: "missing" }],
  ])("owner: %s", (_name, body, expected) => {
    expect(fieldStatus(readRequestForChange(body), owner)).toEqual(expected);
  });

  test.each<[string, string, boolean]>([
    ["in a quote", "> - [x] Privacy or regulatory impact", true],
    ["in a nested list", "- Compliance\n  - [x] Privacy or regulatory impact", true],
    ["wrapped over two lines", "- [x] Privacy or\n  regulatory impact", true],
    ["followed by a comment", "- [x] Privacy or regulatory impact <!-- ask legal -->", true],
    ["in a loose list", "- [x] Privacy or regulatory impact\n\n- [ ] Other", true],
    ["escaped box", "- \\[x] Privacy or regulatory impact", false],
    ["box in the item's second paragraph", "- Impact\n\n  [x] Privacy or regulatory impact", false],
    ["box without a space after it", "- [x]Privacy or regulatory impact", false],
    ["in a code span", "- `[x] Privacy or regulatory impact`", false],
    ["after an unclosed comment", "<!-- tick one\n- [x] Privacy or regulatory impact", false],
  ])("checkbox %s", (_name, body, expected) => {
    expect(isChecked(readRequestForChange(body), "Privacy or regulatory impact")).toBe(expected);
  });
});

describe("huge and pathological bodies are read in linear time", () => {
  // Each of these took seconds to minutes (or overflowed the stack) with mdast/micromark.
  test.each<[string, string]>([
    ["200k `<!--`", "<!--".repeat(200_000)],
    ["100k `[`", "[".repeat(100_000)],
    ["100k `:`", ":".repeat(100_000)],
    ["100k `#`", "#".repeat(100_000)],
    ["100k `[a](`", "[a](".repeat(100_000)],
    ["nested lists `- - - …`", "- ".repeat(500_000)],
    ["nested quotes `> > > …`", "> ".repeat(500_000)],
    ["250k `*a `", "*a ".repeat(250_000)],
    ["one 1 MB line", "a".repeat(1_000_000)],
    ["250k lines of `:`", ":\n".repeat(250_000)],
    ["250k fences", "```\n".repeat(250_000)],
  ])("1 MB of %s", (_name, body) => {
    const rfc = readRequestForChange(body);
    expect(rfc.truncated).toBe(true);
    expect(sectionStatus(rfc, description)).toEqual({ present: false, reason: "missing", length: 0 });
    expect(fieldStatus(rfc, owner)).toEqual({ present: false, reason: "missing" });
  });

  // 65,536 characters (the most GitHub sends) of patterns that are slow in markdown parsers, then a
  // section after a blank line: it is still read, unless an unclosed comment hid it.
  const SECTION = `\n\n## Description\n${TEXT}\n`;
  const adversarial = (pattern: string) => pattern.repeat(MAX_BODY_CHARS / pattern.length + 1).slice(0, MAX_BODY_CHARS - SECTION.length) + SECTION;
  test.each<[string, string, boolean]>([
    ["`[`", "[", true],
    ["`[a](`", "[a](", true],
    ["`*a `", "*a ", true],
    ["`_a `", "_a ", true],
    ["nested lists `- - - …`", "- ", true],
    ["nested quotes `> > > …`", "> ", true],
    ["quoted lists `> - > - …`", "> - ", true],
    ["16k list items", "- a\n", true],
    ["16k checkboxes", "- [x] a\n", true],
    ["setext underlines", "a\n=\n", true],
    ["code spans `` `a ``", "`a", true],
    ["backslashes", "\\", true],
    ["`<a` after an HTML tag", "<a>\n<a", true],
    ["closed comments", "<!-- -->\n", true],
    ["`<!--`", "<!--", false],
  ])("64 KB of %s", (_name, pattern, sectionRead) => {
    const body = adversarial(pattern);
    expect(body.length).toBe(MAX_BODY_CHARS);
    const rfc = readRequestForChange(body);
    expect(rfc.truncated).toBe(false);
    expect(sectionStatus(rfc, description)).toEqual(sectionRead ? { present: true, length: 40 } : { present: false, reason: "missing", length: 0 });
  });

  test("a body of exactly 65,536 characters is read whole", () => {
    const filler = "x".repeat(MAX_BODY_CHARS - 200);
    const body = `## Description\n${filler}\n`.padEnd(MAX_BODY_CHARS - 29, " ") + "\nOwner: @alice\nTarget date: x";
    expect(body.length).toBe(MAX_BODY_CHARS);
    const rfc = readRequestForChange(body);
    expect(rfc.truncated).toBe(false);
    expect(sectionStatus(rfc, description)).toMatchObject({ present: true });
    expect(fieldStatus(rfc, owner)).toEqual({ present: true, value: "alice" });
  });

  test("past 65,536 characters the rest is not read and the result says so", () => {
    const body = `## Description\n${TEXT}\n${"y".repeat(MAX_BODY_CHARS)}\nOwner: @alice`;
    const rfc = readRequestForChange(body);
    expect(rfc.truncated).toBe(true);
    expect(sectionStatus(rfc, description)).toMatchObject({ present: true });
    expect(fieldStatus(rfc, owner)).toEqual({ present: false, reason: "missing" });
  });

  test("3,000 repeated headings and thousands of checkboxes", () => {
    const body = "## Description\nx\n".repeat(3000) + `## Description\n${TEXT}\n` + "- [x] a\n".repeat(1500);
    expect(body.length).toBeLessThan(MAX_BODY_CHARS);
    const rfc = readRequestForChange(body);
    expect(sectionStatus(rfc, description)).toEqual({ present: true, length: 40 + 1500 * 2 });
    expect(rfc.sections.get("description")).toHaveLength(3001);
    expect(rfc.checked).toHaveLength(1500);
  });

  test("null and empty bodies", () => {
    for (const body of [null, undefined, ""]) {
      expect(readRequestForChange(body)).toEqual({ sections: new Map(), fields: new Map(), checked: [], truncated: false });
    }
  });
});

test("section length counts what a reader sees: no list markers, boxes, backticks or asterisks", () => {
  const rfc = readRequestForChange("## Testing\n- [x] `npm test`\n> **ok**\n");
  expect(sectionStatus(rfc, { headings: ["Testing"], min_length: 1 })).toEqual({ present: true, length: 11 }); // "npm test ok"
});
