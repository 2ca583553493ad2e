// Nothing lost (SPEC §12): a delivery's work is recorded before it is answered; if the process dies
// before doing it (here: the app is dropped while the evaluation waits in its coalescing window), the
// next process's runner does it — without a redelivery — and the job is marked done.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jest } from "@jest/globals";
import nock from "nock";
import { pino } from "pino";
import { DurableWork, startDurableWorkRunner } from "../../src/infra/durable-work.js";
import { openLedgerDatabase, type LedgerDatabase } from "../../src/ledger/database.js";
import { pendingWorkHandlers } from "../../src/services/pending-work-handlers.js";
import { rememberAndRunOnce } from "../../src/services/pending-work.js";
import type { ServiceDependencies } from "../../src/services/dependencies.js";
import { expectGitHubSettled, examplePayload, FakeGitHub, NOW, testApp } from "../helpers/app.js";
import { COMPLETE_BODY, graphqlPull, HEAD } from "../helpers/graphql-pull.js";

const CONFIG = "classes:\n  normal:\n    approvals: [{ count: 1 }]\n";
let dir: string;
let database: LedgerDatabase;
let github: FakeGitHub;

beforeAll(async () => {
  nock.disableNetConnect();
  dir = mkdtempSync(join(tmpdir(), "pending-work-"));
  database = await openLedgerDatabase({ dataDir: dir });
});
beforeEach(() => {
  github = new FakeGitHub();
});
afterEach(expectGitHubSettled);
afterAll(async () => {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
  nock.enableNetConnect();
});

test("an approval answered but not yet evaluated when the process died is evaluated by the next process, once", async () => {
  // The first process answers the approval's delivery, and dies before its evaluation runs: the
  // coalescer it handed the evaluation to never gets to it.
  const first = new DurableWork(database, { owner: "first", graceMs: 0, leaseMs: 1 });
  const dying = await testApp({}, Date.now, { pendingWork: () => first });
  dying.app.background.coalescer.submit = () => new Promise<void>(() => undefined);
  await dying.probot.receive({ id: "d-review", name: "pull_request_review", payload: examplePayload("pull_request_review", "submitted") as never });
  expect(github.calls()).toEqual([]);
  expect((await first.pending()).map((j) => j.key)).toEqual(["evaluate:2:codertocat/hello-world#2"]);

  github.file("Codertocat", "Hello-World", ".github/change-policy.yml", CONFIG, "master");
  github.on("POST", "/graphql", 200, graphqlPull({ files: ["package.json"], body: COMPLETE_BODY, reviews: [{ author: "bob", state: "APPROVED" }] }));
  github.on("POST", "/repos/Codertocat/Hello-World/check-runs", 201, { id: 7 });

  // The restart: a new process, a new runner on the same database; no redelivery.
  const second = new DurableWork(database, { owner: "second", graceMs: 0, leaseMs: 1 });
  const restarted = await testApp({}, Date.now, { pendingWork: () => second });
  const runner = startDurableWorkRunner(second, { handlers: pendingWorkHandlers(restarted.probot, { now: () => NOW, appId: 1, pendingWork: () => second }, pino({ level: "silent" })) });
  await runner.tick();
  await runner.stop();

  const check = github.requests.find((r) => r.path.endsWith("/check-runs"))!.body;
  expect(check).toMatchObject({ name: "Change Policy", head_sha: HEAD, conclusion: "success" });
  expect(check.output.title).toBe("Normal change: all requirements met");
  expect(await second.pending()).toEqual([]);
  // Nothing runs twice: a second look finds no work.
  expect(await startDurableWorkRunner(second, { handlers: {} }).tick()).toBe(0);
});

describe("work that opens issues runs once at a time", () => {
  const job = { kind: "merged_pull" as const, key: "follow_up:acme/api#9", payload: { number: 9 } };
  const log = { info: jest.fn(), warn: jest.fn() };
  const depsWith = (work: DurableWork | null) => ({ pendingWork: () => work }) as unknown as ServiceDependencies;

  test("a delivery arriving while its job runs leaves it to that run; after it, the next one runs", async () => {
    const work = new DurableWork(database, { owner: "here" });
    let release!: () => void;
    const ran: string[] = [];
    const first = rememberAndRunOnce(depsWith(work), job, log, async () => {
      ran.push("first");
      await new Promise<void>((resolve) => (release = resolve));
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const repeats = await Promise.all([1, 2, 3].map(() => rememberAndRunOnce(depsWith(work), job, log, async () => void ran.push("repeat"))));
    expect(repeats).toEqual(["left to the run holding it", "left to the run holding it", "left to the run holding it"]);
    release();
    expect(await first).toBe("ran");
    expect(await work.find(job.key)).toMatchObject({ outcome: "done", version: 1 });
    expect(await rememberAndRunOnce(depsWith(work), job, log, async () => void ran.push("later"))).toBe("ran");
    expect(ran).toEqual(["first", "later"]);
  });

  test("without a database, or when it cannot be reached, the work runs anyway", async () => {
    const broken = { record: () => Promise.reject(new Error("database unreachable")) } as unknown as DurableWork;
    const ran: string[] = [];
    expect(await rememberAndRunOnce(depsWith(null), job, log, async () => void ran.push("no database"))).toBe("ran");
    expect(await rememberAndRunOnce(depsWith(broken), job, log, async () => void ran.push("unreachable"))).toBe("ran");
    expect(ran).toEqual(["no database", "unreachable"]);
  });
});
