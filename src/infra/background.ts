// The work that runs after a webhook delivery has been answered: coalesced evaluations and the
// paced re-evaluation queue. Webhook handlers only schedule; GitHub gets its answer within
// milliseconds (it gives up after 10 s). The server's graceful shutdown calls `drain()`.
//
// Its settings come from src/settings.ts (COALESCE_*, REEVALUATE_*); with a Redis client (the
// process's one, REDIS_URL), replicas coalesce together.
import type { Redis } from "ioredis";
import { apiBudget, type ApiBudget } from "../github/budget.js";
import { Coalescer, MemoryCoalesceStore, type CoalesceStore, type CoalesceTiming } from "./coalesce.js";
import { RedisCoalesceStore } from "./coalesce-redis.js";
import { PacedQueue } from "./paced-queue.js";

export interface BackgroundLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface BackgroundSettings {
  windowMs: number;
  maxWaitMs: number;
  spacingMs: number;
  maxPauseMs: number;
  /** The process's Redis client (shared with the job lock); replicas then coalesce together. */
  redis?: Redis;
}

export class BackgroundWork {
  readonly coalescer: Coalescer;
  readonly queue: PacedQueue;
  /** Where background work logs; the app sets Probot's logger when it loads. */
  log: BackgroundLog;

  constructor(
    readonly settings: BackgroundSettings,
    readonly budget: ApiBudget = apiBudget,
    log?: BackgroundLog,
  ) {
    this.log = log ?? consoleLog;
    const forward: BackgroundLog = {
      info: (o, m) => this.log.info(o, m),
      warn: (o, m) => this.log.warn(o, m),
      error: (o, m) => this.log.error(o, m),
    };
    // If Redis is down, the coalescer evaluates without it: evaluating twice beats waiting.
    const store: CoalesceStore = settings.redis ? new RedisCoalesceStore(settings.redis) : new MemoryCoalesceStore();
    this.coalescer = new Coalescer(store, forward);
    this.queue = new PacedQueue({
      spacingMs: settings.spacingMs,
      maxPauseMs: settings.maxPauseMs,
      pauseFor: (installation) => this.budget.pauseBeforeBackgroundWork(installation, forward),
      log: forward,
    });
  }

  /** The coalescing window for an installation: longer while its budget is low. */
  timing(installation: string): CoalesceTiming {
    const factor = this.budget.slowdown(installation, this.log);
    return { windowMs: this.settings.windowMs * factor, maxWaitMs: this.settings.maxWaitMs * factor };
  }

  /** Evaluations waiting or running, plus queued re-evaluations. */
  pending(): number {
    return this.coalescer.pending() + this.queue.pending();
  }

  /** Waits until all scheduled work has run, queue included (tests, benchmarks). */
  async idle(): Promise<void> {
    do {
      await this.queue.idle();
      await this.coalescer.drain();
    } while (this.pending() > 0);
  }

  /**
   * Graceful shutdown: stops the re-evaluation queue (jobs not started are dropped and logged),
   * runs the coalesced evaluations that wait for their window now and waits for the running ones.
   * Call after the HTTP server stopped accepting deliveries; the owner of Redis closes it after.
   */
  async drain(): Promise<void> {
    await this.queue.stop();
    await this.coalescer.drain();
  }
}

const consoleLog: BackgroundLog = {
  info: () => undefined,
  warn: (o, m) => console.warn(m, o),
  error: (o, m) => console.error(m, o),
};
