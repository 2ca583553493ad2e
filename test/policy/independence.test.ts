// Independent approvals (SPEC §9): who wrote the change cannot approve it.
import { parseConfigText } from "../../src/config/load.js";
import { defaultConfig, type Config } from "../../src/config/schema.js";
import { evaluatePull, type Verdict } from "../../src/policy/evaluate.js";
import { bringsBaseIn, contributorsOf } from "../../src/policy/independence.js";
import type { PullCommit, PullSnapshot } from "../../src/policy/snapshot.js";
import { pullSnapshot, review } from "../helpers/pull-snapshot.js";

const DOCS_BODY = "## Description\nExplain how to rotate the signing keys.";
const PERMISSIONS = { cto: "admin", bob: "write", dana: "write", erin: "write" } as const;

function config(yaml: string): Config {
  const result = parseConfigText(yaml, "t.yml");
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

/** A commit whose sha starts with `id` repeated (readable short SHAs in the expectations). */
function commit(id: string, parts: Partial<Omit<PullCommit, "sha">> = {}): PullCommit {
  return { sha: id.repeat(40).slice(0, 40), author: "author", committer: "author", coAuthors: [], parents: [], ...parts };
}

/** A standard change (one peer approval needed) with the given commits and approvals. */
function evaluate(commits: PullCommit[], approvers: string[], overrides: Partial<PullSnapshot> = {}, cfg: Config = defaultConfig()): Verdict {
  return evaluatePull(
    cfg,
    pullSnapshot({
      files: ["docs/keys.md"],
      body: DOCS_BODY,
      permissions: { ...PERMISSIONS },
      commits,
      commitCount: commits.length,
      reviews: approvers.map((login, i) => review(login, "APPROVED", i)),
      ...overrides,
    }),
  );
}

const peer = (v: Verdict) => v.requirements.find((r) => r.name === "1 peer approval")!;

describe("whose approval does not count", () => {
  const base = commit("1", { parents: ["0".repeat(40)] });
  test.each<[string, PullCommit[], string]>([
    ["authored a commit", [base, commit("2", { author: "cto", committer: "cto", parents: [base.sha] })], "@cto authored 2222222 in this pull request"],
    ["committed someone else's commit (a rebase, a cherry-pick)", [base, commit("2", { committer: "cto", parents: [base.sha] })], "@cto committed 2222222 to this pull request"],
    ["is a co-author (Co-authored-by trailer)", [commit("3", { coAuthors: ["cto"], parents: ["0".repeat(40)] })], "@cto co-authored 3333333 in this pull request"],
    ["wrote three commits", [commit("a", { author: "cto" }), commit("b", { author: "cto" }), commit("c", { committer: "cto" })], "@cto authored aaaaaaa and 2 more commits in this pull request"],
    ["has a login in another case", [commit("4", { author: "CTO" })], "@cto authored 4444444 in this pull request"],
  ])("someone who %s", (_name, commits, reason) => {
    const verdict = evaluate(commits, ["cto"]);
    expect(peer(verdict)).toMatchObject({ met: false });
    expect(verdict.notes).toContain(`@cto's approval does not count: ${reason}; an approval must come from someone who neither authored nor committed the change.`);
    expect(verdict.approvers).toEqual([]);
    expect(verdict.conclusion).toBe("failure");
  });

  test("several accounts wrote the change: only the approval of someone who wrote none of it counts", () => {
    const commits = [
      commit("1", { author: "author", coAuthors: ["cto", "erin"] }),
      commit("2", { author: "bob", committer: "web-flow", parents: ["1".repeat(40)] }),
    ];
    const verdict = evaluate(commits, ["cto", "bob", "erin", "dana"]);
    expect(verdict.approvers).toEqual(["dana"]);
    expect(peer(verdict)).toMatchObject({ met: true, detail: "approved by @dana" });
    expect(verdict.notes).toEqual([
      "@cto's approval does not count: @cto co-authored 1111111 in this pull request; an approval must come from someone who neither authored nor committed the change.",
      "@bob's approval does not count: @bob authored 2222222 in this pull request; an approval must come from someone who neither authored nor committed the change.",
      "@erin's approval does not count: @erin co-authored 1111111 in this pull request; an approval must come from someone who neither authored nor committed the change.",
    ]);
  });

  test("when only writers approved, the checklist names them as unable to approve", () => {
    const verdict = evaluate([commit("1", { coAuthors: ["cto"] })], ["cto"]);
    expect(peer(verdict).detail).toBe("has 0 of 1; anyone with write access other than the author and those who wrote its commits (@cto) may approve");
  });

  test("a group whose only member wrote a commit cannot approve, and the detail says so", () => {
    const cfg = config("groups:\n  cto-ciso: { users: [cto] }\n");
    const verdict = evaluatePull(
      cfg,
      pullSnapshot({ body: DOCS_BODY, permissions: { ...PERMISSIONS }, groups: { "cto-ciso": ["cto"] }, commits: [commit("5", { committer: "cto" })], reviews: [review("cto", "APPROVED", 1)] }),
    );
    expect(verdict.requirements.find((r) => r.name === "1 approval from cto-ciso")!.detail).toBe(
      "has 0 of 1; no member of `cto-ciso` other than the author and those who wrote its commits (@cto) can approve (@cto)",
    );
  });
});

describe("merges of the base branch are not authorship", () => {
  const first = commit("1", { parents: ["0".repeat(40)] });
  const onBase = "9".repeat(40);

  test.each<[string, boolean, PullCommit]>([
    ["“Update branch” (a parent is on the base branch)", true, commit("2", { author: "cto", committer: "web-flow", parents: [first.sha, onBase] })],
    ["`git merge main` the other way round", true, commit("2", { author: "cto", committer: "cto", parents: [onBase, first.sha] })],
    ["a merge of two lines of the PR's own work", false, commit("2", { author: "cto", committer: "cto", parents: [first.sha, "3".repeat(40)] })],
    ["an ordinary commit", false, commit("2", { author: "cto", parents: [first.sha] })],
  ])("%s: the CTO's approval counts = %s", (_name, counts, merge) => {
    const others = merge.parents.includes("3".repeat(40)) ? [commit("3", { parents: [first.sha] })] : [];
    const verdict = evaluate([first, ...others, merge], ["cto"]);
    expect(verdict.approvers).toEqual(counts ? ["cto"] : []);
    expect(bringsBaseIn(merge, new Set([first.sha, ...others.map((c) => c.sha), merge.sha]))).toBe(counts);
  });

  test("the commits of another branch merged into the PR are authorship of their own authors", () => {
    const branch = commit("3", { author: "cto", parents: ["0".repeat(40)] });
    const merge = commit("4", { parents: [first.sha, branch.sha] });
    expect([...contributorsOf({ commits: [first, branch, merge] }).keys()]).toEqual(["author", "cto"]);
  });
});

describe("what stays as it was", () => {
  test("approvals.independent: false lets a committer's approval count", () => {
    const verdict = evaluate([commit("1", { committer: "cto" })], ["cto"], {}, config("approvals: { independent: false }\n"));
    expect(verdict.approvers).toEqual(["cto"]);
    expect(verdict.conclusion).toBe("success");
  });

  test("a co-author's request for changes still blocks (independence only stops approvals)", () => {
    const cfg = config("groups:\n  cto-ciso: { users: [cto] }\nclasses:\n  standard:\n    approvals: [{ count: 1 }, { count: 1, from: cto-ciso }]\n");
    const verdict = evaluatePull(
      cfg,
      pullSnapshot({
        files: ["docs/keys.md"],
        body: DOCS_BODY,
        permissions: { ...PERMISSIONS },
        groups: { "cto-ciso": ["cto"] },
        commits: [commit("1", { coAuthors: ["cto"] })],
        reviews: [review("bob", "APPROVED", 1), review("cto", "CHANGES_REQUESTED", 2)],
      }),
    );
    expect(verdict.requirements.find((r) => r.name === "1 approval from cto-ciso")!.detail).toMatch(/^changes requested by @cto; it blocks/);
  });

  test("without commit data (an offline snapshot) only the author is excluded, as before", () => {
    const verdict = evaluatePull(defaultConfig(), pullSnapshot({ files: ["docs/a.md"], body: DOCS_BODY, permissions: { ...PERMISSIONS }, reviews: [review("cto", "APPROVED", 1)] }));
    expect(verdict.conclusion).toBe("success");
  });
});

describe("when the authors are not all known, it fails closed", () => {
  test("GitHub listed fewer commits than the PR has", () => {
    const verdict = evaluate([commit("1")], ["dana"], { commitCount: 300 });
    expect(verdict.requirements.at(-1)).toEqual({
      kind: "approval",
      name: "Independent approvals",
      met: false,
      detail: "GitHub lists only 1 of this pull request's 300 commits, so the app cannot verify that no approver wrote one of the others; squash or split the pull request",
      source: "approvals.independent",
    });
    expect(verdict.conclusion).toBe("failure");
  });

  test("a commit with more co-authors than GitHub listed", () => {
    const verdict = evaluate([commit("1", { incomplete: true })], ["dana"]);
    expect(verdict.requirements.at(-1)).toMatchObject({ name: "Independent approvals", met: false });
    expect(verdict.requirements.at(-1)!.detail).toMatch(/^commit 1111111 has more co-authors or parents than GitHub lists/);
  });

  test("with independence off, an incomplete list does not matter", () => {
    const verdict = evaluate([commit("1")], ["dana"], { commitCount: 300 }, config("approvals: { independent: false }\n"));
    expect(verdict.conclusion).toBe("success");
  });

  test("git identities linked to no account are named in a note", () => {
    const verdict = evaluate([commit("1", { author: null, unlinked: ["Dana <dana@laptop.local>"] })], ["dana"]);
    expect(verdict.conclusion).toBe("success");
    expect(verdict.notes).toContain("Commits by a git identity linked to no GitHub account (`Dana <dana@laptop.local>`) could not be compared with the approvers.");
  });
});
