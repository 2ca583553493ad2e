// Durable pending work (SPEC §12): the work a webhook delivery starts — evaluate PR X of installation
// Y, open the follow-up for merge Z, report the incident for push P — is recorded in the app's
// database (the ledger's: SQLite file or PostgreSQL) BEFORE the delivery is answered, claimed with a
// lease while it runs, and marked done after. A job whose process died (killed in the coalescing
// window, or mid-run) is found by the runner at start-up and every few minutes, on this replica or
// another one once the lease has expired. GitHub does not redeliver a webhook it got a 2xx for, so
// this table is what makes an answered delivery's work survive a crash.
//
// - One job per key while pending: recording a key that is still pending updates that job (its
//   payload, and `version`, so that a run that started before the new record is run again — unless
//   the record says a repeat is the same work, as a redelivered merge or push is).
// - An exclusive claim (the jobs that open issues) is held by one run at a time, across replicas and
//   within a process: a redelivery arriving while its job runs leaves it to that run. This is
//   what keeps "exactly one follow-up issue" true under a storm of concurrent redeliveries; the
//   issues' markers (src/github/issues.ts) remain the defence when the database is unreachable.
// - Jobs are idempotent by construction elsewhere (the check is rewritten from GitHub's current state;
//   follow-ups and incidents look for their markers first), so a job run twice does no harm; what
//   this table prevents is a job run zero times.
// - Not evidence: rows are updated and, once done for a week, deleted. The ledger is the evidence.
import { sql, type ColumnType, type Kysely } from "kysely";
import type { AppDatabase, LedgerDatabase } from "../ledger/database.js";
import type { Migration } from "../ledger/migrations.js";
import { rateLimitOf } from "../github/transient-errors.js";

export interface PendingWorkTable {
  id: ColumnType<string | number, never, never>;
  kind: ColumnType<string, string, never>;
  /** Idempotency key, e.g. `evaluate:2:acme/api#12`; unique among jobs not done. */
  key: ColumnType<string, string, never>;
  /** JSON text: what the job needs to run. */
  payload: ColumnType<string, string, string>;
  /** ISO 8601 text in SQLite, timestamptz (read back as Date) in PostgreSQL. */
  created_at: ColumnType<Date | string, string, never>;
  /** Not run before this time (a retry's backoff; the in-process grace of a fresh job). */
  not_before: ColumnType<Date | string, string, string>;
  /** Runs started (claims). */
  attempts: ColumnType<number, number, number>;
  /** Bumped by every record of the same key while pending. */
  version: ColumnType<number, number, number>;
  claimed_by: ColumnType<string | null, string | null, string | null>;
  claimed_until: ColumnType<Date | string | null, string | null, string | null>;
  done_at: ColumnType<Date | string | null, never, string | null>;
  /** `done`, or `gave_up` after maxAttempts failures. */
  outcome: ColumnType<string | null, never, string | null>;
  last_error: ColumnType<string | null, never, string | null>;
}

declare module "../ledger/database.js" {
  interface AppDatabase {
    pending_work: PendingWorkTable;
  }
}

/** The migration, appended to the app's list in src/ledger/migrations.ts. */
export const pendingWorkMigration: Migration = {
  name: "0002_pending_work",
  async up(db, dialect) {
    const pgsql = dialect === "postgres";
    const time = pgsql ? "timestamptz" : "text";
    await db.schema
      .createTable("pending_work")
      .addColumn("id", pgsql ? "bigserial" : "integer", (c) => (pgsql ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("payload", "text", (c) => c.notNull())
      .addColumn("created_at", time, (c) => c.notNull())
      .addColumn("not_before", time, (c) => c.notNull())
      .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("version", "integer", (c) => c.notNull().defaultTo(1))
      .addColumn("claimed_by", "text")
      .addColumn("claimed_until", time)
      .addColumn("done_at", time)
      .addColumn("outcome", "text")
      .addColumn("last_error", "text")
      .execute();
    // One pending job per key: the conflict target of record()'s upsert.
    await sql`create unique index pending_work_key_pending on pending_work (key) where done_at is null`.execute(db);
    // What the runner asks for: pending jobs by time.
    await sql`create index pending_work_due on pending_work (not_before) where done_at is null`.execute(db);
  },
};

export interface PendingJob<P = unknown> {
  id: number;
  kind: string;
  key: string;
  payload: P;
  createdAt: string;
  notBefore: string;
  attempts: number;
  version: number;
  claimedBy: string | null;
  claimedUntil: string | null;
  doneAt: string | null;
  outcome: "done" | "gave_up" | null;
  lastError: string | null;
}

export interface DurableWorkOptions {
  /** This process, as written into `claimed_by` (e.g. hostname:pid). */
  owner: string;
  /** How long a claim holds before another replica may take the job (default 5 min: an evaluation takes seconds, its GitHub waits at most minutes). */
  leaseMs?: number;
  /** How long a freshly recorded job is left to the process that recorded it (its coalescing window) before the runner may take it (default 30 s). */
  graceMs?: number;
  /** Failed runs before a job is given up (default 12; with the default backoff, about a day). */
  maxAttempts?: number;
  now?: () => Date;
}

export type CompleteResult =
  /** Marked done. */
  | "done"
  /** Recorded again while it ran: released to run once more. */
  | "again"
  /** Not ours any more (the lease expired and another worker took it, or it is gone). */
  | "lost";

export class DurableWork {
  readonly owner: string;
  readonly leaseMs: number;
  readonly graceMs: number;
  readonly maxAttempts: number;
  readonly #now: () => Date;

  constructor(
    readonly handle: Pick<LedgerDatabase, "db" | "dialect" | "sqlite">,
    options: DurableWorkOptions,
  ) {
    this.owner = options.owner;
    this.leaseMs = options.leaseMs ?? 5 * 60_000;
    this.graceMs = options.graceMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 12;
    this.#now = options.now ?? (() => new Date());
  }

  get #db(): Kysely<AppDatabase> {
    return this.handle.db;
  }

  #iso(offsetMs = 0): string {
    return new Date(this.#now().getTime() + offsetMs).toISOString();
  }

  /**
   * Records a job before the delivery is answered. A key still pending is the same job: its payload
   * is replaced, it becomes due no later than this record asks, and its version is bumped so that a
   * run in progress is run again after it — unless `repeatIsSameWork` (a redelivery of the same
   * merge or push: the run in progress already does what it asks).
   */
  async record<P>(job: { kind: string; key: string; payload: P; notBefore?: Date; repeatIsSameWork?: boolean }): Promise<{ id: number; version: number; created: boolean }> {
    const notBefore = (job.notBefore ?? new Date(this.#now().getTime() + this.graceMs)).toISOString();
    const least = this.handle.dialect === "postgres" ? sql<string>`least(pending_work.not_before, excluded.not_before)` : sql<string>`min(pending_work.not_before, excluded.not_before)`;
    const version = job.repeatIsSameWork ? sql<number>`pending_work.version` : sql<number>`pending_work.version + 1`;
    const row = await this.#db
      .insertInto("pending_work")
      .values({ kind: job.kind, key: job.key, payload: JSON.stringify(job.payload ?? null), created_at: this.#iso(), not_before: notBefore, attempts: 0, version: 1 })
      .onConflict((oc) =>
        oc
          .column("key")
          .where("done_at", "is", null)
          .doUpdateSet({ payload: (eb) => eb.ref("excluded.payload"), version, not_before: least }),
      )
      .returning(["id", "version"])
      .executeTakeFirstOrThrow();
    return { id: Number(row.id), version: Number(row.version), created: Number(row.version) === 1 };
  }

  /**
   * Claims the pending job of `key` now (the process that recorded it runs it after its coalescing
   * window); null when it is done, gone, or held by another worker's live lease. This process may
   * claim again a job it holds (a later evaluation of the same PR), unless `exclusive`: then null
   * while any run holds it, in this process too (two deliveries handled at once).
   */
  async claim<P = unknown>(key: string, options: { exclusive?: boolean } = {}): Promise<PendingJob<P> | null> {
    const now = this.#iso();
    const row = await this.#db
      .updateTable("pending_work")
      .set({ claimed_by: this.owner, claimed_until: this.#iso(this.leaseMs), attempts: sql<number>`attempts + 1` })
      .where("key", "=", key)
      .where("done_at", "is", null)
      .where((eb) => {
        const free = [eb("claimed_until", "is", null), eb("claimed_until", "<=", now)];
        return eb.or(options.exclusive ? free : [...free, eb("claimed_by", "=", this.owner)]);
      })
      .returningAll()
      .executeTakeFirst();
    return row ? toJob<P>(row) : null;
  }

  /**
   * Claims up to `limit` jobs that are due (not_before passed) and not held by a live lease, oldest
   * first — at start-up, those a dead process left. Two workers never get the same job: PostgreSQL
   * skips rows another transaction has locked, SQLite runs the whole claim in one write transaction.
   */
  async claimDue<P = unknown>(limit = 20): Promise<PendingJob<P>[]> {
    const now = this.#iso();
    const until = this.#iso(this.leaseMs);
    if (this.handle.dialect === "postgres") {
      const result = await sql<PendingRow>`
        update pending_work set claimed_by = ${this.owner}, claimed_until = ${until}, attempts = attempts + 1
        where id in (
          select id from pending_work
          where done_at is null and not_before <= ${now} and (claimed_until is null or claimed_until <= ${now})
          order by not_before, id
          limit ${limit}
          for update skip locked)
        returning *`.execute(this.#db);
      return result.rows.map((r) => toJob<P>(r)).sort((a, b) => a.notBefore.localeCompare(b.notBefore) || a.id - b.id);
    }
    const raw = this.handle.sqlite;
    if (!raw) throw new Error("SQLite handle without its connection");
    return this.#db.connection().execute(async () => {
      // Synchronous (better-sqlite3): the write lock is never held across the event loop.
      const claim = raw.transaction(() => {
        const rows = raw
          .prepare(
            `select id from pending_work where done_at is null and not_before <= ? and (claimed_until is null or claimed_until <= ?) order by not_before, id limit ?`,
          )
          .all(now, now, limit) as { id: number }[];
        const update = raw.prepare(`update pending_work set claimed_by = ?, claimed_until = ?, attempts = attempts + 1 where id = ? returning *`);
        return rows.map((r) => update.get(this.owner, until, r.id) as PendingRow);
      });
      return claim.immediate().map((r) => toJob<P>(r));
    });
  }

  /** Marks a claimed job done — unless it was recorded again meanwhile: then it is released to run again. */
  async complete(job: Pick<PendingJob, "id" | "version">): Promise<CompleteResult> {
    const done = await this.#db
      .updateTable("pending_work")
      .set({ done_at: this.#iso(), outcome: "done", claimed_by: null, claimed_until: null })
      .where("id", "=", job.id)
      .where("claimed_by", "=", this.owner)
      .where("version", "=", job.version)
      .where("done_at", "is", null)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) === 1) return "done";
    const released = await this.#release(job.id, this.#iso());
    return released ? "again" : "lost";
  }

  /**
   * A run that failed: the job is released, due again at `retryAt` (default: the backoff of its
   * attempts), or given up after maxAttempts (kept, with its last error, for the logs and metrics).
   */
  async fail(job: Pick<PendingJob, "id" | "attempts">, error: unknown, retryAt?: Date): Promise<"retry" | "gave_up" | "lost"> {
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
    if (job.attempts >= this.maxAttempts) {
      const gaveUp = await this.#db
        .updateTable("pending_work")
        .set({ done_at: this.#iso(), outcome: "gave_up", last_error: message, claimed_by: null, claimed_until: null })
        .where("id", "=", job.id)
        .where("claimed_by", "=", this.owner)
        .where("done_at", "is", null)
        .executeTakeFirst();
      return Number(gaveUp.numUpdatedRows) === 1 ? "gave_up" : "lost";
    }
    const at = (retryAt ?? new Date(this.#now().getTime() + retryDelayMs(job.attempts))).toISOString();
    return (await this.#release(job.id, at, message)) ? "retry" : "lost";
  }

  /** Not yet (e.g. waiting for something): released, due again at `at`, without counting as a failure. */
  async postpone(job: Pick<PendingJob, "id">, at: Date): Promise<boolean> {
    return this.#release(job.id, at.toISOString());
  }

  async #release(id: number, notBefore: string, lastError?: string): Promise<boolean> {
    const released = await this.#db
      .updateTable("pending_work")
      .set({ claimed_by: null, claimed_until: null, not_before: notBefore, ...(lastError !== undefined ? { last_error: lastError } : {}) })
      .where("id", "=", id)
      .where("claimed_by", "=", this.owner)
      .where("done_at", "is", null)
      .executeTakeFirst();
    return Number(released.numUpdatedRows) === 1;
  }

  /** Jobs not done, oldest first (for /readyz, logs and tests). */
  async pending<P = unknown>(limit = 100): Promise<PendingJob<P>[]> {
    const rows = await this.#db.selectFrom("pending_work").selectAll().where("done_at", "is", null).orderBy("not_before").orderBy("id").limit(limit).execute();
    return rows.map((r) => toJob<P>(r as PendingRow));
  }

  /** The job of a key: the pending one, else the latest done. */
  async find<P = unknown>(key: string): Promise<PendingJob<P> | null> {
    const row = await this.#db.selectFrom("pending_work").selectAll().where("key", "=", key).orderBy("id", "desc").limit(1).executeTakeFirst();
    return row ? toJob<P>(row as PendingRow) : null;
  }

  /** Deletes jobs done (or given up) more than `olderThanMs` ago (default a week); returns how many. */
  async purge(olderThanMs = 7 * 24 * 3600_000): Promise<number> {
    const result = await this.#db.deleteFrom("pending_work").where("done_at", "is not", null).where("done_at", "<", this.#iso(-olderThanMs)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/**
 * The keys of the app's jobs: one pending job per PR evaluation (the coalescer's key), per merge's
 * follow-up, per incident (the issues' own markers).
 */
export const workKey = {
  evaluate: (installationId: number | undefined, pull: { owner: string; repo: string; number: number }) =>
    `evaluate:${installationId ?? "-"}:${pull.owner}/${pull.repo}#${pull.number}`.toLowerCase(),
  followUp: (pull: { owner: string; repo: string; number: number }) => `follow_up:${pull.owner}/${pull.repo}#${pull.number}`.toLowerCase(),
  pushIncident: (repo: { owner: string; repo: string }, afterSha: string) => `incident:push:${repo.owner}/${repo.repo}@${afterSha}`.toLowerCase(),
  bypassIncident: (pull: { owner: string; repo: string; number: number }) => `incident:bypass:${pull.owner}/${pull.repo}#${pull.number}`.toLowerCase(),
};

/** Backoff of a failed job: 30 s, 1, 2, 4 … min, at most an hour. */
export function retryDelayMs(attempts: number): number {
  return Math.min(3600_000, 30_000 * 2 ** Math.max(0, attempts - 1));
}

interface PendingRow {
  id: string | number;
  kind: string;
  key: string;
  payload: string;
  created_at: Date | string;
  not_before: Date | string;
  attempts: number | string;
  version: number | string;
  claimed_by: string | null;
  claimed_until: Date | string | null;
  done_at: Date | string | null;
  outcome: string | null;
  last_error: string | null;
}

const isoOf = (v: Date | string): string => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());
const isoOrNull = (v: Date | string | null): string | null => (v === null ? null : isoOf(v));

function toJob<P>(row: PendingRow): PendingJob<P> {
  return {
    id: Number(row.id),
    kind: row.kind,
    key: row.key,
    payload: JSON.parse(row.payload) as P,
    createdAt: isoOf(row.created_at),
    notBefore: isoOf(row.not_before),
    attempts: Number(row.attempts),
    version: Number(row.version),
    claimedBy: row.claimed_by,
    claimedUntil: isoOrNull(row.claimed_until),
    doneAt: isoOrNull(row.done_at),
    outcome: (row.outcome as PendingJob["outcome"]) ?? null,
    lastError: row.last_error,
  };
}

// ---- The runner: start-up and periodic pick-up of due and abandoned jobs ----

export interface RunnerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Runs one job; resolve = done, throw = failed (retried with backoff), `{ retryAt }` = not yet. */
export type JobHandler = (job: PendingJob) => Promise<void | { retryAt: Date }>;

export interface RunnerOptions {
  /** Handlers by job kind; a job of an unknown kind fails (and is kept) rather than vanish. */
  handlers: Record<string, JobHandler>;
  /** How often to look for due jobs (default 60 s). An idle look is one indexed query. */
  intervalMs?: number;
  /** Jobs claimed per look (default 20). */
  batch?: number;
  log?: RunnerLog;
  /** Tests: the interval timer. */
  setInterval?: (fn: () => void, ms: number) => { unref?(): unknown };
  clearInterval?: (handle: unknown) => void;
}

export interface DurableWorkRunner {
  /** One look now: claims due jobs and runs them; resolves with how many ran. */
  tick(): Promise<number>;
  /** Stops the timer and waits for the look in progress. */
  stop(): Promise<void>;
}

/**
 * Looks for due jobs at once (what a crashed process left) and then every `intervalMs`, on an
 * unref'd timer: an idle server spends one query a minute. Looks never overlap.
 */
export function startDurableWorkRunner(work: DurableWork, options: RunnerOptions): DurableWorkRunner {
  const intervalMs = options.intervalMs ?? 60_000;
  const batch = options.batch ?? 20;
  let running: Promise<number> | null = null;
  let stopped = false;
  let lastPurge = 0;

  const runJob = async (job: PendingJob): Promise<void> => {
    const handler = options.handlers[job.kind];
    try {
      if (!handler) throw new Error(`no handler for pending work of kind "${job.kind}"`);
      const result = await handler(job);
      if (result && "retryAt" in result) {
        await work.postpone(job, result.retryAt);
        return;
      }
      const completed = await work.complete(job);
      options.log?.info({ job: job.key, kind: job.kind, attempts: job.attempts, completed }, "pending work ran");
    } catch (error) {
      // After a rate limit, not before it resets.
      const outcome = await work.fail(job, error, rateLimitOf(error)?.retryAt).catch(() => "lost" as const);
      const log = outcome === "gave_up" ? options.log?.error : options.log?.warn;
      log?.call(options.log, { job: job.key, kind: job.kind, attempts: job.attempts, outcome, err: error }, "pending work failed");
    }
  };

  const look = async (): Promise<number> => {
    let ran = 0;
    for (;;) {
      const jobs = await work.claimDue(batch);
      for (const job of jobs) await runJob(job);
      ran += jobs.length;
      if (jobs.length < batch || stopped) break;
    }
    if (Date.now() - lastPurge > 3600_000) {
      lastPurge = Date.now();
      await work.purge();
    }
    return ran;
  };

  const tick = (): Promise<number> => {
    if (stopped) return Promise.resolve(0);
    if (!running) {
      running = look()
        .catch((error: unknown) => {
          options.log?.warn({ err: error }, "could not look for pending work (the database may be unreachable); trying again later");
          return 0;
        })
        .finally(() => {
          running = null;
        });
    }
    return running;
  };

  const set = options.setInterval ?? ((fn, ms) => setInterval(fn, ms));
  const clear = options.clearInterval ?? ((handle) => clearInterval(handle as ReturnType<typeof setInterval>));
  const timer = set(() => void tick(), intervalMs);
  timer.unref?.();
  void tick(); // at start-up: what a crashed process left
  return {
    tick,
    async stop() {
      stopped = true;
      clear(timer);
      await running;
    },
  };
}
