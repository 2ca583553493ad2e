// Property-based tests of the policy file loader: whatever text an admin (or a pull request into a
// branch) puts in .github/change-policy.yml, the loader returns a valid Config or a list of
// problems an admin can act on — it never throws, never crashes the process, never accepts what
// the schema forbids. Runs: FUZZ_RUNS (default 150 per property); a failure prints its seed.
import fc from "fast-check";
import { parse } from "yaml";
import {
  deeplyNestedConfig,
  EXAMPLE_CONFIG,
  mutatedExampleConfig,
  nearSchemaText,
  repeatedPattern,
  yamlishText,
  YAML_PATTERN_TOKENS,
} from "../../bench/fuzz-inputs.mjs";
import { formatProblem, parseConfigFile, parseConfigText, parseExtends, resolveConfig, type ConfigFile, type Parsed } from "../../src/config/load.js";
import { configSchema, type Config } from "../../src/config/schema.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SRC = "acme/api:.github/change-policy.yml";

/** What an admin must be able to act on: a message in words, at a real line of the file. */
const UNCLEAR = /Maximum call stack|undefined|\[object Object\]|TypeError|Cannot read|is not a function/;

function expectClearOutcome(result: Parsed<Config>, text: string, sources: string[] = [SRC]): void {
  if (result.ok) {
    // Whatever the loader accepts is itself a valid policy (nothing slipped past the schema).
    expect(configSchema.safeParse(result.value).success).toBe(true);
    return;
  }
  expect(result.problems.length).toBeGreaterThan(0);
  const lineCount = text.split("\n").length;
  for (const problem of result.problems) {
    expect(sources).toContain(problem.source);
    expect(typeof problem.path).toBe("string");
    expect(problem.message.length).toBeGreaterThan(0);
    expect(problem.message).not.toMatch(UNCLEAR);
    if (problem.line !== undefined) {
      expect(Number.isInteger(problem.line)).toBe(true);
      expect(problem.line).toBeGreaterThanOrEqual(1);
      expect(problem.line).toBeLessThanOrEqual(lineCount);
    }
    expect(formatProblem(problem)).toContain(problem.message);
  }
}

const check = (text: string) => expectClearOutcome(parseConfigText(text, SRC), text);

describe("the policy loader gives a Config or clear problems for any text", () => {
  it("YAML-ish token soup", () => {
    fc.assert(fc.property(yamlishText, check), { numRuns: RUNS });
  });

  it("any code points, controls and lone surrogates' neighbours included", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 400 }), check), { numRuns: RUNS });
  });

  it("objects shaped like a policy, with right and wrong types, as YAML or JSON", () => {
    fc.assert(fc.property(nearSchemaText, check), { numRuns: RUNS });
  });

  it("the example policy after random edits (typos, lost indentation, duplicated lines)", () => {
    fc.assert(fc.property(mutatedExampleConfig, check), { numRuns: RUNS });
  });

  it("deep nesting of every YAML kind, at depths the parser does not survive", () => {
    fc.assert(fc.property(deeplyNestedConfig, check), { numRuns: Math.ceil(RUNS / 3) });
  });

  it("repeated patterns up to 70 KB", () => {
    fc.assert(fc.property(repeatedPattern(YAML_PATTERN_TOKENS, 70_000), check), { numRuns: 25 });
  });

  it("a file over the size limit is one problem, whatever it holds", () => {
    for (const text of ["x".repeat(300_000), "[".repeat(300_000), "a: b\n".repeat(60_000)]) {
      expect(parseConfigText(text, SRC)).toEqual({ ok: false, problems: [{ source: SRC, path: "", message: "file is larger than 256 KiB" }] });
    }
  });

  it("chains of `_extends` files: problems name one of the chain's files", () => {
    const file = fc.tuple(nearSchemaText, fc.constantFrom("acme/.github:.github/change-policy.yml", "acme/base:policy.yml", SRC));
    fc.assert(
      fc.property(fc.array(file, { minLength: 1, maxLength: 3 }), (files) => {
        const chain: ConfigFile[] = [];
        for (const [text, source] of files) {
          const parsed = parseConfigFile(text, source);
          if (!parsed.ok) return expectClearOutcome(parsed, text, [source]);
          chain.push(parsed.value);
        }
        const sources = files.map(([, source]) => source);
        const longest = files.map(([text]) => text).reduce((a, b) => (a.split("\n").length > b.split("\n").length ? a : b));
        expectClearOutcome(resolveConfig(chain), longest, sources);
      }),
      { numRuns: RUNS },
    );
  });

  it("`_extends` values: a target without `..`, or the message saying what is allowed", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue({ maxDepth: 1 }), fc.constantFrom("a/b:../x", "a:..", "a/b:c/../../d", "x".repeat(400))), (value) => {
        const target = parseExtends(value, "acme");
        if (typeof target === "string") expect(target).toMatch(/^_extends must be/);
        else {
          expect(target.path).not.toContain("..");
          expect(target.owner.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe("unknown keys are always reported, with their path and line", () => {
  // Mappings whose keys the schema fixes (others, such as `groups`, take any name).
  const STRICT: string[][] = [[], ["classification"], ["classification", "normal"], ["classes"], ["classes", "normal"], ["classes", "emergency", "post_review"], ["approvals"], ["incidents"]];
  const known = new Set([...Object.keys(configSchema.parse({})), "_extends", "default", "emergency", "normal", "standard", "labels", "paths", "require", "checked", "approvals", "post_review", "within_hours", "from", "repository", "assignees", "remind_before_hours", "stale", "branches"]);
  const base = parse(EXAMPLE_CONFIG) as Record<string, unknown>;

  it("a key the schema does not know, at any strict mapping, whatever its value", () => {
    const unknownKey = fc.oneof(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,12}$/), fc.constantFrom("__proto__", "constructor", "toString", "requires", "Classes"));
    fc.assert(
      fc.property(fc.constantFrom(...STRICT), unknownKey.filter((k) => !known.has(k)), fc.jsonValue({ maxDepth: 2 }), (path, key, value) => {
        const config = structuredClone(base);
        let node = config;
        for (const step of path) {
          if (typeof node[step] !== "object" || node[step] === null) node[step] = {};
          node = node[step] as Record<string, unknown>;
        }
        Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
        const text = JSON.stringify(config, null, 1);
        const result = parseConfigText(text, SRC);
        expectClearOutcome(result, text);
        expect(result.ok).toBe(false);
        const problem = !result.ok && result.problems.find((p) => p.path === [...path, key].join("."));
        expect(problem).toMatchObject({ message: `unknown key "${key}" (check the spelling)`, line: expect.any(Number) });
      }),
      { numRuns: RUNS },
    );
  });
});

describe("regressions found by fuzzing", () => {
  it("a top-level `__proto__:` is an unknown key, not a way to set keys unseen", () => {
    const text = "__proto__:\n  classes:\n    normal:\n      require: []\n";
    expect(parseConfigText(text, SRC)).toEqual({
      ok: false,
      problems: [{ source: SRC, path: "__proto__", message: 'unknown key "__proto__" (check the spelling)', line: 1 }],
    });
    // Not in an `_extends` base either.
    const base = parseConfigFile("__proto__:\n  approvals: { stale: keep }\n", "acme/.github:.github/change-policy.yml");
    const own = parseConfigFile("approvals: { stale: dismiss }\n", SRC);
    const result = base.ok && own.ok ? resolveConfig([base.value, own.value]) : base;
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map(formatProblem)).toEqual([`acme/.github:.github/change-policy.yml:1: __proto__: unknown key "__proto__" (check the spelling)`]);
  });

  it("2,000 unclosed brackets, parsed again and again, are a problem, not a dead process", () => {
    // Before the depth guard, the YAML parser overflowed its stack and the second parse killed
    // node with "FATAL ERROR: RegExpCompiler Allocation failed" (no exception: the process died).
    for (const text of ["[".repeat(2000), "{a: ".repeat(2000), "- ".repeat(2000), "a: ".repeat(2000), "\tgroups:".repeat(2000), Array.from({ length: 500 }, (_, i) => " ".repeat(i) + "a:").join("\n")]) {
      for (let i = 0; i < 3; i++) {
        const result = parseConfigText(text, SRC);
        expect(result.ok).toBe(false);
        expect(!result.ok && result.problems).toEqual([{ source: SRC, path: "", line: expect.any(Number), message: expect.stringMatching(/nest|indented/) }]);
      }
    }
  });

  it("nesting a real policy uses (and a little more) still parses", () => {
    const nested = `rules:\n  - name: deep\n    when: { labels: [${"[".repeat(20)}a${"]".repeat(20)}] }\n`;
    const result = parseConfigText(nested, SRC);
    expect(!result.ok && result.problems.map((p) => p.path)).toEqual(["rules.0.when.labels.0"]);
  });

  it("thousands of unknown keys are each reported at their line", () => {
    const text = Array.from({ length: 3000 }, (_, i) => `k${i}: 1`).join("\n");
    const result = parseConfigText(text, SRC);
    expect(!result.ok && result.problems.length).toBe(3000);
    expect(!result.ok && result.problems[2999]).toEqual({ source: SRC, path: "k2999", message: 'unknown key "k2999" (check the spelling)', line: 3000 });
  });

  it("a tagged top level (`!!binary`, `!!set`, `!!omap`) is not a mapping of keys", () => {
    for (const text of ["!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1]", "!!binary " + "QUJD".repeat(10_000)]) {
      expect(parseConfigText(text, SRC)).toEqual({ ok: false, problems: [{ source: SRC, path: "", line: 1, message: "the file must be a mapping of keys (e.g. `classes:`), or empty" }] });
    }
  });

  it("a file of nothing but syntax errors is read up to its 100th", () => {
    const result = parseConfigText("[[x]]".repeat(13_000), SRC);
    const problems = result.ok ? [] : result.problems;
    expect(problems.length).toBeGreaterThan(100);
    expect(problems.length).toBeLessThan(200); // not 13,000
    expect(problems[problems.length - 1]).toEqual({ source: SRC, path: "", line: 1, message: "invalid YAML: more than 100 syntax errors; the rest of the file was not read" });
  });

  it("a required key that is absent is called missing (zod said 'expected array, received undefined')", () => {
    expect(parseConfigText("sections:\n  groups: {}\n", SRC)).toEqual({
      ok: false,
      problems: [{ source: SRC, path: "sections.groups.headings", message: "is missing (required: array)", line: 2 }],
    });
  });

  it("a key set twice is still reported where it is set again", () => {
    expect(parseConfigText("approvals: {}\nincidents: {}\napprovals: {}\n", SRC)).toEqual({
      ok: false,
      problems: [{ source: SRC, path: "", message: "invalid YAML: Map keys must be unique", line: 3 }],
    });
    expect(parseConfigText("classes:\n  normal: {}\n  normal: {}\n", SRC)).toMatchObject({ ok: false, problems: [{ line: 3 }] });
    // Quoted or not, it is the same key.
    expect(parseConfigText('groups:\n  a1: {}\n  "a1": {}\n', SRC)).toMatchObject({ ok: false, problems: [{ line: 3 }] });
  });
});
