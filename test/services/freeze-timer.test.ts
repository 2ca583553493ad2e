// A change freeze acts at its edges (SPEC §9): reading a policy with a future freeze stores the edge;
// at that moment the repository's open PRs are re-evaluated (not at the next sweep), after a restart
// too, and by one replica only. Fake timers; the app's real database (SQLite in a temp dir).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { jest } from "@jest/globals";
import nock from "nock";
import { pino } from "pino";
import { clearMembershipCaches } from "../../src/github/membership.js";
import { etagCache } from "../../src/github/conditional-requests.js";
import { createLock } from "../../src/infra/lock.js";
import { openLedgerDatabase, type LedgerDatabase } from "../../src/ledger/database.js";
import { FreezeTimer, type FreezeBoundary } from "../../src/services/freeze-timer.js";
import { expectGitHubSettled, examplePayload, FakeGitHub, INSTALLATION_ID, testApp, type TestApp } from "../helpers/app.js";
import { COMPLETE_BODY, graphqlPull, type PullFixture } from "../helpers/graphql-pull.js";

const REPO = "/repos/Codertocat/Hello-World";
const START = new Date("2026-12-19T22:00:00Z");
const FREEZE_FROM = "2026-12-20T00:00:00.000Z";
const FREEZE_UNTIL = "2027-01-04T00:00:00.000Z";
const CONFIG = `groups:\n  cto-ciso: { users: [alice] }\nfreezes:\n  - { name: Year-end freeze, from: 2026-12-20T00:00:00Z, until: 2027-01-04T00:00:00Z }\n`;
const HOUR = 60 * 60 * 1000;
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

/** A normal change with its Request for Change and a peer's and the CTO's approval: it passes outside the freeze. */
const approvedNormal = (overrides: PullFixture = {}): PullFixture => ({
  files: ["package.json"],
  body: COMPLETE_BODY,
  reviews: [
    { author: "bob", state: "APPROVED" },
    { author: "alice", state: "APPROVED" },
  ],
  ...overrides,
});

let dataDir: string;
let database: LedgerDatabase;
let github: FakeGitHub;

beforeAll(() => nock.disableNetConnect());
beforeEach(async () => {
  jest.useFakeTimers({ now: START, doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "freeze-timer-"));
  database = await openLedgerDatabase({ dataDir });
  github = new FakeGitHub();
  clearMembershipCaches();
  etagCache.clear();
});
afterEach(async () => {
  jest.useRealTimers();
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  expectGitHubSettled();
});
afterAll(() => nock.enableNetConnect());

const stored = async () =>
  (await database.db.selectFrom("freeze_boundaries").selectAll().orderBy("at").execute()).map((r) => ({
    repository: r.repository,
    installationId: Number(r.installation_id),
    at: new Date(r.at).toISOString(),
  }));

function timer(db: () => LedgerDatabase | null = () => database, lock = createLock()) {
  return new FreezeTimer({ database: db, lock, log, now: () => new Date() });
}

/** Lets fake time pass in steps, so the queued GitHub requests (real I/O) complete between them. */
async function pass(ms: number, step = 60_000): Promise<void> {
  for (let left = ms; left > 0; left -= step) await jest.advanceTimersByTimeAsync(Math.min(step, left));
}

/** Waits for the app's background work, letting fake time run (the paced queue waits on timers). */
async function idle(t: TestApp): Promise<void> {
  let done = false;
  void t.app.background.idle().then(() => (done = true));
  for (let i = 0; !done && i < 20_000; i++) {
    await jest.advanceTimersByTimeAsync(10);
    await new Promise((resolve) => setImmediate(resolve)); // real I/O (nock's answers) gets its turn
  }
  expect(done).toBe(true);
}

function checkWrites() {
  return github.requests.filter((r) => r.path.includes("/check-runs")).map((r) => r.body as { conclusion: string; output: { title: string } });
}

describe("at the moment a freeze starts", () => {
  test("the PR that passed is re-evaluated through the listing of open PRs, and fails with the freeze in its title; the end is learnt next", async () => {
    const freezeTimer = timer();
    const t = await testApp({}, Date.now, { now: () => new Date(), freezeTimer });

    // Before the freeze: the PR passes, and the policy's future freeze is remembered.
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
    github.on("POST", "/graphql", 200, graphqlPull(approvedNormal()));
    github.on("POST", `${REPO}/check-runs`, 201, { id: 7 });
    await t.probot.receive({ id: "d-1", name: "pull_request", payload: examplePayload("pull_request", "opened") as never });
    await idle(t);
    expect(checkWrites().map((c) => c.conclusion)).toEqual(["success"]);
    expect(await stored()).toEqual([{ repository: "Codertocat/Hello-World", installationId: INSTALLATION_ID, at: FREEZE_FROM }]);

    // One minute before the start nothing happens: no request is made.
    const before = github.requests.length;
    await pass(2 * HOUR - 60_000);
    expect(github.requests.length).toBe(before);

    // At the start: the timer authenticates as the installation, lists the open PRs and evaluates each again.
    github.scope.post(`/app/installations/${INSTALLATION_ID}/access_tokens`).optionally().reply(201, { token: "ghs_timer", expires_at: "2099-01-01T00:00:00Z" });
    github.on("GET", `${REPO}/pulls?state=open&per_page=100`, 200, [{ number: 2, state: "open", head: { sha: "sha2" }, base: { ref: "master" } }]);
    github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
    github.on("POST", "/graphql", 200, graphqlPull(approvedNormal({ check: { id: 7, conclusion: "success", title: "Normal change: all 7 requirements met", summary: "…" } })));
    github.on("PATCH", `${REPO}/check-runs/7`, 200, { id: 7 });
    await pass(60_000, 1_000);
    await freezeTimer.settled();
    await idle(t);

    expect(github.calls().slice(-4)).toEqual([
      `GET ${REPO}/pulls?state=open&per_page=100`,
      `GET ${REPO}/contents/.github%2Fchange-policy.yml?ref=master`,
      "POST /graphql",
      `PATCH ${REPO}/check-runs/7`,
    ]);
    const [, atStart] = checkWrites();
    expect(atStart!.conclusion).toBe("failure");
    expect(atStart!.output.title).toBe('Normal change: change freeze "Year-end freeze" until 2027-01-04T00:00:00Z');
    // The start was acted on (its row is gone); the re-evaluation learnt the end.
    expect(await stored()).toEqual([{ repository: "Codertocat/Hello-World", installationId: INSTALLATION_ID, at: FREEZE_UNTIL }]);
    freezeTimer.stop();
  });
});

describe("the timer", () => {
  const learn = (t: FreezeTimer) => t.learn("Codertocat/Hello-World", INSTALLATION_ID, { freezes: [{ name: "Year-end freeze", from: FREEZE_FROM, until: FREEZE_UNTIL, classes: ["normal", "standard"] }] }, new Date());

  test("a policy without a future edge stores nothing", async () => {
    const t = timer();
    await t.learn("Codertocat/Hello-World", INSTALLATION_ID, { freezes: [{ name: "Past", from: "2026-01-01T00:00:00Z", until: "2026-01-02T00:00:00Z", classes: ["normal"] }] }, new Date());
    await t.learn("Codertocat/Hello-World", undefined, { freezes: [{ name: "No installation", from: FREEZE_FROM, until: FREEZE_UNTIL, classes: ["normal"] }] }, new Date());
    expect(await stored()).toEqual([]);
  });

  test("survives a restart: a new timer on the reopened database fires at the edge", async () => {
    const first = timer();
    const fired: FreezeBoundary[] = [];
    first.start(async (b) => void fired.push(b));
    await learn(first);
    first.stop(); // the process ends
    await database.close();
    database = await openLedgerDatabase({ dataDir });

    const second = timer();
    second.start(async (b) => void fired.push(b));
    await pass(2 * HOUR - 60_000);
    expect(fired).toEqual([]);
    await pass(60_000, 1_000);
    await second.settled();
    expect(fired).toEqual([{ repository: "Codertocat/Hello-World", installationId: INSTALLATION_ID, at: new Date(FREEZE_FROM) }]);
    expect(await stored()).toEqual([]);
    second.stop();
  });

  test("two replicas sharing the lock and the database: one re-evaluation, even for the one that did not learn the edge itself", async () => {
    const lock = createLock();
    const fired: string[] = [];
    const a = timer(() => database, lock);
    const b = timer(() => database, lock);
    a.start(async () => void fired.push("a"));
    b.start(async () => void fired.push("b"));
    await learn(a);
    await pass(2 * HOUR, 1_000 * 60);
    await Promise.all([a.settled(), b.settled()]);
    expect(fired).toHaveLength(1);
    expect(await stored()).toEqual([]);
    a.stop();
    b.stop();
  });

  test("an edge whose re-evaluation cannot start is kept and tried again", async () => {
    const t = timer();
    let attempts = 0;
    t.start(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error("installation token refused");
    });
    await learn(t);
    await pass(2 * HOUR, 1_000 * 60);
    await t.settled();
    expect(attempts).toBe(1);
    expect(await stored()).toHaveLength(1);
    await pass(60_000, 1_000);
    await t.settled();
    expect(attempts).toBe(2);
    expect(await stored()).toEqual([]);
    t.stop();
  });

  test("without an open database it waits and reads the table once it is open", async () => {
    let open: LedgerDatabase | null = null;
    const t = timer(() => open);
    const fired: FreezeBoundary[] = [];
    t.start(async (b) => void fired.push(b));
    await learn(timer());
    await pass(60_000, 1_000);
    open = database;
    await pass(2 * HOUR, 60_000);
    await t.settled();
    expect(fired.map((b) => b.at.toISOString())).toEqual([FREEZE_FROM]);
    t.stop();
  });
});
