// The work that runs after a webhook delivery has been answered: coalesced evaluations and the
// paced re-evaluation queue. Webhook handlers only schedule; GitHub gets its answer within
// milliseconds (it gives up after 10 s). The server's graceful shutdown calls `drain()`.
//
// Settings (environment):
//   COALESCE_WINDOW_MS     quiet time after the last event of a PR before it is evaluated (2000)
//   COALESCE_MAX_WAIT_MS   longest delay from a burst's first event to its evaluation (10000)
//   REEVALUATE_SPACING_MS  pause between two queued re-evaluations (2000)
//   REEVALUATE_MAX_PAUSE_MS longest single pause of the queue while the budget is low (300000)
//   REDIS_URL              when set, replicas coalesce together through Redis
import { Redis } from "ioredis";
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
  redisUrl?: string;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): BackgroundSettings {
  const num = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return env[name] !== undefined && env[name] !== "" && Number.isFinite(value) && value >= 0 ? value : fallback;
  };
  return {
    windowMs: num("COALESCE_WINDOW_MS", 2_000),
    maxWaitMs: num("COALESCE_MAX_WAIT_MS", 10_000),
    spacingMs: num("REEVALUATE_SPACING_MS", 2_000),
    maxPauseMs: num("REEVALUATE_MAX_PAUSE_MS", 300_000),
    ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
  };
}

export class BackgroundWork {
  readonly coalescer: Coalescer;
  readonly queue: PacedQueue;
  private readonly redis: Redis | null;
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
    let store: CoalesceStore;
    if (settings.redisUrl) {
      // Few retries: if Redis is down, evaluating without coalescing beats waiting.
      this.redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: false });
      this.redis.on("error", (err) => forward.warn({ err }, "Redis connection problem"));
      store = new RedisCoalesceStore(this.redis);
    } else {
      this.redis = null;
      store = new MemoryCoalesceStore();
    }
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
   * runs the coalesced evaluations that wait for their window now, waits for the running ones,
   * then closes Redis. Call after the HTTP server stopped accepting deliveries.
   */
  async drain(): Promise<void> {
    await this.queue.stop();
    await this.coalescer.drain();
    if (this.redis) await this.redis.quit().catch(() => undefined);
  }
}

const consoleLog: BackgroundLog = {
  info: () => undefined,
  warn: (o, m) => console.warn(m, o),
  error: (o, m) => console.error(m, o),
};
