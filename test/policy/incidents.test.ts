import { defaultConfig } from "../../src/config/schema.js";
import {
  bypassIncidentMarker,
  incidentRepository,
  isWatchedBranch,
  messageHeadline,
  pushIncidentMarker,
  readIncidentMarker,
  unauthorizedCommits,
} from "../../src/policy/incidents.js";

const where = { owner: "acme", repo: "api" };
const SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";

function withIncidents(incidents: Partial<ReturnType<typeof defaultConfig>["incidents"]>) {
  const config = defaultConfig();
  return { incidents: { ...config.incidents, ...incidents } };
}

test.each([
  [[], "main", "main", true],
  [[], "develop", "main", false],
  [["release/*"], "release/1.2", "main", true],
  [["release/*"], "main", "main", false],
  [["main", "release/**"], "release/2026/q4", "main", true],
])("branches %j: %s (default %s) watched = %s", (branches, branch, defaultBranch, watched) => {
  expect(isWatchedBranch(withIncidents({ branches }), branch, defaultBranch)).toBe(watched);
});

test.each([
  ["", { owner: "acme", repo: "api" }],
  ["security", { owner: "acme", repo: "security" }],
  ["sec-org/incidents", { owner: "sec-org", repo: "incidents" }],
])("incidents.repository %j files in %j", (repository, expected) => {
  expect(incidentRepository(withIncidents({ repository }), where)).toEqual(expected);
});

test("a commit is authorised only by a merged PR into the same branch", () => {
  const commit = (sha: string) => ({ sha, message: "m", authorName: "a", authorLogin: null, url: "u" });
  const associations = new Map([
    ["a", [{ number: 1, merged: true, baseRefName: "main", mergeCommitOid: "a" }]],
    ["b", [{ number: 2, merged: true, baseRefName: "develop", mergeCommitOid: "b" }]],
    ["c", [{ number: 3, merged: false, baseRefName: "main", mergeCommitOid: null }]],
  ]);
  expect(unauthorizedCommits("main", ["a", "b", "c", "d"].map(commit), associations).map((c) => c.sha)).toEqual(["b", "c", "d"]);
  // Creating a branch (cutting a release from develop): commits merged anywhere are accounted for.
  expect(unauthorizedCommits("release/1", ["a", "b", "c", "d"].map(commit), associations, { branchCreated: true }).map((c) => c.sha)).toEqual(["c", "d"]);
});

test("markers read back what they wrote, and reject anything else", () => {
  expect(readIncidentMarker(`x\n${pushIncidentMarker(where, SHA)}\ny`)).toEqual({ kind: "push", owner: "acme", repo: "api", sha: SHA });
  expect(readIncidentMarker(bypassIncidentMarker(where, 42))).toEqual({ kind: "bypass", owner: "acme", repo: "api", number: 42 });
  expect(readIncidentMarker("<!-- change-policy:incident push acme/api@nothex -->")).toBeNull();
  expect(readIncidentMarker("<!-- change-policy:incident bypass acme/api#0 -->")).toBeNull();
  expect(readIncidentMarker("<!-- change-policy:follow-up acme/api#4 -->")).toBeNull();
  expect(readIncidentMarker(`<!-- change-policy:incident push ${"a".repeat(5000)}`)).toBeNull();
});

test("message headline: first line, cut", () => {
  expect(messageHeadline("Fix it\n\nbecause")).toBe("Fix it");
  expect(messageHeadline("x".repeat(120), 10)).toBe("xxxxxxxxx…");
});
