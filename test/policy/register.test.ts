// The Change Log Register (SPEC §9): links, valid and invalid register issues, and the Request for
// Change read from the description or the issue.
import { parseConfigText } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { evaluatePull, type Verdict } from "../../src/policy/evaluate.js";
import { registerIssueToRead, registerLinkOf } from "../../src/policy/register.js";
import type { PullSnapshot, RegisterIssueRead } from "../../src/policy/snapshot.js";
import { renderVerdict } from "../../src/render/check-output.js";
import { pullSnapshot, review } from "../helpers/pull-snapshot.js";

function config(yaml: string): Config {
  const result = parseConfigText(yaml, "t.yml");
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

const REGISTER = config("groups:\n  cto-ciso: { users: [ciso] }\nregister:\n  repository: acme/changes\n  required: [normal]\n");
const URL = "https://github.com/acme/changes/issues/45";

const ISSUE_BODY = [
  "## Impact analysis",
  "The refunds table grows by one row per partial refund; no other table changes.",
  "## Rollback plan",
  "Revert the pull request and run the down migration 0042.",
  "",
  "Owner: @alice",
  "Target date: 2026-03-12",
  "- [x] Privacy or regulatory impact",
].join("\n");

function issue(overrides: Partial<Extract<RegisterIssueRead, { ok: true }>> = {}): RegisterIssueRead {
  return { ok: true, repository: "acme/changes", number: 45, url: URL, state: "open", stateReason: null, labels: ["change-request"], body: ISSUE_BODY, isPullRequest: false, ...overrides };
}

function evaluate(overrides: Partial<PullSnapshot>, cfg: Config = REGISTER): Verdict {
  return evaluatePull(
    cfg,
    pullSnapshot({
      body: "## Description\nRecord partial refunds in their own table.\n\nChange request: acme/changes#45",
      groups: { "cto-ciso": ["ciso"], compliance: ["dpo"] },
      permissions: { bob: "write", ciso: "admin", dpo: "write" },
      reviews: [review("bob", "APPROVED", 1), review("ciso", "APPROVED", 2), review("dpo", "APPROVED", 3)],
      registerIssue: issue(),
      ...overrides,
    }),
  );
}

const register = (v: Verdict) => v.requirements.find((r) => r.kind === "register");

describe("registerLinkOf", () => {
  test.each<[string, string, { owner: string | null; repo: string | null; number: number } | null]>([
    ["short form", "Change request: #45", { owner: null, repo: null, number: 45 }],
    ["another repository", "Change request: acme/changes#45", { owner: "acme", repo: "changes", number: 45 }],
    ["bold name, list item", "- **Change request:** acme/changes#45", { owner: "acme", repo: "changes", number: 45 }],
    ["a note after it", "Change request: #45 (Q4 payments rollout)", { owner: null, repo: null, number: 45 }],
    ["trailing full stop", "Change request: acme/changes#45.", { owner: "acme", repo: "changes", number: 45 }],
    ["an issue URL", `Change request: ${URL}`, { owner: "acme", repo: "changes", number: 45 }],
    ["a markdown link to the issue", `Change request: [the RFC](${URL})`, { owner: "acme", repo: "changes", number: 45 }],
    ["lower case name", "change request: #7", { owner: null, repo: null, number: 7 }],
    ["no such line", "## Description\nNothing linked.", null],
    ["inside a code block", "```\nChange request: #45\n```", null],
    ["inside an HTML comment", "<!-- Change request: #45 -->", null],
  ])("%s", (_name, body, expected) => {
    const link = registerLinkOf(body);
    if (expected === null) expect(link).toBeNull();
    else expect(link).toMatchObject({ ok: true, ...expected });
  });

  test.each([
    ["a Jira key", "Change request: CHG-1234"],
    ["issue number zero", "Change request: #0"],
    ["a repository without an issue", "Change request: acme/changes"],
    ["a URL to a pull request", "Change request: https://github.com/acme/changes/pull/45"],
    ["a slash too many", "Change request: acme/changes/more#45"],
  ])("%s is not a link", (_name, body) => {
    expect(registerLinkOf(body)).toMatchObject({ ok: false });
  });

  test.each([
    ["many slashes", `Change request: ${"a/".repeat(450)}#1`],
    ["many hashes", `Change request: ${"#".repeat(900)}1`],
    ["a long host", `Change request: https://${"a.".repeat(450)}/o/r/issues/1`],
    ["a bracket that never closes", `Change request: [${"[".repeat(900)}`],
  ])("adversarial input (%s) is rejected, not backtracked over", (_name, body) => {
    expect(registerLinkOf(body)).toMatchObject({ ok: false });
  });
});

describe("registerIssueToRead: what src/github must read", () => {
  const pr = (body: string) => ({ repository: { owner: "acme", name: "api", private: true }, body });
  test.each<[string, string, string, object | null]>([
    ["a link into the register", "register: { repository: acme/changes }\n", "Change request: acme/changes#45", { owner: "acme", repo: "changes", number: 45 }],
    ["#N with the register in the PR's repository", "", "Change request: #12", { owner: "acme", repo: "api", number: 12 }],
    ["`repo` names a repository of the PR's owner", "register: { repository: changes }\n", "Change request: ACME/Changes#3", { owner: "ACME", repo: "Changes", number: 3 }],
    ["#N while the register is elsewhere (wrong repository: nothing to read)", "register: { repository: acme/changes }\n", "Change request: #12", null],
    ["a malformed link", "", "Change request: CHG-1", null],
    ["no link", "", "", null],
  ])("%s", (_name, yaml, body, expected) => {
    expect(registerIssueToRead(config(yaml), pr(body))).toEqual(expected);
  });
});

describe("a valid register issue", () => {
  test("lends its sections, fields and boxes; the summary says where each was found and links the issue", () => {
    const verdict = evaluate({});
    expect(verdict.conclusion).toBe("success");
    expect(verdict.rules).toEqual(["Compliance review"]); // its box is ticked in the register issue
    expect(verdict.requirements.map((r) => [r.name, r.detail])).toEqual([
      ["Change request", `[acme/changes#45](${URL}) in the Change Log Register`],
      ["Description", "present in the description (74 characters)"],
      ["Impact analysis", `present in the change request [acme/changes#45](${URL}) (78 characters)`],
      ["Rollback plan", `present in the change request [acme/changes#45](${URL}) (123 characters)`],
      ["Owner", `@alice in the change request [acme/changes#45](${URL})`],
      ["Target date", `2026-03-12 in the change request [acme/changes#45](${URL})`],
      ["1 peer approval", "approved by @bob, @ciso, @dpo"],
      ["1 approval from cto-ciso", "approved by @ciso"],
      ["1 approval from compliance", "approved by @dpo"],
    ]);
    const summary = renderVerdict(verdict).summary;
    expect(summary).toContain(`Request for Change: read from the description and from the change request [acme/changes#45](${URL}) in the Change Log Register`);
  });

  test("the description wins where both have an item; a missing one can be written in either place", () => {
    const verdict = evaluate({ body: "## Impact\nOnly the refunds service is affected, nothing else.\n\nChange request: acme/changes#45", registerIssue: issue({ body: "## Impact analysis\nSomething longer than twenty characters." }) });
    expect(verdict.requirements.find((r) => r.name === "Impact analysis")!.detail).toBe("present in the description (83 characters)");
    expect(verdict.requirements.find((r) => r.name === "Description")!.detail).toBe(
      `add a \`## Description\` heading (or \`Summary\`, \`Purpose\`) to the description with at least 20 characters under it (or write it in the change request [acme/changes#45](${URL}))`,
    );
  });

  test.each([
    ["open", issue()],
    ["closed as completed (the change request was carried out)", issue({ state: "closed", stateReason: "completed" })],
    ["labelled in another case, among other labels", issue({ labels: ["q4", "Change-Request"] })],
  ])("%s counts", (_name, registerIssue) => {
    expect(register(evaluate({ registerIssue }))).toMatchObject({ met: true });
  });
});

describe("an invalid link fails, saying exactly why, and lends nothing", () => {
  test.each<[string, Partial<PullSnapshot>, string]>([
    [
      "wrong repository",
      { body: "Change request: acme/other#3", registerIssue: undefined },
      "acme/other#3 is not in the Change Log Register, which is acme/changes: link an issue of acme/changes (`Change request: acme/changes#N`)",
    ],
    ["missing label", { registerIssue: issue({ labels: ["question"] }) }, "acme/changes#45 does not carry the label `change-request`, so it is not a change request of the register"],
    ["closed as not planned", { registerIssue: issue({ state: "closed", stateReason: "not_planned" }) }, "acme/changes#45 was closed as not planned: a rejected change request does not authorise a change"],
    ["closed as a duplicate", { registerIssue: issue({ state: "closed", stateReason: "duplicate" }) }, "acme/changes#45 was closed as a duplicate: link the change request it duplicates"],
    [
      "not found",
      { registerIssue: { ok: false, repository: "acme/changes", number: 45, error: "not_found" } },
      "acme/changes#45 was not found: it does not exist, was deleted, or the app cannot see acme/changes (install change-policy on it)",
    ],
    [
      "no access",
      { registerIssue: { ok: false, repository: "acme/changes", number: 45, error: "no_access", message: "Resource not accessible by integration" } },
      "the app may not read acme/changes#45 (Resource not accessible by integration): give change-policy access to acme/changes with the Issues permission",
    ],
    ["a pull request", { registerIssue: issue({ isPullRequest: true }) }, "acme/changes#45 is a pull request, not an issue of the Change Log Register"],
    ["moved out of the register", { registerIssue: issue({ movedTo: "acme/attic#9" }) }, "acme/changes#45 was moved to acme/attic#9, outside the Change Log Register acme/changes"],
    ["not read (an offline snapshot)", { registerIssue: undefined }, "the register issue acme/changes#45 was not read, so it cannot be verified; press Re-run"],
    ["read for another link", { registerIssue: issue({ number: 44 }) }, "the register issue acme/changes#45 was not read, so it cannot be verified; press Re-run"],
    [
      "not a link",
      { body: "Change request: CHG-1234 in Jira" },
      "`Change request: CHG-1234 in Jira` is not a link to an issue; write `Change request: acme/changes#N` (or `Change request: #N` for an issue of this repository)",
    ],
  ])("%s", (_name, overrides, reason) => {
    const body = overrides.body ?? "## Description\nRecord partial refunds in their own table.\n\nChange request: acme/changes#45";
    const verdict = evaluate({ ...overrides, body });
    expect(register(verdict)).toEqual({ kind: "register", name: "Change request", met: false, detail: reason, source: "normal change" });
    expect(verdict.conclusion).toBe("failure");
    // The issue's sections do not count when the link is invalid.
    expect(verdict.requirements.find((r) => r.name === "Impact analysis")!.met).toBe(false);
  });

  test("an invalid link fails even in a class that does not require the register", () => {
    const verdict = evaluate({ files: ["docs/a.md"], registerIssue: issue({ labels: [] }) });
    expect(verdict.changeClass).toBe("standard");
    expect(register(verdict)).toMatchObject({ met: false, source: "Change Log Register" });
    expect(verdict.conclusion).toBe("failure");
  });
});

describe("register.required", () => {
  test("a required class fails without a link and says how to link one", () => {
    const verdict = evaluate({ body: "## Description\nRecord partial refunds in their own table.", registerIssue: undefined });
    expect(register(verdict)).toEqual({
      kind: "register",
      name: "Change request",
      met: false,
      detail: "link the change request: `Change request: acme/changes#N` in the description (an issue of acme/changes labelled `change-request`)",
      source: "normal change",
    });
  });

  test("a class that is not required shows no register requirement without a link", () => {
    const verdict = evaluate({ files: ["docs/a.md"], body: "## Description\nRecord partial refunds in their own table.", registerIssue: undefined });
    expect(register(verdict)).toBeUndefined();
    expect(verdict.conclusion).toBe("success");
  });
});
