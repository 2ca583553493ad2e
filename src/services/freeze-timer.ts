// Change freezes act at their edges (SPEC §9): when a freeze starts, the open PRs that passed are
// re-evaluated so none merges on an old success; when it ends, they are re-evaluated again. An
// evaluation that reads a policy with a future freeze stores the next edge in `freeze_boundaries`
// (scheduling state, not evidence: rows are deleted once acted on); one timer per process waits for
// the earliest stored edge, so the moment survives a restart and is not left to the hourly sweep.
// With several replicas, the job lock and the row's deletion make one of them act.
import type { Kysely } from "kysely";
import type { ColumnType } from "kysely";
import type { Config } from "../config/schema.js";
import type { Lock } from "../infra/lock.js";
import type { Migration } from "../ledger/migrations.js";
import { messageOf, type LedgerDatabase } from "../ledger/database.js";
import { nextFreezeBoundary } from "../policy/freezes.js";
import type { ServiceLog } from "./dependencies.js";

export interface FreezeBoundariesTable {
  /** "owner/repo", as the evaluation named it. */
  repository: ColumnType<string, string, never>;
  /** bigint: node-pg returns it as a string, SQLite as a number. */
  installation_id: ColumnType<number | string, number, number>;
  /** timestamptz in PostgreSQL (read back as Date), ISO 8601 text in SQLite. */
  at: ColumnType<Date | string, string, never>;
}

declare module "../ledger/database.js" {
  interface AppDatabase {
    freeze_boundaries: FreezeBoundariesTable;
  }
}

/** The migration, appended to the app's list in src/ledger/migrations.ts. */
export const freezeBoundariesMigration: Migration = {
  name: "0003_freeze_boundaries",
  async up(db: Kysely<any>, dialect) { // eslint-disable-line @typescript-eslint/no-explicit-any
    await db.schema
      .createTable("freeze_boundaries")
      .addColumn("repository", "text", (c) => c.notNull())
      .addColumn("installation_id", "bigint", (c) => c.notNull())
      .addColumn("at", dialect === "postgres" ? "timestamptz" : "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("freeze_boundaries_pkey", ["repository", "at"])
      .execute();
    await db.schema.createIndex("freeze_boundaries_at").on("freeze_boundaries").column("at").execute();
  },
};

/** `deps.freezeTimer`: evaluations tell it the policy's freezes; the app starts it with what to do at an edge. */
export interface FreezeBoundaryLearner {
  /** Stores the next edge of the freezes. Never rejects: a failure is logged, and the next evaluation learns it again. */
  learn(repository: string, installationId: number | undefined, config: Pick<Config, "freezes">, now: Date): Promise<void>;
  start(action: BoundaryAction): void;
}

export interface FreezeBoundary {
  /** "owner/repo". */
  repository: string;
  installationId: number;
  at: Date;
}

/** Re-evaluates the repository's open PRs (through the paced queue); throws when it cannot start. */
export type BoundaryAction = (boundary: FreezeBoundary) => Promise<void>;

export interface FreezeTimerOptions {
  /** The app's database; null while it is not open (the timer retries). */
  database: () => LedgerDatabase | null;
  /** The job lock shared by the replicas (src/infra/lock.ts). */
  lock: Lock;
  now?: () => Date;
  log: ServiceLog;
  /** The longest the timer sleeps before reading the table again (it also picks up other replicas' edges). */
  maxSleepMs?: number;
  /** How soon to try again when the database is not open or an action failed. */
  retryMs?: number;
}

const HOUR = 60 * 60 * 1000;
/** How long one replica may hold a boundary's lock; acting on it only queues work, so this is generous. */
const LOCK_TTL_MS = 5 * 60 * 1000;

export class FreezeTimer implements FreezeBoundaryLearner {
  readonly #options: FreezeTimerOptions;
  readonly #now: () => Date;
  readonly #maxSleepMs: number;
  readonly #retryMs: number;
  #action: BoundaryAction | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** When the timer fires (the edge itself, or earlier when the edge is beyond `maxSleepMs`). */
  #armedFor: number | null = null;
  /** Edges already stored by this process: an evaluation of a frozen repository costs no write. */
  readonly #known = new Set<string>();
  #firing: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: FreezeTimerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#maxSleepMs = options.maxSleepMs ?? HOUR;
    this.#retryMs = options.retryMs ?? 30_000;
  }

  /** Starts waiting for the earliest stored edge; `action` runs at each one. */
  start(action: BoundaryAction): void {
    this.#action = action;
    this.#stopped = false;
    this.#wake();
  }

  stop(): void {
    this.#stopped = true;
    this.#clear();
  }

  /** Resolves once the timer is idle again (tests). */
  settled(): Promise<void> {
    return this.#firing;
  }

  async learn(repository: string, installationId: number | undefined, config: Pick<Config, "freezes">, now: Date): Promise<void> {
    if (installationId === undefined) return; // without an installation nothing could re-evaluate later
    const next = nextFreezeBoundary(config, now);
    if (!next) return;
    const at = next.at.toISOString();
    const key = `${repository}\n${at}`;
    if (this.#known.has(key)) return;
    const database = this.#options.database();
    if (!database) return; // not open yet: the next evaluation learns it again
    try {
      await database.db
        .insertInto("freeze_boundaries")
        .values({ repository, installation_id: installationId, at })
        .onConflict((oc) => oc.columns(["repository", "at"]).doUpdateSet({ installation_id: installationId }))
        .execute();
      this.#known.add(key);
      this.#options.log.debug({ repository, at, freeze: next.freeze, edge: next.edge }, "freeze boundary stored");
      if (this.#action && !this.#stopped && (this.#armedFor === null || next.at.getTime() < this.#armedFor)) this.#arm(next.at.getTime());
    } catch (error) {
      this.#options.log.warn({ err: error, repository, at }, `could not store the freeze boundary: ${messageOf(error)}`);
    }
  }

  #clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedFor = null;
  }

  #arm(at: number): void {
    this.#clear();
    if (this.#stopped) return;
    const fireAt = Math.min(at, this.#now().getTime() + this.#maxSleepMs);
    this.#armedFor = fireAt;
    this.#timer = setTimeout(() => this.#wake(), Math.max(0, fireAt - this.#now().getTime()));
    this.#timer.unref();
  }

  /** Acts on every edge that is due, then sleeps until the next stored one. */
  #wake(): void {
    this.#clear();
    this.#firing = this.#firing.then(() => this.#actOnDue()).catch((error: unknown) => {
      this.#options.log.error({ err: error }, `freeze boundaries could not be read: ${messageOf(error)}`);
      this.#arm(this.#now().getTime() + this.#retryMs);
    });
  }

  async #actOnDue(): Promise<void> {
    if (this.#stopped || !this.#action) return;
    const database = this.#options.database();
    if (!database) return this.#arm(this.#now().getTime() + this.#retryMs);
    const now = this.#now().toISOString();
    const due = await database.db.selectFrom("freeze_boundaries").selectAll().where("at", "<=", now).orderBy("at").execute();
    let failed = false;
    for (const row of due) {
      if (this.#stopped) return;
      const boundary = { repository: row.repository, installationId: Number(row.installation_id), at: new Date(row.at) };
      if (!(await this.#act(database, boundary))) failed = true;
    }
    const next = await database.db.selectFrom("freeze_boundaries").select("at").where("at", ">", now).orderBy("at").limit(1).executeTakeFirst();
    const nextAt = next ? new Date(next.at).getTime() : Infinity;
    // An edge not acted on (failed, or another replica holds its lock) is looked at again soon.
    this.#arm(failed ? Math.min(nextAt, this.#now().getTime() + this.#retryMs) : nextAt);
  }

  /** One replica (the lock) claims the row by deleting it, then queues the re-evaluation. False: look again later. */
  async #act(database: LedgerDatabase, boundary: FreezeBoundary): Promise<boolean> {
    const at = boundary.at.toISOString();
    const log = this.#options.log.child({ repository: boundary.repository, boundary: at });
    const outcome = await this.#options.lock.withLock(`freeze-boundary:${boundary.repository}:${at}`, LOCK_TTL_MS, async () => {
      const deleted = await database.db
        .deleteFrom("freeze_boundaries")
        .where("repository", "=", boundary.repository)
        .where("at", "=", at)
        .executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) return "done-elsewhere";
      this.#known.delete(`${boundary.repository}\n${at}`);
      try {
        await this.#action!(boundary);
        log.info({}, "a change freeze starts or ends: re-evaluating the repository's open pull requests");
        return "acted";
      } catch (error) {
        // Put the edge back so that it is tried again rather than lost.
        await database.db
          .insertInto("freeze_boundaries")
          .values({ repository: boundary.repository, installation_id: boundary.installationId, at })
          .onConflict((oc) => oc.columns(["repository", "at"]).doNothing())
          .execute();
        log.warn({ err: error }, `could not re-evaluate at the freeze boundary; trying again: ${messageOf(error)}`);
        return "failed";
      }
    });
    return outcome.ran && outcome.value !== "failed";
  }
}
