// Property-based tests of the Request for Change reader: whatever an author writes in a pull request
// description (or pastes, or generates), it is read — sections, fields and ticked boxes — without
// an exception, within bounded output, and nothing written after a complete request can undo it.
import fc from "fast-check";
import { markdownBody, MARKDOWN_PATTERN_TOKENS, repeatedPattern } from "../../bench/fuzz-inputs.mjs";
import { defaultConfig } from "../../src/config/schema.js";
import { fieldStatus, isChecked, MAX_BODY_CHARS, readRequestForChange, sectionStatus, type RequestForChange } from "../../src/policy/request-for-change.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const config = defaultConfig();
const CHECKBOXES = ["Privacy or regulatory impact", "Database backup taken before deployment"];

/** Reads the body and every requirement of the default policy from it, checking each answer's shape. */
function readAll(body: string): RequestForChange {
  const rfc = readRequestForChange(body);
  const read = Math.min(body.length, MAX_BODY_CHARS);
  expect(rfc.truncated).toBe(body.length > MAX_BODY_CHARS);
  // Output stays proportional to the input: each block is added to at most the open sections.
  for (const [key, texts] of rfc.sections) {
    expect(key).toBe(key.trim().toLowerCase());
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(2 * read + 16);
  }
  for (const [name, value] of rfc.fields) {
    expect(name.length).toBeGreaterThan(0);
    expect(value.length).toBeGreaterThan(0);
    expect(value.length).toBeLessThanOrEqual(1_000);
  }
  for (const text of rfc.checked) expect(text).toBe(text.trim().toLowerCase());
  for (const section of Object.values(config.sections)) {
    const status = sectionStatus(rfc, section);
    if (status.present) expect(status.length).toBeGreaterThanOrEqual(section.min_length);
  }
  for (const field of Object.values(config.fields)) {
    const status = fieldStatus(rfc, field);
    if (status.present && field.format === "date") expect(status.value).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    if (status.present && field.format === "login") expect(status.value).toMatch(/^[a-z0-9][a-z0-9-]{0,38}$/);
  }
  for (const box of CHECKBOXES) expect(typeof isChecked(rfc, box)).toBe("boolean");
  return rfc;
}

describe("any description is read without an exception, into bounded answers", () => {
  it("markdown pieces: headings, fields, boxes, comments, code, HTML, noise", () => {
    fc.assert(fc.property(markdownBody, (body) => void readAll(body)), { numRuns: RUNS * 2 });
  });

  it("any code points", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 500 }), (body) => void readAll(body)), { numRuns: RUNS });
  });

  it("repeated patterns (backticks, brackets, asterisks, `<!--`, list and quote markers) up to and past GitHub's limit", () => {
    fc.assert(fc.property(repeatedPattern(MARKDOWN_PATTERN_TOKENS, 70_000, 1_000), (body) => void readAll(body)), { numRuns: 40 });
  });

  it("deep nesting of lists and quotes", () => {
    const nested = fc.tuple(fc.constantFrom("- ", "> ", "1. ", "* > ", "  - ", "> - [x] "), fc.integer({ min: 1, max: 20_000 }), fc.constantFrom("Owner: @alice", "[x] Privacy or regulatory impact", "## Rollback plan", "```"));
    fc.assert(fc.property(nested, ([marker, depth, text]) => void readAll(marker.repeat(depth) + text)), { numRuns: 40 });
  });
});

describe("nothing after a complete request undoes it", () => {
  const REQUEST = [
    "## Description",
    "Moves the session store to Redis so that restarts keep users logged in.",
    "",
    "## Impact analysis",
    "Sessions are kept across deploys; Redis becomes a dependency of the login path.",
    "",
    "## Rollback plan",
    "Switch SESSION_STORE back to memory and redeploy the previous image.",
    "",
    "Owner: @alice",
    "Target date: 2026-12-01",
    "",
    "- [x] Privacy or regulatory impact",
    "",
    // A level-1 heading closes every section above it.
    "# Appendix",
    "",
    "",
  ].join("\n");

  it("whatever follows the appendix heading, the request's sections, fields and boxes still count", () => {
    fc.assert(
      fc.property(fc.oneof(markdownBody, repeatedPattern(MARKDOWN_PATTERN_TOKENS, 20_000)), (suffix) => {
        const rfc = readAll(REQUEST + suffix);
        for (const name of ["description", "impact", "rollback"]) expect(sectionStatus(rfc, config.sections[name]!).present).toBe(true);
        expect(fieldStatus(rfc, config.fields.owner!)).toEqual({ present: true, value: "alice" });
        expect(fieldStatus(rfc, config.fields.target_date!)).toEqual({ present: true, value: "2026-12-01" });
        expect(isChecked(rfc, "Privacy or regulatory impact")).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
