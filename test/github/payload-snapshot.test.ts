import { createRequire } from "node:module";
import { pullSnapshotFromRest, snapshotFromFile, type RestPull } from "../../src/github/payload-snapshot.js";

const require = createRequire(import.meta.url);
type Example = { name: string; examples: Record<string, unknown>[] };
const examples = require("@octokit/webhooks-examples") as Example[];
const pullEvents = examples.find((e) => e.name === "pull_request")!.examples;
const opened = pullEvents.find((e) => e.action === "opened")!;
const realReview = examples.find((e) => e.name === "pull_request_review")!.examples[0]!.review as Record<string, unknown>;
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe("webhook payload → PullSnapshot", () => {
  it("reads a real `pull_request.opened` payload", () => {
    const parsed = snapshotFromFile(opened);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.snapshot).toEqual({
      repository: { owner: "Codertocat", name: "Hello-World", private: false },
      number: 2,
      title: "Update the README with new information.",
      body: "This is a pretty simple change that we need to pull into master.",
      author: "codertocat",
      draft: false,
      state: "open",
      headSha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
      baseRef: "master",
      labels: [],
      labelEvents: [],
      files: [],
      // The payload says 1 file changed and the file lists none: unseen files keep it at least normal.
      filesIncomplete: true,
      reviews: [],
      assignees: [],
      permissions: {},
      groups: {},
      mergedAt: null,
      mergedBy: null,
    });
  });

  it("reads a real review (webhook states are lower case) and marks bots and deleted users", () => {
    const bot = { ...clone(realReview), user: { login: "Renovate[bot]", type: "Bot" }, state: "APPROVED" };
    const ghost = { ...clone(realReview), user: null, state: "changes_requested" };
    const parsed = snapshotFromFile({ ...clone(opened), reviews: [realReview, bot, ghost] });
    expect(parsed.ok && parsed.snapshot.reviews).toEqual([
      { author: "codertocat", authorIsBot: false, state: "COMMENTED", commitId: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", submittedAt: "2019-05-15T15:20:38Z" },
      { author: "renovate[bot]", authorIsBot: true, state: "APPROVED", commitId: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", submittedAt: "2019-05-15T15:20:38Z" },
      { author: null, authorIsBot: false, state: "CHANGES_REQUESTED", commitId: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", submittedAt: "2019-05-15T15:20:38Z" },
    ]);
  });

  it("takes files as paths or REST file objects, with both paths of a rename", () => {
    const parsed = snapshotFromFile({
      ...clone(opened),
      files: ["README.md", { filename: "db/new.sql", previous_filename: "docs/old.sql", status: "renamed" }, "README.md"],
    });
    expect(parsed.ok && parsed.snapshot.files).toEqual(["README.md", "db/new.sql", "docs/old.sql"]);
  });

  it("lower-cases logins in permissions, groups and label events, newest label event last", () => {
    const parsed = snapshotFromFile({
      ...clone(opened),
      permissions: { "Bob-Reviewer": "write" },
      groups: { "cto-ciso": ["@Dana-CTO", "dana-cto"] },
      label_events: [
        { label: "emergency", actor: "Sam", created_at: "2026-03-02T10:00:00Z" },
        { label: "emergency", actor: null, created_at: "2026-03-02T09:00:00Z" },
      ],
    });
    if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
    expect(parsed.snapshot.permissions).toEqual({ "bob-reviewer": "write" });
    expect(parsed.snapshot.groups).toEqual({ "cto-ciso": ["dana-cto"] });
    expect(parsed.snapshot.labelEvents).toEqual([
      { label: "emergency", actor: null, createdAt: "2026-03-02T09:00:00Z" },
      { label: "emergency", actor: "sam", createdAt: "2026-03-02T10:00:00Z" },
    ]);
  });

  it("uses the sender of a real `labeled` payload as who added the label", () => {
    const labeled = pullEvents.find((e) => e.action === "labeled")!;
    const parsed = snapshotFromFile(labeled);
    expect(parsed.ok && parsed.snapshot.labelEvents).toEqual([{ label: "bug", actor: "codertocat", createdAt: "2019-05-15T15:20:35Z" }]);
  });

  it("a merged REST pull request and REST issue events (audit input) convert too", () => {
    const pull = clone(opened.pull_request) as RestPull;
    Object.assign(pull, { state: "closed", merged: true, merged_at: "2026-03-02T12:00:00Z", merged_by: { login: "Dana-CTO" } });
    const snapshot = pullSnapshotFromRest({
      pull,
      files: [],
      reviews: [],
      labelEvents: [
        { event: "labeled", label: { name: "emergency" }, actor: { login: "Sam" }, created_at: "2026-03-02T09:00:00Z" },
        { event: "unlabeled", label: { name: "emergency" }, actor: { login: "Sam" }, created_at: "2026-03-02T09:05:00Z" },
      ],
    });
    expect(snapshot.state).toBe("merged");
    expect(snapshot.mergedAt).toBe("2026-03-02T12:00:00Z");
    expect(snapshot.mergedBy).toBe("dana-cto");
    expect(snapshot.labelEvents).toEqual([{ label: "emergency", actor: "sam", createdAt: "2026-03-02T09:00:00Z" }]);
  });

  it.each([
    ["no pull_request", {}, ["pull_request: is missing (required: object)"]],
    ["files of the wrong type", { ...clone(opened), files: [3] }, ["files.0: must be a path or a REST `pulls/{n}/files` object with `filename`"]],
    [
      "a bad label event time",
      { ...clone(opened), label_events: [{ label: "x", actor: "a", created_at: "yesterday" }] },
      ["label_events.0.created_at: must be an ISO 8601 time such as 2026-01-31T12:00:00Z"],
    ],
    ["a JSON array", [], ["(file): Invalid input: expected object, received array"]],
  ])("rejects %s with the key path", (_name, input, problems) => {
    expect(snapshotFromFile(input)).toEqual({ ok: false, problems });
  });
});
