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
import { Probot, ProbotOctokit, Server, run, type ApplicationFunction, type Logger } from "probot";
import defaultApp, { type ChangePolicyApp } from "./app.js";
import { createLock, type Lock } from "./infra/lock.js";
import { createLogger, runInDelivery, type LoggerOptions } from "./logging.js";
import { instrumentOctokit, metricsText, recordError } from "./metrics.js";
import { startSweepTimer, sweepIntervalFromEnv } from "./handlers/post-review-sweep.js";

/** A job the server runs on a timer, on one replica at a time (the lock is named after the job). */
export interface PeriodicJob {
  /** Also the lock name: use the same name wherever else the job runs. */
  name: string;
  intervalMs: number;
  /** How long a crashed replica can block the job; defaults to the interval. */
  lockTtlMs?: number;
  run(probot: Probot, log: Logger): Promise<void>;
}

/** A sweep never takes this long; if a replica dies holding the lock, another sweeps after it. */
const SWEEP_LOCK_TTL_MS = 15 * 60_000;

type Env = Record<string, string | undefined>;

export interface ServerSettings {
  appId?: string;
  privateKey?: string;
  webhookSecret?: string;
  host: string;
  port: number;
  webhookPath?: string;
  baseUrl?: string;
  redisUrl?: string;
  logLevel: string;
  /** How long to keep answering (with /readyz = 503) after SIGTERM before closing the listener. */
  shutdownGraceMs: number;
  /** How long to wait for in-flight deliveries and jobs before giving up on them. */
  shutdownTimeoutMs: number;
  /** The post-implementation review sweep's timer (SWEEP_INTERVAL_MINUTES, 0 = off). */
  sweepIntervalMinutes: number;
}

/** Reads the standard Probot environment (SPEC §6) plus this server's own settings. */
export function readSettings(env: Env = process.env): ServerSettings {
  return {
    appId: env.APP_ID || undefined,
    privateKey: readPrivateKey(env),
    webhookSecret: env.WEBHOOK_SECRET || undefined,
    host: env.HOST || "0.0.0.0",
    port: env.PORT === undefined || env.PORT === "" ? 3000 : Number(env.PORT),
    webhookPath: env.WEBHOOK_PATH || undefined,
    baseUrl: env.GHE_HOST ? `${env.GHE_PROTOCOL || "https"}://${env.GHE_HOST}/api/v3` : undefined,
    redisUrl: env.REDIS_URL || undefined,
    logLevel: env.LOG_LEVEL || "info",
    shutdownGraceMs: Number(env.SHUTDOWN_GRACE_MS ?? 0),
    shutdownTimeoutMs: Number(env.SHUTDOWN_TIMEOUT_MS ?? 25_000),
    sweepIntervalMinutes: sweepIntervalFromEnv(env as NodeJS.ProcessEnv),
  };
}

/** PRIVATE_KEY (PEM, PEM with literal `\n`, or base64 of a PEM) or the file at PRIVATE_KEY_PATH. */
function readPrivateKey(env: Env): string | undefined {
  if (env.PRIVATE_KEY_PATH) return readFileSync(env.PRIVATE_KEY_PATH, "utf8");
  const raw = env.PRIVATE_KEY;
  if (!raw) return undefined;
  if (raw.includes("-----BEGIN")) return raw.replace(/\\n/g, "\n");
  const decoded = Buffer.from(raw, "base64").toString("utf8");
  if (decoded.includes("-----BEGIN")) return decoded;
  throw new Error("PRIVATE_KEY is neither a PEM private key nor base64 of one. Paste the .pem file GitHub gave you, or set PRIVATE_KEY_PATH to its path.");
}

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
  const settings = readSettings(env);
  const log = createLogger({
    level: settings.logLevel,
    secrets: [settings.webhookSecret, settings.privateKey, env.PRIVATE_KEY],
    levelAsString: env.LOG_LEVEL_IN_STRING === "true",
    ...(env.LOG_MESSAGE_KEY ? { messageKey: env.LOG_MESSAGE_KEY } : {}),
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const app = options.app ?? defaultApp;

  if (!settings.appId || !settings.privateKey) {
    // No credentials: Probot's set-up page registers the app from app.yml (what `probot run` does).
    // Probot itself refuses this in production (NODE_ENV=production) with a message naming the variable.
    log.warn("APP_ID or PRIVATE_KEY is not set: serving the set-up page that registers the GitHub App from app.yml");
    return run(app, { env: { ...env, HOST: settings.host, PORT: String(settings.port) } as never, log });
  }
  if (!settings.webhookSecret) {
    throw new Error("WEBHOOK_SECRET is not set. Set it to the webhook secret of the GitHub App, otherwise no delivery can be verified.");
  }
  return startAppServer(settings, app, log, options);
}

async function startAppServer(settings: ServerSettings, app: ApplicationFunction, log: Logger, options: StartOptions): Promise<RunningServer> {
  const inFlight = new InFlight();
  let shuttingDown = false;
  const stopTimers: (() => void)[] = [];

  // Several replicas: one Redis for the job lock and readiness, and Bottleneck's own connection so that
  // all replicas share GitHub's rate limits. (Probot's REDIS_URL support would download ioredis at
  // runtime with npx; we give it our installed client instead.)
  const redis = settings.redisUrl ? new Redis(settings.redisUrl, { maxRetriesPerRequest: 2 }) : undefined;
  redis?.on("error", (error) => log.error({ err: error }, "Redis connection error"));
  const lock: Lock = createLock(redis ? { redis } : {});
  const throttleConnection = settings.redisUrl
    ? new Bottleneck.IORedisConnection({ client: new Redis(settings.redisUrl) as never })
    : undefined;
  throttleConnection?.on("error", (error: Error) => log.error({ err: error }, "Redis error in the shared rate limiter"));

  const Octokit = ProbotOctokit.plugin(instrumentOctokit).defaults((instance: Record<string, unknown>) => {
    // GitHub's limits are per installation, but Probot gives the clients it makes for webhook
    // events one shared limiter id, which spaces ALL writes of the process 1 s apart. Key the
    // limiter by installation instead (and share it across replicas through Redis when set).
    const installationId = (instance.auth as { installationId?: number } | undefined)?.installationId;
    const throttle = instance.throttle as Record<string, unknown> | undefined;
    if (!throttle || throttle.enabled === false) return instance;
    return {
      ...instance,
      throttle: {
        ...throttle,
        id: installationId ? `installation-${installationId}` : (throttle.id ?? "change-policy-app"),
        ...(throttleConnection ? { Bottleneck, connection: throttleConnection } : {}),
      },
    };
  }) as typeof ProbotOctokit;

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
      baseUrl: settings.baseUrl,
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
      res.writeHead(problem ? 503 : 200, { "content-type": "text/plain" }).end(problem ? `not ready: ${problem}\n` : "ready\n");
      return true;
    }
    if (path === "/metrics") {
      const { contentType, body } = await metricsText();
      res.writeHead(200, { "content-type": contentType }).end(body);
      return true;
    }
    return false;
  });

  for (const handler of options.httpHandlers ?? []) server.addHandler(handler);

  const httpServer = await server.start();
  log.info({ port: server.port, redis: Boolean(redis), baseUrl: settings.baseUrl ?? "https://api.github.com" }, "change-policy is ready");

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
      // Redis may be the reason we stop: never wait on it for long, and stop its reconnect loop.
      await Promise.race([Promise.all([redis?.quit(), throttleConnection?.disconnect(true)]).catch(() => undefined), sleep(1000)]);
      redis?.disconnect();
      await throttleConnection?.disconnect(false).catch(() => undefined);
      log.info({ clean }, "stopped");
      return { clean };
    },
  };
  for (const job of options.jobs ?? []) running.startPeriodic(job);
  // SPEC §3: sweeps run on a timer inside the server — on one replica at a time.
  const stopSweep = startSweepTimer(probotInstance!, {
    intervalMinutes: settings.sweepIntervalMinutes,
    log: log.child({ job: "post-review-sweep" }),
    runExclusive: async (name, job) => {
      if (shuttingDown) return;
      const outcome = await inFlight.track(lock.withLock(name, SWEEP_LOCK_TTL_MS, job), `job ${name}`);
      if (!outcome.ran) log.debug({ job: name }, "another replica is sweeping; skipped");
    },
  });
  stopTimers.push(stopSweep);
  return running;
}

async function redisProblem(redis: Redis): Promise<string | undefined> {
  try {
    await Promise.race([redis.ping(), sleep(1000).then(() => Promise.reject(new Error("timeout")))]);
    return undefined;
  } catch (error) {
    return `Redis unreachable (${error instanceof Error ? error.message : String(error)})`;
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
