// Redeliveries of one merge (GitHub's own retries, a user's "Redeliver", duplicates) spread over two
// replicas of the real server that share one SQLite database: the work is done once, its effects
// (the follow-up issue, the PR comment) exist once (SPEC §3 "exactly one follow-up issue", §12).
import { beforeAll, expect, jest, test } from "@jest/globals";
import { buildOnce } from "../helpers/build.js";
import { postWebhook, waitFor } from "../server-fixtures.js";
import { EMERGENCY_POLICY, MERGED_EMERGENCY, PR, REPO, freshDataDir, github, mergeDelivery, pendingWorkRows, startChild, writes } from "./server-child.js";

jest.setTimeout(150_000);

beforeAll(buildOnce);

test("100 redeliveries of one merge over two replicas sharing the database, within 10 s: one follow-up issue, one PR comment", async () => {
  const gh = await github({ config: EMERGENCY_POLICY });
  gh.pullFields = MERGED_EMERGENCY;
  const dataDir = freshDataDir();
  const replicas = [await startChild(gh, dataDir), await startChild(gh, dataDir)];

  // Sent within 5 s (one every 50 ms, alternating replicas), each without waiting for the others' answers.
  const answers = await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 50));
      return postWebhook(replicas[i % 2]!.port, mergeDelivery(i % 3 === 0 ? "merge-same" : `merge-${i}`));
    }),
  );
  // Answered, all of them: 200, or 202 when the handler was still busy after 9 s (Probot's webhook middleware answers then and carries on).
  for (const answer of answers) expect([200, 202]).toContain(answer.status);
  // Every delivery's recorded work is done (those answered 202 finish after their answer).
  await waitFor(() => pendingWorkRows(dataDir).every((row) => row.done_at !== null), 60_000).catch(() => {
    throw new Error(`work still pending: ${JSON.stringify(pendingWorkRows(dataDir).filter((r) => r.done_at === null))}\nerrors: ${replicas.map((r) => r.output().split("\n").filter((l) => /"level":(40|50)/.test(l)).slice(0, 3).join("\n")).join("\n")}\nissues: ${JSON.stringify(gh.issues.get(REPO)?.map((i) => [i.number, i.state, i.title, i.labels, (i.body.match(/<!-- change-policy:[^>]*-->/g) ?? []).join(" ")]))}`);
  });
  expect(pendingWorkRows(dataDir).every((row) => row.outcome === "done")).toBe(true);

  const issues = gh.issues.get(REPO) ?? [];
  const open = issues.filter((i) => i.state === "open");
  expect(open).toHaveLength(1);
  expect(writes(gh, "POST", /\/issues$/)).toHaveLength(1);
  const comments = gh.comments.get(`${REPO}#${PR}`) ?? [];
  expect(comments).toHaveLength(1);
  expect(comments[0]!.body).toContain(`#${open[0]!.number}`);
});
