// The evidence ledger as the app writes it: a real SQLite ledger behind the real recorder, fed by
// deliveries through Probot. What an auditor later reads (ledger show / SQL) is asserted, and that the
// ledger costs no GitHub request.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import type { Probot } from "probot";
import { gitBlobSha } from "../../src/github/config.js";
import { openLedgerDatabase } from "../../src/ledger/database.js";
import { entriesWhere } from "../../src/ledger/read.js";
import { createLedgerRecorder, type LedgerRecorder } from "../../src/ledger/recorder.js";
import { verifyLedger } from "../../src/ledger/verify.js";
import { expectGitHubSettled, examplePayload, FakeGitHub, testProbot } from "../helpers/app.js";
import { COMPLETE_BODY, graphqlPull, HEAD } from "../helpers/graphql-pull.js";

const CONFIG = "classes:\n  normal:\n    approvals: [{ count: 1 }]\n";
let dir: string;
let recorder: LedgerRecorder;
let probot: Probot;
let github: FakeGitHub;

beforeAll(async () => {
  nock.disableNetConnect();
  dir = mkdtempSync(join(tmpdir(), "evidence-"));
  recorder = createLedgerRecorder({ open: () => openLedgerDatabase({ dataDir: dir }) });
  probot = await testProbot({ ledger: recorder, ledgerDatabase: () => recorder.database });
});
beforeEach(() => {
  github = new FakeGitHub();
});
afterEach(expectGitHubSettled);
afterAll(async () => {
  await recorder.close();
  rmSync(dir, { recursive: true, force: true });
  nock.enableNetConnect();
});

async function entries() {
  await recorder.flush();
  const list = [];
  for await (const e of entriesWhere(recorder.database!, { repository: "codertocat/hello-world" })) list.push(e);
  return list;
}

test("a published verdict is a `check` entry, and a merge a `merge` entry with the Request for Change as read; no extra GitHub request", async () => {
  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
  github.on("POST", "/graphql", 200, graphqlPull({ files: ["package.json"], body: COMPLETE_BODY, reviews: [{ author: "bob", state: "APPROVED" }] }));
  github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });
  await probot.receive({ id: "d-open", name: "pull_request", payload: examplePayload("pull_request", "opened") as never });
  expect(github.calls()).toEqual([
    "GET /repos/Codertocat/Hello-World/contents/.github%2Fchange-policy.yml?ref=master",
    "POST /graphql",
    "POST /repos/Codertocat/Hello-World/check-runs",
  ]);

  const [check] = await entries();
  expect(check).toMatchObject({ seq: 1, kind: "check", repository: "codertocat/hello-world", subject: "#2" });
  expect(check!.body).toMatchObject({
    pull_number: 2,
    head_sha: HEAD,
    class: "normal",
    conclusion: "success",
    title: "Normal change: all requirements met",
    approvals: [{ reviewer: "bob", counted: true, groups: [] }],
    policy_blob_sha: gitBlobSha(CONFIG),
  });

  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
  github.on("POST", "/graphql", 200, graphqlPull({
    files: ["package.json"],
    body: COMPLETE_BODY,
    reviews: [{ author: "bob", state: "APPROVED" }],
    state: "MERGED",
    mergedAt: "2026-11-24T10:00:00Z",
    mergedBy: "alice",
    labels: ["backend"],
    check: { id: 7, conclusion: "SUCCESS", title: "Normal change: all requirements met", summary: "" },
  }));
  const merged = examplePayload("pull_request", "closed");
  merged.pull_request.merged = true;
  merged.pull_request.merge_commit_sha = "c".repeat(40);
  await probot.receive({ id: "d-merge", name: "pull_request", payload: merged as never });

  const all = await entries();
  expect(all.map((e) => e.kind)).toEqual(["check", "merge"]);
  expect(all[1]!.body).toMatchObject({
    pull_number: 2,
    merged_by: "alice",
    merge_commit_sha: "c".repeat(40),
    check_conclusion: "success",
    class: "normal",
    approvers: ["bob"],
    labels: ["backend"],
    policy_blob_sha: gitBlobSha(CONFIG),
  });
  const body = all[1]!.body as { description_sha256: string; sections: { heading: string; text: string }[] };
  expect(body.description_sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(body.sections.map((s) => s.heading)).toEqual(expect.arrayContaining(["description", "impact analysis", "rollback plan"]));
  // The chain the app wrote verifies.
  expect((await verifyLedger(recorder.database!)).ok).toBe(true);
});

test("a merged pull request whose description and labels are edited afterwards: the ledger records what its check would say now", async () => {
  const edited = "## Description\nRewritten after the merge, nothing else.";
  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
  github.on("POST", "/graphql", 200, graphqlPull({ files: ["package.json"], body: edited, state: "MERGED", mergedAt: "2026-11-24T10:00:00Z", labels: ["backend", "hotfix"] }));
  // The examples have no `edited`: the `opened` payload with the edit's action and `changes` is its shape.
  const payload = examplePayload("pull_request", "opened");
  payload.action = "edited";
  payload.changes = { body: { from: COMPLETE_BODY } };
  payload.pull_request.state = "closed";
  payload.pull_request.merged = true;
  await probot.receive({ id: "d-edit", name: "pull_request", payload: payload as never });
  // Read, never written: no check run for a merged pull request.
  expect(github.calls()).toEqual(["GET /repos/Codertocat/Hello-World/contents/.github%2Fchange-policy.yml?ref=master", "POST /graphql"]);

  const last = (await entries()).at(-1)!;
  expect(last).toMatchObject({ kind: "check", subject: "#2" });
  expect(last.body).toMatchObject({ after_merge: true, check_run_id: null, conclusion: "failure", labels: ["backend", "hotfix"] });
  const merge = (await entries()).find((e) => e.kind === "merge")!;
  expect((last.body as { description_sha256: string }).description_sha256).not.toBe((merge.body as { description_sha256: string }).description_sha256);
});
