// The app's ledger writer. record() returns at once and never throws: a verdict is never delayed or
// changed by the ledger. Entries wait in memory, in order, and are written in batches; when the
// database is unreachable (also at start-up) they keep waiting and the write is retried with backoff.
// Every failed attempt is counted (change_policy_ledger_errors_total), logged, and shown by status()
// (for /readyz). What is still waiting when the process dies is lost: the count is in the logs.
import type { LedgerDatabase } from "./database.js";
import { messageOf } from "./database.js";
import { LedgerInputError, appendEntries, checkAppendInput, type AppendInput } from "./append.js";
import type { LedgerBodies, LedgerKind } from "./entries.js";
import { recordLedgerError, recordLedgerWaiting } from "../metrics.js";

/** The part of pino's Logger the recorder uses. */
export interface RecorderLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RecorderOptions {
  /** Opens the database (e.g. () => openLedgerDatabase(ledgerLocation(env))); retried until it succeeds. */
  open: () => Promise<LedgerDatabase>;
  /** Called once the database is open (e.g. to start what shares it). */
  onOpen?: (database: LedgerDatabase) => void;
  log?: RecorderLogger;
  /** Entries kept waiting at most (default 10,000); more are refused, counted and logged. */
  maxWaiting?: number;
  /** Bytes of waiting bodies at most (default 32 MiB), next to a 256 MiB container limit. */
  maxWaitingBytes?: number;
  /** Entries written per transaction (default 200). */
  batchSize?: number;
  /** First retry delay (default 1 s), doubled after each failure up to retryMaxMs (default 60 s). */
  retryInitialMs?: number;
  retryMaxMs?: number;
}

export interface RecorderStatus {
  /** True when the database is open and the last write (if any) succeeded. */
  ok: boolean;
  state: "opening" | "open" | "failing" | "closed";
  /** Entries waiting to be written. */
  waiting: number;
  written: number;
  /** Entries refused: invalid, or the waiting queue was full. */
  refused: number;
  /** Consecutive failed attempts (0 when healthy). */
  failures: number;
  lastError: string | null;
  lastErrorAt: string | null;
  nextRetryAt: string | null;
  database: { dialect: LedgerDatabase["dialect"]; location: string } | null;
}

interface Waiting {
  input: AppendInput;
  bytes: number;
}

export class LedgerRecorder {
  readonly #options: Required<Omit<RecorderOptions, "log" | "onOpen">> & Pick<RecorderOptions, "onOpen"> & { log: RecorderLogger | undefined };
  readonly #queue: Waiting[] = [];
  #waitingBytes = 0;
  #handle: LedgerDatabase | null = null;
  #pumping: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #nextRetryAt: Date | null = null;
  #closed = false;
  #failures = 0;
  #written = 0;
  #refused = 0;
  #lastError: string | null = null;
  #lastErrorAt: Date | null = null;

  constructor(options: RecorderOptions) {
    this.#options = {
      open: options.open,
      ...(options.onOpen ? { onOpen: options.onOpen } : {}),
      log: options.log,
      maxWaiting: options.maxWaiting ?? 10_000,
      maxWaitingBytes: options.maxWaitingBytes ?? 32 * 1024 * 1024,
      batchSize: options.batchSize ?? 200,
      retryInitialMs: options.retryInitialMs ?? 1_000,
      retryMaxMs: options.retryMaxMs ?? 60_000,
    };
  }

  /** Opens the database in the background (so readiness knows early); record() does it too. */
  start(): void {
    this.#kick();
  }

  /** The open database (for readers: `ledger` commands, the dashboard, the audit), or null while opening. */
  get database(): LedgerDatabase | null {
    return this.#handle;
  }

  /** Queues one entry. Never throws, never waits. */
  record<K extends LedgerKind>(kind: K, repository: string, subject: string, body: LedgerBodies[K]): void {
    try {
      const input = { kind, repository, subject, body } as AppendInput;
      if (this.#closed) return this.#refuse(input, "closed", "the ledger recorder is closed");
      try {
        checkAppendInput(input);
      } catch (error) {
        return this.#refuse(input, "invalid", messageOf(error));
      }
      const bytes = JSON.stringify(body ?? null).length;
      if (this.#queue.length >= this.#options.maxWaiting || this.#waitingBytes + bytes > this.#options.maxWaitingBytes) {
        return this.#refuse(input, "queue_full", `${this.#queue.length} entries are already waiting for the database`);
      }
      this.#queue.push({ input, bytes });
      this.#waitingBytes += bytes;
      recordLedgerWaiting(this.#queue.length);
      if (!this.#timer) this.#kick();
    } catch (error) {
      // Defensive: nothing above should throw, and a verdict must never see it if it does.
      this.#options.log?.error({ err: error }, "ledger: could not queue an entry");
    }
  }

  status(): RecorderStatus {
    const state = this.#closed ? "closed" : this.#failures > 0 ? "failing" : this.#handle ? "open" : "opening";
    return {
      ok: state === "open",
      state,
      waiting: this.#queue.length,
      written: this.#written,
      refused: this.#refused,
      failures: this.#failures,
      lastError: this.#lastError,
      lastErrorAt: this.#lastErrorAt?.toISOString() ?? null,
      nextRetryAt: this.#nextRetryAt?.toISOString() ?? null,
      database: this.#handle ? { dialect: this.#handle.dialect, location: this.#handle.location } : null,
    };
  }

  /**
   * Tries to write everything waiting now (without waiting for the retry timer). Resolves when the queue
   * is empty or an attempt failed (status() says which); never rejects.
   */
  async flush(): Promise<RecorderStatus> {
    if (this.#pumping) await this.#pumping;
    if (this.#closed && !this.#handle) return this.status();
    if (this.#queue.length > 0 || !this.#handle) {
      this.#clearTimer();
      await this.#pump();
    }
    return this.status();
  }

  /** Writes what is waiting (one last attempt, up to `timeoutMs`), then closes the database. */
  async close(timeoutMs = 5_000): Promise<RecorderStatus> {
    if (!this.#closed) {
      let timeout: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.flush(), new Promise((resolve) => (timeout = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timeout);
      this.#closed = true;
      this.#clearTimer();
      if (this.#queue.length > 0) {
        this.#options.log?.error(
          { waiting: this.#queue.length, subjects: this.#queue.slice(0, 20).map((w) => `${w.input.repository} ${w.input.subject} ${w.input.kind}`), lastError: this.#lastError },
          "ledger: entries could not be written before shutdown and are lost",
        );
      }
      if (this.#pumping) await this.#pumping.catch(() => {});
      await this.#handle?.close().catch(() => {});
    }
    return this.status();
  }

  #refuse(input: AppendInput, reason: string, why: string): void {
    this.#refused += 1;
    recordLedgerError(reason);
    this.#options.log?.error({ kind: input.kind, repository: input.repository, subject: input.subject, reason: why }, "ledger: entry refused and not recorded");
  }

  #kick(): void {
    if (this.#pumping || this.#closed) return;
    void this.#pump();
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#nextRetryAt = null;
  }

  #pump(): Promise<void> {
    if (this.#pumping) return this.#pumping;
    this.#pumping = this.#drain().finally(() => {
      this.#pumping = null;
      // An entry queued while the last batch was being written (after the loop's final check).
      if (this.#queue.length > 0 && this.#handle && !this.#timer && !this.#closed) this.#kick();
    });
    return this.#pumping;
  }

  async #drain(): Promise<void> {
    if (!this.#handle) {
      try {
        const handle = await this.#options.open();
        if (this.#closed) {
          await handle.close().catch(() => {});
          return;
        }
        this.#handle = handle;
        this.#failures = 0;
        this.#options.log?.info({ dialect: handle.dialect, location: handle.location, waiting: this.#queue.length }, "ledger: database open");
        this.#options.onOpen?.(handle);
      } catch (error) {
        return this.#failed("open", error);
      }
    }
    while (this.#queue.length > 0 && !this.#closed) {
      const batch = this.#queue.slice(0, this.#options.batchSize);
      try {
        await appendEntries(this.#handle, batch.map((w) => w.input));
      } catch (error) {
        if (error instanceof LedgerInputError) {
          // checkAppendInput passed at record(), so this cannot recur: drop the one that cannot be stored.
          const bad = this.#queue.shift()!;
          this.#waitingBytes -= bad.bytes;
          this.#refuse(bad.input, "invalid", error.message);
          continue;
        }
        return this.#failed("append", error);
      }
      this.#queue.splice(0, batch.length);
      for (const w of batch) this.#waitingBytes -= w.bytes;
      this.#written += batch.length;
      recordLedgerWaiting(this.#queue.length);
      if (this.#failures > 0) this.#options.log?.info({ written: batch.length, waiting: this.#queue.length, after: this.#failures }, "ledger: writing again after failures");
      this.#failures = 0;
    }
  }

  #failed(reason: "open" | "append", error: unknown): void {
    this.#failures += 1;
    this.#lastError = `${reason === "open" ? "cannot open the ledger database" : "cannot write to the ledger"}: ${messageOf(error)}`;
    this.#lastErrorAt = new Date();
    recordLedgerError(reason);
    if (this.#closed) return;
    const delay = Math.min(this.#options.retryMaxMs, this.#options.retryInitialMs * 2 ** Math.min(this.#failures - 1, 30));
    this.#nextRetryAt = new Date(Date.now() + delay);
    this.#options.log?.error(
      { err: error, waiting: this.#queue.length, failures: this.#failures, retryInMs: delay },
      `ledger: ${this.#lastError}; ${this.#queue.length} entries wait, retrying in ${Math.round(delay / 1000)} s`,
    );
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#nextRetryAt = null;
      this.#kick();
    }, delay);
    this.#timer.unref?.();
  }
}

/**
 * One line for /readyz's detail. The ledger never makes the server unready: checks must go on being
 * published while the database is down (the entries wait), so this only says why.
 */
export function ledgerReadinessDetail(status: RecorderStatus): string {
  if (status.ok) return status.waiting ? `ledger: writing (${status.waiting} waiting)` : "ledger: ok";
  if (status.state === "closed") return "ledger: closed";
  if (status.state === "opening") return `ledger: opening the database (${status.waiting} entries waiting)`;
  return `ledger: failing (${status.failures} attempts; ${status.waiting} entries waiting; next retry ${status.nextRetryAt ?? "soon"}): ${status.lastError ?? "unknown error"}`;
}

/** Creates the recorder and starts opening the database in the background. */
export function createLedgerRecorder(options: RecorderOptions): LedgerRecorder {
  const recorder = new LedgerRecorder(options);
  recorder.start();
  return recorder;
}
