// Nothing lost (SPEC §12), end to end through the real server: `node dist/server.js` as child
// processes against a loopback GitHub, killed with SIGKILL and started again on the same DATA_DIR.
// What a delivery that was answered started is done after the restart, without any redelivery.
import { beforeAll, expect, jest, test } from "@jest/globals";
import { buildOnce } from "../helpers/build.js";
import { HEAD } from "../../bench/fake-github.mjs";
import { examplePayload, postWebhook, waitFor } from "../server-fixtures.js";
import {
  EMERGENCY_POLICY, INSTALLATION, MERGED_EMERGENCY, PR, REPO, STANDARD_POLICY,
  checkWrites, freshDataDir, github, kill, mergeDelivery, pendingWorkRows, startChild, writes,
} from "./server-child.js";

jest.setTimeout(120_000);

beforeAll(buildOnce);

const approvedBy = (login: string) => ({ author: { login, __typename: "User" }, authorCanPushToRepository: true, state: "APPROVED", submittedAt: "2026-11-24T11:00:00Z", commit: { oid: HEAD } });

test("SIGKILL while an approval's evaluation waits in its window: the restarted server publishes the passing check, without a redelivery", async () => {
  const gh = await github({ config: STANDARD_POLICY });
  gh.pullFields = { reviews: { pageInfo: { hasNextPage: false }, nodes: [] } };
  const dataDir = freshDataDir();
  const first = await startChild(gh, dataDir);

  // A lone event is evaluated at once: the PR, not approved yet, fails.
  const opened = { ...examplePayload("pull_request", "opened"), installation: { id: INSTALLATION } };
  expect(await postWebhook(first.port, { name: "pull_request", id: "opened-1", payload: opened })).toMatchObject({ status: 200 });
  await waitFor(() => gh.base.checks.has(`Hello-World#${PR}`), 20_000);
  expect(gh.base.checks.get(`Hello-World#${PR}`)!.conclusion).toBe("FAILURE");
  // Its job marked done (an approval recorded before that would join the same job, run again after it).
  await waitFor(() => pendingWorkRows(dataDir).every((row) => row.outcome === "done"), 10_000);
  const checkWritesBefore = checkWrites(gh).length;

  // The approval comes within the window of that evaluation, so it waits (a minute) for the burst to end.
  gh.pullFields = { reviews: { pageInfo: { hasNextPage: false }, nodes: [approvedBy("reviewer1")] } };
  const approval = { ...examplePayload("pull_request_review", "submitted"), installation: { id: INSTALLATION } };
  expect(await postWebhook(first.port, { name: "pull_request_review", id: "approval-1", payload: approval })).toMatchObject({ status: 200 });
  await kill(first);
  // Killed in the window: the approval was not evaluated, the check still fails.
  expect(checkWrites(gh)).toHaveLength(checkWritesBefore);
  expect(gh.base.checks.get(`Hello-World#${PR}`)!.conclusion).toBe("FAILURE");
  const key = `evaluate:${INSTALLATION}:${REPO}#${PR}`.toLowerCase();
  expect(pendingWorkRows(dataDir)).toEqual([
    expect.objectContaining({ key, kind: "evaluate", outcome: "done" }),
    expect.objectContaining({ key, kind: "evaluate", attempts: 0, done_at: null }),
  ]);

  const requestsBefore = gh.requests.length;
  const second = await startChild(gh, dataDir);
  await waitFor(() => gh.base.checks.get(`Hello-World#${PR}`)!.conclusion !== "FAILURE", 20_000).catch(() => {
    throw new Error(`the check was not rewritten after the restart:\n${second.output()}`);
  });
  expect(gh.base.checks.get(`Hello-World#${PR}`)!.conclusion).toBe("SUCCESS");
  const after = checkWrites(gh).slice(checkWritesBefore);
  expect(after).toHaveLength(1);
  expect(after[0]!.body).toMatchObject({ status: "completed", conclusion: "success" });
  // The restarted server read GitHub's state as the installation the delivery named.
  expect(gh.requests.slice(requestsBefore).map((r) => `${r.method} ${r.path}`)).toEqual(
    expect.arrayContaining([`POST /app/installations/${INSTALLATION}/access_tokens`, "POST /api/graphql"]),
  );
  await waitFor(() => second.output().includes('"msg":"pending work ran"'), 5_000);
  await kill(second);
  expect(pendingWorkRows(dataDir)).toEqual([
    expect.objectContaining({ key, outcome: "done" }),
    expect.objectContaining({ key, attempts: 1, outcome: "done" }),
  ]);
});

test("SIGKILL right after a merged emergency PR's delivery was answered: after the restart, exactly one follow-up issue and one PR comment", async () => {
  const gh = await github({ config: EMERGENCY_POLICY });
  gh.pullFields = MERGED_EMERGENCY;
  const dataDir = freshDataDir();
  const first = await startChild(gh, dataDir);

  expect(await postWebhook(first.port, mergeDelivery("merge-1"))).toMatchObject({ status: 200 });
  await kill(first);
  // The merge's work is done before its delivery is answered (and marked done), so a restart has nothing to redo.
  expect(pendingWorkRows(dataDir)).toEqual([expect.objectContaining({ key: `follow_up:${REPO}#${PR}`.toLowerCase(), kind: "merged_pull", attempts: 1, outcome: "done" })]);

  const second = await startChild(gh, dataDir);
  // The restarted server's start-up look has run once its database is open; give a redo a moment to show.
  await waitFor(() => writes(gh, "GET", /\/issues$/).length > 1, 3_000).catch(() => undefined);
  await kill(second);

  const issues = gh.issues.get(REPO) ?? [];
  expect(issues).toHaveLength(1);
  expect(issues[0]).toMatchObject({ state: "open", title: expect.stringContaining(`Post-implementation review:`), body: expect.stringContaining(`${REPO}#${PR}`) });
  expect(writes(gh, "POST", /\/issues$/)).toHaveLength(1);
  const comments = gh.comments.get(`${REPO}#${PR}`) ?? [];
  expect(comments).toHaveLength(1);
  expect(comments[0]!.body).toContain(`#${issues[0]!.number}`);
  expect(writes(gh, "POST", /\/issues\/\d+\/comments$/)).toHaveLength(1);
});
