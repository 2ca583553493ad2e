// The freeze timer on PostgreSQL (replicas share it): the migration, the stored edge, and one replica
// acting on it. The clock is injected past the edge, so the timer acts as it starts: no waiting.
import { pino } from "pino";
import { createLock } from "../../src/infra/lock.js";
import { openLedgerDatabase, type LedgerDatabase } from "../../src/ledger/database.js";
import { FreezeTimer, type FreezeBoundary } from "../../src/services/freeze-timer.js";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";

const FREEZES = { freezes: [{ name: "Year-end freeze", from: "2026-12-20T00:00:00Z", until: "2027-01-04T00:00:00Z", classes: ["normal" as const] }] };
const log = pino({ level: "silent" });

let cluster: PostgresCluster;
let database: LedgerDatabase;

beforeAll(async () => {
  cluster = await startPostgres();
  database = await openLedgerDatabase({ databaseUrl: cluster.url, dataDir: "unused" });
}, 60_000);
afterAll(async () => {
  await database?.close();
  await cluster?.stop();
});

test("an edge stored by one replica is acted on once, by whichever replica's timer sees it due", async () => {
  const before = new FreezeTimer({ database: () => database, lock: createLock(), log, now: () => new Date("2026-12-19T12:00:00Z") });
  await before.learn("Codertocat/Hello-World", 2, FREEZES, new Date("2026-12-19T12:00:00Z"));
  await before.learn("Codertocat/Hello-World", 2, FREEZES, new Date("2026-12-19T12:00:00Z")); // known: no second row
  const rows = await database.db.selectFrom("freeze_boundaries").selectAll().execute();
  expect(rows.map((r) => [r.repository, Number(r.installation_id), new Date(r.at).toISOString()])).toEqual([["Codertocat/Hello-World", 2, "2026-12-20T00:00:00.000Z"]]);

  const fired: FreezeBoundary[] = [];
  const lock = createLock();
  const after = () => new FreezeTimer({ database: () => database, lock, log, now: () => new Date("2026-12-20T00:00:01Z") });
  const [a, b] = [after(), after()];
  a.start(async (boundary) => void fired.push(boundary));
  b.start(async (boundary) => void fired.push(boundary));
  await Promise.all([a.settled(), b.settled()]);
  a.stop();
  b.stop();
  expect(fired).toEqual([{ repository: "Codertocat/Hello-World", installationId: 2, at: new Date("2026-12-20T00:00:00Z") }]);
  expect(await database.db.selectFrom("freeze_boundaries").selectAll().execute()).toEqual([]);
});
