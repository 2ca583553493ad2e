// The hash formula of SPEC §10, pinned: computed here independently (node:crypto over a hand-written
// canonical string, and the value Python's json.dumps(sort_keys=True, separators=(",", ":"),
// ensure_ascii=False) gives), so the implementation cannot drift from the contract unnoticed.
import { describe, expect, test } from "@jest/globals";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { GENESIS_PREV_HASH, canonicalEntry, canonicalJson, entryHash, normalizeBody } from "../../src/ledger/hash.js";

const fixed = {
  seq: 1,
  recorded_at: "2026-12-02T14:03:33.123Z",
  kind: "merge",
  repository: "acme/api",
  subject: "#12",
  body: { pull_number: 12, labels: ["normal"], zeta: { b: 1, a: 'é\n"' }, empty: {}, list: [{ y: null, x: true }] },
};
const FIXED_CANONICAL =
  '{"body":{"empty":{},"labels":["normal"],"list":[{"x":true,"y":null}],"pull_number":12,"zeta":{"a":"é\\n\\"","b":1}},' +
  '"kind":"merge","recorded_at":"2026-12-02T14:03:33.123Z","repository":"acme/api","seq":1,"subject":"#12"}';
const FIXED_HASH = "7e02c635f9a70496eea5bf56e043eef47a5f8fe3472e18f7b8f5ec440144a63a";

describe("the hash of SPEC §10", () => {
  test("a fixed first entry has the pinned hash: sha256(64 zeros, newline, sorted compact JSON)", () => {
    expect(GENESIS_PREV_HASH).toBe("0".repeat(64));
    expect(canonicalEntry(fixed)).toBe(FIXED_CANONICAL);
    const independent = createHash("sha256").update(`${"0".repeat(64)}\n${FIXED_CANONICAL}`, "utf8").digest("hex");
    expect(independent).toBe(FIXED_HASH);
    expect(entryHash(GENESIS_PREV_HASH, fixed)).toBe(FIXED_HASH);
  });

  test("the next entry chains on it; keys sort by code point (as Python and jq sort), not UTF-16 unit", () => {
    const second = { ...fixed, seq: 2, kind: "check", subject: "#13", body: { astral: "😀", keys: { "～": 1, "😀": 2, a: 3 } } };
    expect(canonicalEntry(second)).toBe(
      '{"body":{"astral":"😀","keys":{"a":3,"～":1,"😀":2}},"kind":"check","recorded_at":"2026-12-02T14:03:33.123Z","repository":"acme/api","seq":2,"subject":"#13"}',
    );
    expect(entryHash(FIXED_HASH, second)).toBe("923b896b2916a167d06d9b03fdc570468eacc59960b3feb01b7bf5056d36e3bf");
  });

  test("canonical JSON: no whitespace, nested keys sorted, arrays keep their order, undefined members dropped", () => {
    expect(canonicalJson({ b: [3, 1, { d: 1, c: [] }], a: "x y", u: undefined } as never)).toBe('{"a":"x y","b":[3,1,{"c":[],"d":1}]}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/NaN/);
    // Integer-like keys sort as text ("10" before "9"), and "__proto__" is a key like any other.
    const tricky = normalizeBody(JSON.parse('{"a":4,"9":2,"__proto__":3,"10":{"b":[1,{"y":1,"x":2}]}}'));
    expect(canonicalJson(tricky)).toBe('{"10":{"b":[1,{"x":2,"y":1}]},"9":2,"__proto__":3,"a":4}');
  });

  test("any JSON value: the same text as a plain reference writer (JSON.stringify per value, keys by code point)", () => {
    const byCodePoint = (a: string, b: string) => {
      const x = [...a].map((c) => c.codePointAt(0)!);
      const y = [...b].map((c) => c.codePointAt(0)!);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    };
    const reference = (v: unknown): string =>
      Array.isArray(v)
        ? `[${v.map(reference).join(",")}]`
        : v !== null && typeof v === "object"
          ? `{${Object.keys(v).sort(byCodePoint).map((k) => `${JSON.stringify(k)}:${reference((v as Record<string, unknown>)[k])}`).join(",")}}`
          : JSON.stringify(v);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4, stringUnit: "binary" }), (value) => {
        const json = normalizeBody(value);
        expect(canonicalJson(json)).toBe(reference(json));
      }),
      { numRuns: 500 },
    );
  });

  test("bodies are normalised to what both databases store: dates as ISO text, NUL and lone surrogates as U+FFFD", () => {
    expect(normalizeBody({ at: new Date("2026-01-02T03:04:05.006Z"), s: "a\u0000b\ud800c", ok: "😀", gone: undefined })).toEqual({
      at: "2026-01-02T03:04:05.006Z",
      s: "a\ufffdb\ufffdc",
      ok: "😀",
    });
  });
});
