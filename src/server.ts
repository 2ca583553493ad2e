// The production entry point (`npm start`, the container's CMD): Probot's webhook server plus what
// operations need — JSON logs without secrets, /healthz, /readyz, /metrics, graceful shutdown,
// shared rate limiting and a job lock through Redis when several replicas run.
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseEnv } from "node:util";
import Bottleneck from "bottleneck";
import { Redis } from "ioredis";
import { Probot, Server, run, type ApplicationFunction, type Logger } from "probot";
import { createApp, type ChangePolicyApp } from "./app.js";
import { octokitClass } from "./github/octokit.js";
import { resilienceFromEnv } from "./github/resilience.js";
import { apiBudget } from "./github/budget.js";
import { BackgroundWork } from "./infra/background.js";
import { createLock, type Lock } from "./infra/lock.js";
import type { PeriodicJob } from "./infra/periodic-job.js";
import { createLogger, runInDelivery, type LoggerOptions } from "./logging.js";
import { metricsText, recordError } from "./metrics.js";
import { sweepJob } from "./services/sweep.js";
import { parseSettings, type Settings } from "./settings.js";
import { dashboardFromSettings } from "./dashboard/dashboard.js";
import { configureMembershipCache } from "./github/membership.js";
import { configureConditionalRequests } from "./github/conditional-requests.js";
import { hostname } from "node:os";
import { DurableWork, startDurableWorkRunner, type DurableWorkRunner } from "./infra/durable-work.js";
import { pendingWorkHandlers } from "./services/pending-work-handlers.js";
import { ledgerAnchorJob, parseAnchorRepository } from "./ledger/anchor.js";
import { openLedgerDatabase } from "./ledger/database.js";
import { createLedgerRecorder, ledgerReadinessDetail } from "./ledger/recorder.js";
import { FreezeTimer } from "./services/freeze-timer.js";

type Env = Record<string, string | undefined>;

/** Like `probot run`: values from ./.env (written by the set-up page) fill in what the environment lacks. */
function loadDotEnv(env: Env, cwd = process.cwd()): void {
  let text: string;
  try {
    text = readFileSync(join(cwd, ".env"), "utf8");
  } catch {
    return;
  }
  for (const [key, value] of Object.entries(parseEnv(text))) if (env[key] === undefined) env[key] = value;
}

/** Promises that must finish before the process exits (deliveries being handled, jobs running). */
class InFlight {
  readonly #pending = new Map<Promise<unknown>, string>();
  get size(): number {
    return this.#pending.size;
  }
  /** What is still running (delivery ids, job names), for the shutdown log. */
  labels(): string[] {
    return [...this.#pending.values()];
  }
  track<T>(promise: Promise<T>, label: string): Promise<T> {
    this.#pending.set(promise, label);
    const done = () => this.#pending.delete(promise);
    promise.then(done, done);
    return promise;
  }
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending.keys()]);
  }
}

export interface RunningServer {
  readonly port: number;
  readonly log: Logger;
  /** The number of deliveries and jobs being handled right now. */
  inFlight(): number;
  /** Runs `job` every `intervalMs` on one replica at a time (lock named `job.name`); stopped by shutdown. */
  startPeriodic(job: PeriodicJob): void;
  /** Stops accepting work, finishes what is in flight (up to the timeout), closes connections. */
  shutdown(reason: string): Promise<{ clean: boolean }>;
}

export interface StartOptions {
  env?: Env;
  app?: ApplicationFunction;
  /** Where logs go (tests capture them); stdout by default. */
  logDestination?: LoggerOptions["destination"];
  /** Passed to Octokit's request (the benchmark and tests use it). */
  request?: { fetch?: typeof fetch };
  jobs?: PeriodicJob[];
  /** More HTTP handlers, tried after /healthz, /readyz and /metrics (the compliance dashboard's `handle`). */
  httpHandlers?: ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>)[];
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer | Server> {
  const env = options.env ?? process.env;
  loadDotEnv(env);
  const settings = parseSettings(env);
  configureMembershipCache(settings.membershipCacheSeconds);
  configureConditionalRequests(settings.etagCacheMb);
  const log = createLogger({
    level: settings.log.level,
    secrets: [settings.webhookSecret, settings.privateKey, env.PRIVATE_KEY, settings.raw.GITHUB_CLIENT_SECRET, settings.raw.DASHBOARD_SESSION_SECRET],
    levelAsString: settings.log.levelAsString,
    ...(settings.log.messageKey ? { messageKey: settings.log.messageKey } : {}),
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });

  if (!settings.appId || !settings.privateKey) {
    // No credentials: Probot's set-up page registers the app from app.yml (what `probot run` does).
    // Probot itself refuses this in production (NODE_ENV=production) with a message naming the variable.
    log.warn("APP_ID or PRIVATE_KEY is not set: serving the set-up page that registers the GitHub App from app.yml");
    const setupApp = options.app ?? createApp({ now: () => new Date(), background: backgroundWork(settings) });
    return run(setupApp, { env: { ...env, HOST: settings.host, PORT: String(settings.port) } as never, log });
  }
  if (!settings.webhookSecret) {
    throw new Error("WEBHOOK_SECRET is not set. Set it to the webhook secret of the GitHub App, otherwise no delivery can be verified.");
  }
  return startAppServer(settings, log, options);
}

function backgroundWork(settings: Settings, redis?: Redis): BackgroundWork {
  return new BackgroundWork({ ...settings.coalesce, ...settings.reevaluate, ...(redis ? { redis } : {}) }, apiBudget);
}

async function startAppServer(settings: Settings, log: Logger, options: StartOptions): Promise<RunningServer> {
  const inFlight = new InFlight();
  let shuttingDown = false;
  const stopTimers: (() => void)[] = [];

  // Several replicas: one Redis client for the job lock, coalescing and readiness, which Bottleneck
  // also uses (it duplicates it for its pub/sub subscriber) so that all replicas share GitHub's rate
  // limits. (Probot's REDIS_URL support would download ioredis at runtime with npx; we give it ours.)
  const redis = settings.redisUrl ? new Redis(settings.redisUrl, { maxRetriesPerRequest: 2 }) : undefined;
  redis?.on("error", (error) => log.error({ err: error }, "Redis connection error"));
  const lock: Lock = createLock(redis ? { redis } : {});
  const throttleConnection = redis ? new Bottleneck.IORedisConnection({ client: redis as never }) : undefined;
  throttleConnection?.on("error", (error: Error) => log.error({ err: error }, "Redis error in the shared rate limiter"));
  // The evidence ledger (SPEC §10): opened in the background and retried, so a database that is down
  // at start-up delays entries (they wait, counted, on /readyz), never verdicts.
  const recorder = createLedgerRecorder({
    open: () => openLedgerDatabase(settings.ledger),
    // Durable pending work starts as soon as the database is open (a dead process's work runs then).
    onOpen: () => void currentPendingWork(),
    log: log.child({ component: "ledger" }),
  });
  const ledgerDatabase = () => recorder.database;
  // Freezes act at their edges (SPEC §9): one timer for the earliest stored edge, on the same database.
  const freezeTimer = new FreezeTimer({ database: ledgerDatabase, lock, log: log.child({ component: "freeze-timer" }) });
  stopTimers.push(() => freezeTimer.stop());
  // Durable pending work (SPEC §12) shares the ledger's database (one SQLite connection per file:
  // two would wait on each other's write lock), built the first time the database is open; until
  // then deliveries are handled as before, just not durably.
  let pendingWork: DurableWork | null = null;
  let runner: DurableWorkRunner | null = null;
  const currentPendingWork = (): DurableWork | null => {
    const database = recorder.database;
    if (!pendingWork && database) pendingWork = new DurableWork(database, { owner: `${hostname()}:${process.pid}`, graceMs: settings.pendingWork.graceMs });
    startRunner();
    return pendingWork;
  };
  // What a process that died left undone (and, later, what failed and waits for its retry) runs here,
  // once both the database and Probot are there.
  const startRunner = () => {
    if (runner || !pendingWork || !probotInstance || shuttingDown) return;
    runner = startDurableWorkRunner(pendingWork, { handlers: pendingWorkHandlers(probotInstance, deps, log), intervalMs: settings.pendingWork.intervalMs, log: log.child({ component: "pending-work" }) });
  };
  const deps = {
    now: () => new Date(),
    ...(settings.appId ? { appId: settings.appId } : {}),
    background: backgroundWork(settings, redis),
    ledger: recorder,
    ledgerDatabase,
    freezeTimer,
    pendingWork: currentPendingWork,
  };
  const app = options.app ?? createApp(deps);
  // The compliance dashboard (SPEC §11), when its settings are present; it reads the same database.
  const dashboard = dashboardFromSettings(settings.dashboard, {
    database: {
      get db() {
        const database = ledgerDatabase();
        if (!database) throw new Error("the ledger database is not open yet");
        return database.db;
      },
    },
    log: log.child({ component: "dashboard" }),
  });
  const Octokit = octokitClass({ ...(throttleConnection ? { throttleConnection } : {}), resilience: resilienceFromEnv(options.env ?? process.env) });

  const server = new Server({
    host: settings.host,
    port: settings.port,
    webhookPath: settings.webhookPath,
    log,
    ...(options.request ? { request: options.request } : {}),
    Probot: Probot.defaults({
      appId: settings.appId,
      privateKey: settings.privateKey,
      secret: settings.webhookSecret,
      baseUrl: settings.apiBaseUrl,
      log,
      Octokit,
    }),
  });

  let probotInstance: Probot | undefined;
  await server.load((probot) => {
    probotInstance = probot;
    // Every delivery (verified or not) is tracked for shutdown and logged with its id and event.
    const webhooks = probot.webhooks;
    const verifyAndReceive = webhooks.verifyAndReceive.bind(webhooks);
    webhooks.verifyAndReceive = (event) =>
      inFlight.track(
        runInDelivery({ delivery: event.id, event: event.name }, () => verifyAndReceive(event)).catch((error: unknown) => {
          recordError(statusOfDelivery(error) === 400 ? "webhook_rejected" : "webhook");
          throw error;
        }),
        `delivery ${event.id} (${event.name})`,
      );
  });
  await server.load(app);

  server.addHandler(async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET") return false;
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return true;
    }
    if (path === "/readyz") {
      const problem = shuttingDown ? "shutting down" : redis ? await redisProblem(redis) : undefined;
      // The ledger never makes the app unready: checks are still published while entries wait.
      const ledger = ledgerReadinessDetail(recorder.status());
      res.writeHead(problem ? 503 : 200, { "content-type": "text/plain" }).end(problem ? `not ready: ${problem}\n${ledger}\n` : `ready\n${ledger}\n`);
      return true;
    }
    if (path === "/metrics") {
      const { contentType, body } = await metricsText();
      res.writeHead(200, { "content-type": contentType }).end(body);
      return true;
    }
    return false;
  });

  if (dashboard) server.addHandler(dashboard.handle);
  for (const handler of options.httpHandlers ?? []) server.addHandler(handler);

  const httpServer = await server.start();
  log.info({ port: server.port, redis: Boolean(redis), baseUrl: settings.apiBaseUrl ?? "https://api.github.com" }, "change-policy is ready");

  currentPendingWork(); // if the database opened before Probot was loaded

  const running: RunningServer = {
    get port() {
      return server.port;
    },
    log,
    inFlight: () => inFlight.size,
    startPeriodic(job) {
      const tick = async () => {
        if (shuttingDown || !probotInstance) return;
        try {
          const outcome = await inFlight.track(
            lock.withLock(job.name, job.lockTtlMs ?? job.intervalMs, () => job.run(probotInstance!, log.child({ job: job.name }))),
            `job ${job.name}`,
          );
          if (!outcome.ran) log.debug({ job: job.name }, "another replica holds the job's lock; skipped");
        } catch (error) {
          recordError(`job:${job.name}`);
          log.error({ err: error, job: job.name }, "periodic job failed");
        }
      };
      const timer = setInterval(() => void tick(), job.intervalMs);
      timer.unref();
      stopTimers.push(() => clearInterval(timer));
    },
    async shutdown(reason) {
      if (shuttingDown) return { clean: true };
      shuttingDown = true;
      log.info({ reason, inFlight: inFlight.size }, "shutting down: not ready any more, finishing deliveries in flight");
      for (const stop of stopTimers) stop();
      if (settings.shutdownGraceMs > 0) await sleep(settings.shutdownGraceMs);
      // Deliveries are answered before their evaluation runs (coalescing), so the app's background
      // work is drained after the last delivery is in: pending evaluations run now, then we exit.
      const drainApp = (app as Partial<ChangePolicyApp>).drain;
      const finished = Promise.all([server.stop(), inFlight.drain()])
        .then(() => drainApp?.())
        .then(() => true);
      const clean = await Promise.race([finished, sleep(settings.shutdownTimeoutMs).then(() => false)]);
      if (!clean) httpServer.closeAllConnections();
      if (!clean) log.error({ inFlight: inFlight.size, abandoned: inFlight.labels() }, "shutdown timeout: deliveries still in flight are abandoned (GitHub shows them as failed; redeliver them)");
      await lock.close();
      await runner?.stop();
      await dashboard?.close();
      await recorder.close();
      // Redis may be the reason we stop: never wait on it for long, and stop its reconnect loop.
      await Promise.race([Promise.all([throttleConnection?.disconnect(false), redis?.quit()]).catch(() => undefined), sleep(1000)]);
      redis?.disconnect();
      log.info({ clean }, "stopped");
      return { clean };
    },
  };
  // SPEC §3: sweeps run on a timer inside the server, on one replica at a time (SWEEP_INTERVAL_MINUTES, 0 = off).
  const jobs = [
    ...(settings.sweepIntervalMinutes > 0 ? [sweepJob(settings, { ledger: recorder })] : []),
    // Once a day the newest seq/hash goes to a pinned issue, where whoever controls the database cannot rewrite it.
    ...(settings.ledger.anchorRepository ? [ledgerAnchorJob({ repository: parseAnchorRepository(settings.ledger.anchorRepository)!, ledger: ledgerDatabase })] : []),
    ...(options.jobs ?? []),
  ];
  for (const job of jobs) running.startPeriodic(job);
  return running;
}

async function redisProblem(redis: Redis): Promise<string | undefined> {
  try {
    await Promise.race([redis.ping(), sleep(1000).then(() => Promise.reject(new Error("timeout")))]);
    return undefined;
  } catch (error) {
    // In words an operator can act on (ioredis says "Reached the max retries per request limit …").
    const where = `${redis.options.host ?? "localhost"}:${redis.options.port ?? 6379}`;
    const why = redis.status !== "ready" ? `no connection, reconnecting` : error instanceof Error && error.message === "timeout" ? "no answer within 1 s" : String(error instanceof Error ? error.message : error);
    return `Redis unreachable at ${where} (${why}); checks are still published, but replicas share neither coalescing nor GitHub's rate limits until it is back`;
  }
}

/** @octokit/webhooks wraps failures in an AggregateError; a bad signature is a 400 inside it. */
function statusOfDelivery(error: unknown): number | undefined {
  const inner = (error as { errors?: { status?: number }[] }).errors?.[0] ?? (error as { status?: number });
  return inner.status;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** `node dist/server.js`: start, and stop gracefully on SIGTERM (Kubernetes, Docker) or SIGINT. */
async function main(): Promise<void> {
  const started = await startServer();
  if (!("shutdown" in started)) return; // set-up mode: Probot's own server handles SIGINT
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      void started.shutdown(signal).then(({ clean }) => process.exit(clean ? 0 : 1));
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(JSON.stringify({ level: 60, msg: error instanceof Error ? error.message : String(error) }));
    process.exit(1);
  });
}
