// Property-based tests of the snapshot-file / webhook payload converter (`change-policy explain
// --event FILE`): real payloads from @octokit/webhooks-examples, mutated at random paths (deleted,
// nulled, retyped, wrapped, made huge), give either a well-formed snapshot that evaluates to a check,
// or problems naming the key — never an exception.
import fc from "fast-check";
import { mutatedPayload, REAL_PULL_PAYLOADS } from "../../bench/fuzz-inputs.mjs";
import { snapshotFromFile } from "../../src/github/payload-snapshot.js";
import { defaultConfig } from "../../src/config/schema.js";
import { evaluatePull } from "../../src/policy/evaluate.js";
import type { PullSnapshot } from "../../src/policy/snapshot.js";
import { renderVerdict } from "../../src/render/check-output.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const config = defaultConfig();
const STATES = ["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"];
const UNCLEAR = /undefined|\[object Object\]|TypeError|Cannot read|is not a function/;

function expectWellFormed(snapshot: PullSnapshot): void {
  expect(Number.isInteger(snapshot.number) && snapshot.number > 0).toBe(true);
  for (const text of [snapshot.title, snapshot.body, snapshot.author, snapshot.headSha, snapshot.baseRef, snapshot.repository.owner, snapshot.repository.name]) {
    expect(typeof text).toBe("string");
  }
  expect(snapshot.author).toBe(snapshot.author.toLowerCase());
  expect(["open", "closed", "merged"]).toContain(snapshot.state);
  expect(new Set(snapshot.files).size).toBe(snapshot.files.length);
  for (const file of snapshot.files) expect(typeof file).toBe("string");
  for (const review of snapshot.reviews) expect(STATES).toContain(review.state);
  const times = snapshot.labelEvents.map((e) => e.createdAt);
  expect(times).toEqual([...times].sort());
  for (const members of Object.values(snapshot.groups)) for (const m of members) expect(m).toBe(m.toLowerCase());
}

function check(data: unknown): void {
  const parsed = snapshotFromFile(data);
  if (parsed.ok) {
    expectWellFormed(parsed.snapshot);
    // And the rest of `explain` takes it from there: a verdict and a check, never an exception.
    const output = renderVerdict(evaluatePull(config, parsed.snapshot));
    expect(["success", "failure"]).toContain(output.conclusion);
    expect(output.title.length).toBeGreaterThan(0);
    return;
  }
  expect(parsed.problems.length).toBeGreaterThan(0);
  for (const problem of parsed.problems) {
    expect(problem).toMatch(/.: ./);
    expect(problem).not.toMatch(UNCLEAR);
  }
}

describe("the snapshot converter gives a snapshot or problems for any payload", () => {
  it.each(REAL_PULL_PAYLOADS.map((p, i) => [`${i}: ${String(p.action)}`, p] as const))("accepts the real payload %s", (_, payload) => {
    const parsed = snapshotFromFile(structuredClone(payload));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expectWellFormed(parsed.snapshot);
  });

  it("real payloads mutated at random paths, with extras of any shape", () => {
    fc.assert(fc.property(mutatedPayload, check), { numRuns: RUNS * 2 });
  });

  it("the same, after a JSON round trip (what a file gives)", () => {
    fc.assert(fc.property(mutatedPayload, (payload) => check(JSON.parse(JSON.stringify(payload)))), { numRuns: RUNS });
  });

  it("any JSON value at all", () => {
    fc.assert(fc.property(fc.jsonValue(), check), { numRuns: RUNS });
  });
});
