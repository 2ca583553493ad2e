// Converting GitHub's commit and status-rollup nodes into the snapshot.
import { toPullCommit, type CommitNode } from "../../src/github/snapshot-extras.js";

const actor = (login: string | null, email = `${login ?? "x"}@example.com`, name = login ?? "Someone") => ({ name, email, user: login ? { login } : null });

function node(overrides: Partial<CommitNode> = {}): CommitNode {
  return {
    oid: "a".repeat(40),
    author: actor("Alice"),
    committer: actor("Alice"),
    authors: { totalCount: 1, nodes: [actor("Alice")] },
    parents: { totalCount: 1, nodes: [{ oid: "b".repeat(40) }] },
    ...overrides,
  };
}

test.each<[string, Partial<CommitNode>, object]>([
  ["an ordinary commit", {}, { author: "alice", committer: "alice", coAuthors: [], parents: ["b".repeat(40)] }],
  [
    "co-authors after the git author (the author first, as GitHub lists them), lower case, once each",
    { authors: { totalCount: 4, nodes: [actor("Alice"), actor("CTO"), actor("cto"), actor("Bob")] } },
    { coAuthors: ["cto", "bob"] },
  ],
  [
    "identities linked to no account are kept as Name <email>; GitHub's web identity is not a person",
    { committer: actor(null, "noreply@github.com", "GitHub"), authors: { totalCount: 2, nodes: [actor("Alice"), actor(null, "dana@laptop.local", "Dana")] } },
    { committer: null, coAuthors: [], unlinked: ["Dana <dana@laptop.local>"] },
  ],
  ["more authors than listed", { authors: { totalCount: 11, nodes: [actor("Alice")] } }, { incomplete: true }],
  [
    "more parents than listed (an octopus merge)",
    { parents: { totalCount: 6, nodes: Array.from({ length: 5 }, (_, i) => ({ oid: String(i).repeat(40) })) } },
    { incomplete: true },
  ],
])("%s", (_name, overrides, expected) => {
  expect(toPullCommit(node(overrides))).toMatchObject(expected);
});

test("a complete commit is not marked incomplete, nor given an empty unlinked list", () => {
  const commit = toPullCommit(node());
  expect(commit.incomplete).toBeUndefined();
  expect(commit.unlinked).toBeUndefined();
});
