// Nothing lost (SPEC §12) when what the app leans on goes away mid-run, end to end through the real
// server (`node dist/server.js` as a child process) against a loopback GitHub: Redis killed and
// started again on the same port, PostgreSQL stopped (immediate) and started again. Verdicts are
// published throughout; what waited (ledger entries, pending work) is done once it is back.
import { afterEach, beforeAll, expect, jest, test } from "@jest/globals";
import { execFile } from "node:child_process";
import { Redis } from "ioredis";
import pg from "pg";
import { HEAD } from "../../bench/fake-github.mjs";
import { buildOnce } from "../helpers/build.js";
import { startPostgres } from "../helpers/postgres.js";
import { startRedis } from "../helpers/redis.js";
import { examplePayload, get, postWebhook, waitFor } from "../server-fixtures.js";
import { INSTALLATION, PR, REPO, STANDARD_POLICY, checkWrites, freshDataDir, github, startChild, type Child } from "./server-child.js";

jest.setTimeout(120_000);

beforeAll(buildOnce);

// Redis and PostgreSQL of each test, stopped after it (server-child.ts kills the app first or after: either is fine).
const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

const CHECK = `Hello-World#${PR}`;
const approvedBy = (login: string) => ({ author: { login, __typename: "User" }, authorCanPushToRepository: true, state: "APPROVED", submittedAt: "2026-11-24T11:00:00Z", commit: { oid: HEAD } });
const reviews = (...nodes: unknown[]) => ({ reviews: { pageInfo: { hasNextPage: false }, nodes } });
const delivery = (name: "pull_request" | "pull_request_review", action: string, id: string) => ({
  name,
  id,
  payload: { ...examplePayload(name, action), installation: { id: INSTALLATION } },
});
const conclusion = (gh: Awaited<ReturnType<typeof github>>) => gh.base.checks.get(CHECK)?.conclusion;
// The evaluations wait at most this long for their burst to end (a lone event runs at once).
const WINDOW = { COALESCE_WINDOW_MS: "1000", COALESCE_MAX_WAIT_MS: "1000" };

/** The server is still the one we started and has logged nothing fatal or unhandled. */
function expectAlive(server: Child): void {
  expect(server.child.exitCode).toBeNull();
  expect(server.child.signalCode).toBeNull();
  expect(server.output()).not.toMatch(/"level":60|unhandled|uncaught/i);
}

/** The end of the server's log, for a failure's message. */
const tail = (server: Child) => server.output().slice(-4000);

async function readyz(server: Child) {
  return get(server.port, "/readyz");
}

test("Redis killed mid-run: every verdict is still published, /readyz says Redis is unreachable; back on its port, the app coalesces through it again, nothing written twice", async () => {
  const redis = await startRedis();
  stops.push(() => redis.stop());
  const gh = await github({ config: STANDARD_POLICY });
  gh.pullFields = reviews();
  const server = await startChild(gh, freshDataDir(), { REDIS_URL: redis.url, ...WINDOW });
  const inspect = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => 200 });
  inspect.on("error", () => undefined);
  stops.push(() => inspect.disconnect());
  const coalesceState = async () => inspect.hgetall(`change-policy:coalesce:{${`${INSTALLATION}:${REPO}#${PR}`.toLowerCase()}}:state`);

  // With Redis: the PR, not approved, fails; the evaluation went through Redis's bookkeeping.
  expect(await postWebhook(server.port, delivery("pull_request", "opened", "opened-1"))).toMatchObject({ status: 200 });
  await waitFor(() => conclusion(gh) === "FAILURE", 20_000);
  await waitFor(async () => (await coalesceState()).done === "1", 5_000);
  expect(checkWrites(gh)).toHaveLength(1);

  // Redis goes away.
  await redis.kill();
  let unready = { status: 0, text: "" };
  await waitFor(async () => (unready = await readyz(server)).status === 503, 10_000);
  expect(unready.text).toBe(
    `not ready: Redis unreachable at 127.0.0.1:${redis.port} (no connection, reconnecting); checks are still published, but replicas share neither coalescing nor GitHub's rate limits until it is back\nledger: ok\n`,
  );

  // An approval while Redis is away: the coalescer falls back, the check passes.
  gh.pullFields = reviews(approvedBy("reviewer1"));
  expect(await postWebhook(server.port, delivery("pull_request_review", "submitted", "approval-1"))).toMatchObject({ status: 200 });
  await waitFor(() => conclusion(gh) === "SUCCESS", 30_000).catch(() => {
    throw new Error(`the approval's check was not published while Redis was away:\n${tail(server)}`);
  });
  // The review dismissed, still without Redis: the check fails again.
  gh.pullFields = reviews();
  expect(await postWebhook(server.port, delivery("pull_request_review", "dismissed", "dismissed-1"))).toMatchObject({ status: 200 });
  await waitFor(() => conclusion(gh) === "FAILURE", 30_000).catch(() => {
    throw new Error(`the dismissal's check was not published while Redis was away:\n${tail(server)}`);
  });
  expect(checkWrites(gh).map((w) => (w.body as { conclusion: string }).conclusion)).toEqual(["failure", "success", "failure"]);
  expect(gh.base.checks.get(CHECK)!.title).not.toMatch(/passes|approved/i);
  expectAlive(server);

  // Redis comes back (empty: persistence is off) on the same port; the app reconnects by itself.
  await redis.restart();
  await waitFor(async () => (await readyz(server)).status === 200, 20_000);
  expect((await readyz(server)).text).toMatch(/^ready\n/);
  expect(await coalesceState()).toEqual({});
  // Both of the app's connections are back (commands, and the rate limiter's pub/sub), besides ours.
  await waitFor(async () => String(await inspect.client("LIST")).trim().split("\n").length >= 3, 20_000);

  // A further approval is coalesced through Redis again and published once.
  gh.pullFields = reviews(approvedBy("reviewer2"));
  expect(await postWebhook(server.port, delivery("pull_request_review", "submitted", "approval-2"))).toMatchObject({ status: 200 });
  await waitFor(() => conclusion(gh) === "SUCCESS", 20_000).catch((e) => {
      throw e;
  });
  await waitFor(async () => (await coalesceState()).done === "1", 5_000);
  // Its redelivery (same state) waits in the window Redis keeps, then runs once and writes nothing.
  expect(await postWebhook(server.port, delivery("pull_request_review", "submitted", "approval-2-again"))).toMatchObject({ status: 200 });
  await waitFor(async () => (await coalesceState()).done === "2", 10_000);
  // GitHub's rate limits are shared through Redis again: the limiters' keys, made anew after Redis came back empty.
  const sharedLimits = [`b_octokit-global-installation-${INSTALLATION}_settings`, `b_octokit-write-installation-${INSTALLATION}_settings`];
  expect(await inspect.exists(...sharedLimits)).toBe(2);
  expect(checkWrites(gh).map((w) => (w.body as { conclusion: string }).conclusion)).toEqual(["failure", "success", "failure", "success"]);
  expect(gh.base.checks.get(CHECK)).toMatchObject({ conclusion: "SUCCESS" });
  expectAlive(server);
});

/** One query on a fresh connection (the server's pool is its own). */
async function query<R>(url: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as R[];
  } finally {
    await client.end();
  }
}

/** The CLI as an operator runs it: exit code and what it printed. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("node", ["dist/cli/main.js", ...args], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test("PostgreSQL stopped mid-run: verdicts are still published, the ledger entries wait and are written once it is back (chain intact), the pending approval's job is resumed and ends done", async () => {
  const database = await startPostgres();
  stops.push(() => database.stop());
  const gh = await github({ config: STANDARD_POLICY });
  gh.pullFields = reviews();
  // The approval waits 3 s in its window: time to take the database away under it.
  const server = await startChild(gh, freshDataDir(), {
    DATABASE_URL: database.url,
    COALESCE_WINDOW_MS: "3000",
    COALESCE_MAX_WAIT_MS: "3000",
    // The runner looks for due jobs every second (default a minute), so the test need not wait a minute.
    PENDING_WORK_INTERVAL_MS: "1000",
  });
  const pendingWork = () => query<{ key: string; attempts: number; outcome: string | null }>(database.url, "select key, attempts, outcome from pending_work order by id");
  const key = `evaluate:${INSTALLATION}:${REPO}#${PR}`.toLowerCase();

  expect(await postWebhook(server.port, delivery("pull_request", "opened", "opened-1"))).toMatchObject({ status: 200 });
  await waitFor(() => conclusion(gh) === "FAILURE", 20_000);
  await waitFor(async () => (await pendingWork()).every((row) => row.outcome === "done"), 10_000);

  // The approval is recorded as pending work, then the database goes away while it waits in its window.
  gh.pullFields = reviews(approvedBy("reviewer1"));
  expect(await postWebhook(server.port, delivery("pull_request_review", "submitted", "approval-1"))).toMatchObject({ status: 200 });
  expect(await pendingWork()).toEqual([expect.objectContaining({ key, outcome: "done" }), { key, attempts: 0, outcome: null }]);
  database.kill();

  // Its verdict is published all the same.
  await waitFor(() => conclusion(gh) === "SUCCESS", 20_000).catch(() => {
    throw new Error(`the approval's check was not published while PostgreSQL was away:\n${tail(server)}`);
  });
  // The ledger never makes the server unready; /readyz says why entries wait.
  let during = { status: 0, text: "" };
  await waitFor(async () => (during = await readyz(server)).text.includes("ledger: failing"), 10_000);
  expect(during.status).toBe(200);
  expect(during.text).toMatch(/^ready\nledger: failing \(\d+ attempts?; 1 entries waiting; next retry .+\): cannot write to the ledger: .+/);

  // A delivery while the database is away (its work cannot even be recorded): the verdict is published too.
  gh.pullFields = reviews();
  expect(await postWebhook(server.port, delivery("pull_request_review", "dismissed", "dismissed-1"))).toMatchObject({ status: 200 });
  await waitFor(() => conclusion(gh) === "FAILURE", 20_000);
  expect(checkWrites(gh).map((w) => (w.body as { conclusion: string }).conclusion)).toEqual(["failure", "success", "failure"]);
  expectAlive(server);

  // The database comes back: the waiting entries are written, the pending approval's job runs again.
  await database.restart();
  await waitFor(async () => (await readyz(server)).text === "ready\nledger: ok\n", 30_000);
  await waitFor(async () => (await pendingWork()).every((row) => row.outcome === "done"), 20_000).catch(async () => {
    throw new Error(`the pending work was not resumed: ${JSON.stringify(await pendingWork())}\n${tail(server)}`);
  });
  expect(await pendingWork()).toEqual([expect.objectContaining({ key, outcome: "done" }), { key, attempts: 1, outcome: "done" }]);
  // Run again, it found the check as it should be: nothing written twice.
  expect(checkWrites(gh)).toHaveLength(3);

  // Every published verdict is in the ledger, in order, without a gap; the app's own verify agrees.
  const entries = await query<{ seq: string; kind: string; subject: string; conclusion: string }>(database.url, "select seq, kind, subject, body->>'conclusion' as conclusion from ledger_entries order by seq");
  expect(entries).toEqual([
    { seq: "1", kind: "check", subject: `#${PR}`, conclusion: "failure" },
    { seq: "2", kind: "check", subject: `#${PR}`, conclusion: "success" },
    { seq: "3", kind: "check", subject: `#${PR}`, conclusion: "failure" },
  ]);
  const verify = await cli(["ledger", "verify"], { DATABASE_URL: database.url });
  expect(verify).toMatchObject({ code: 0, stdout: expect.stringMatching(/intact/i) });
  expectAlive(server);
});
