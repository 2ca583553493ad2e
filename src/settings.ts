// The environment, parsed once (zod): the server and every command read their settings from here,
// never from process.env. A bad value stops start-up with one line per bad variable, naming it.
import { getPrivateKey } from "@probot/get-private-key";
import { z } from "zod";

type Env = Record<string, string | undefined>;

/** Unset and empty mean the same: the default applies. */
const unset = (value: unknown) => (value === "" ? undefined : value);
const optionalText = z.preprocess(unset, z.string().trim().min(1).optional());
const wholeNumber = (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(unset, z.coerce.number({ error: "must be a number" }).int("must be a whole number").min(0, "must not be negative").max(max).default(fallback));
const flag = (fallback: boolean) =>
  z.preprocess(unset, z.enum(["true", "false", "1", "0"], { error: "must be true or false" }).default(fallback ? "true" : "false")).transform((v) => v === "true" || v === "1");
const url = (protocols: string[]) =>
  z.preprocess(
    unset,
    z
      .url({ error: "must be a URL" })
      .refine((u) => protocols.includes(new URL(u).protocol), `must start with ${protocols.map((p) => `${p}//`).join(" or ")}`)
      .optional(),
  );
const between = (min: number, max: number) =>
  z.preprocess(unset, z.coerce.number({ error: `must be a number from ${min} to ${max}` }).min(min, `must be a number from ${min} to ${max}`).max(max, `must be a number from ${min} to ${max}`).optional());
const repository = z.preprocess(unset, z.string().regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, "must be OWNER/REPO").optional());
const list = z.preprocess(unset, z.string().optional()).transform((v) => (v ?? "").split(",").map((s) => s.trim()).filter(Boolean));
const commaList = (text: string) => text.split(",").map((s) => s.trim()).filter(Boolean);
/** Blank (spaces only) is unset too: for values that are trimmed anyway. */
const blank = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);

/** A team allowed into the compliance dashboard (DASHBOARD_TEAMS). */
export interface DashboardTeam {
  org: string;
  slug: string;
}

/** The compliance dashboard's settings (SPEC §11): null in Settings when the dashboard is not asked for. */
export interface DashboardSettings {
  clientId: string;
  clientSecret: string;
  sessionSecret: string;
  teams: DashboardTeam[];
  /** How long a membership check holds before it is asked again (MEMBERSHIP_CACHE_SECONDS). */
  membershipCacheSeconds: number;
  /** Where people sign in: https://github.com, or https://HOST on GitHub Enterprise Server. */
  webBaseUrl: string;
  /** The REST API: https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server. */
  apiBaseUrl: string;
}

/** Shorter than this and a session secret could be guessed from signed cookies. */
export const MIN_SESSION_SECRET_LENGTH = 32;

const team = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9_.-]{1,100}$/, { error: (issue) => `must be written as org/team-slug, and ${JSON.stringify(String(issue.input).slice(0, 100))} is not` })
  .transform((text): DashboardTeam => {
    const [org, slug] = text.toLowerCase().split("/") as [string, string];
    return { org, slug };
  });

/**
 * The dashboard is on once DASHBOARD_TEAMS or DASHBOARD_SESSION_SECRET is set (GITHUB_CLIENT_ID and
 * GITHUB_CLIENT_SECRET alone do not turn it on: Probot's set-up flow writes them for every install);
 * then all four must be set, or start-up stops. What each one is, for the message saying it is missing.
 */
const DASHBOARD_NEEDS = {
  GITHUB_CLIENT_ID: "the GitHub App's OAuth client ID, from the App's settings page",
  GITHUB_CLIENT_SECRET: "the GitHub App's OAuth client secret, from the App's settings page",
  DASHBOARD_TEAMS: "the teams allowed in, e.g. acme/security-leads,acme/auditors",
  DASHBOARD_SESSION_SECRET: `at least ${MIN_SESSION_SECRET_LENGTH} random characters, e.g. from \`openssl rand -hex 32\``,
} as const;

const envSchema = z.object({
  APP_ID: z.preprocess(unset, z.coerce.number({ error: "must be the GitHub App's numeric id" }).int().positive().optional()),
  WEBHOOK_SECRET: optionalText,
  WEBHOOK_PATH: optionalText,
  HOST: z.preprocess(unset, z.string().default("0.0.0.0")),
  PORT: wholeNumber(3000, 65535),
  GHE_HOST: z.preprocess(unset, z.string().regex(/^[A-Za-z0-9.-]{1,253}(?::\d{1,5})?$/, "must be a host name such as github.example.com (no protocol, no path)").optional()),
  GHE_PROTOCOL: z.preprocess(unset, z.enum(["https", "http"], { error: "must be https or http" }).default("https")),
  REDIS_URL: url(["redis:", "rediss:"]),
  LOG_LEVEL: z.preprocess(unset, z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info")),
  LOG_LEVEL_IN_STRING: flag(false),
  LOG_MESSAGE_KEY: optionalText,
  SHUTDOWN_GRACE_MS: wholeNumber(0),
  SHUTDOWN_TIMEOUT_MS: wholeNumber(25_000),
  SWEEP_INTERVAL_MINUTES: wholeNumber(60),
  SWEEP_LABELS: list,
  COALESCE_WINDOW_MS: wholeNumber(2_000),
  COALESCE_MAX_WAIT_MS: wholeNumber(10_000),
  // How long a freshly recorded job is left to its own process before another (a restart, a replica) may run it.
  PENDING_WORK_GRACE_MS: wholeNumber(30_000),
  // How often the runner looks for due jobs (also what waits after the database was away); never a tight loop.
  PENDING_WORK_INTERVAL_MS: z.preprocess(
    unset,
    z.coerce
      .number({ error: "must be a whole number of milliseconds from 100 to 3600000" })
      .int("must be a whole number of milliseconds from 100 to 3600000")
      .min(100, "must be a whole number of milliseconds from 100 to 3600000")
      .max(3_600_000, "must be a whole number of milliseconds from 100 to 3600000")
      .default(60_000),
  ),
  REEVALUATE_SPACING_MS: wholeNumber(2_000),
  REEVALUATE_MAX_PAUSE_MS: wholeNumber(300_000),
  // Team membership and write access (src/github/membership.ts) and a dashboard session's membership check:
  // a removed member must stop counting soon, and never later than a dashboard session lives.
  MEMBERSHIP_CACHE_SECONDS: z.preprocess(
    unset,
    z
      .string()
      .regex(/^\d{1,6}$/, "must be a whole number of seconds, e.g. 300")
      .transform(Number)
      .pipe(z.number().max(8 * 3600, "must be at most 28800 (8 hours, the dashboard session's own lifetime)"))
      .default(300),
  ),
  ETAG_CACHE_MB: z.preprocess(unset, z.coerce.number({ error: "must be a number" }).positive().default(64)),
  // Unset: the server's or the command's own default (src/github/resilience.ts).
  GITHUB_REQUEST_TIMEOUT_MS: between(1_000, 600_000),
  GITHUB_RETRIES: between(0, 10),
  GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS: between(0, 24 * 3600),
  DATABASE_URL: url(["postgres:", "postgresql:"]),
  DATA_DIR: z.preprocess(unset, z.string().default("./data")),
  LEDGER_ANCHOR_REPOSITORY: repository,
  // Policy §10 keeps the audit trail at least a year.
  LEDGER_RETENTION_DAYS: z.preprocess(
    unset,
    z.coerce
      .number({ error: "must be a whole number of days from 365 (policy §10 keeps the audit trail at least a year) to 36500" })
      .int("must be a whole number of days from 365 (policy §10 keeps the audit trail at least a year) to 36500")
      .min(365, "must be a whole number of days from 365 (policy §10 keeps the audit trail at least a year) to 36500")
      .max(36_500, "must be a whole number of days from 365 (policy §10 keeps the audit trail at least a year) to 36500")
      .default(400),
  ),
  GITHUB_CLIENT_ID: z.preprocess(blank, z.string().trim().max(100, "is too long").optional()),
  GITHUB_CLIENT_SECRET: z.preprocess(blank, z.string().trim().max(200, "is too long").optional()),
  DASHBOARD_TEAMS: z.preprocess(
    unset,
    z
      .string()
      .max(5000, "is too long")
      .transform(commaList)
      .pipe(z.array(team).min(1, "must name at least one team, e.g. acme/security-leads,acme/auditors").max(50, "names more than 50 teams"))
      .optional(),
  ),
  DASHBOARD_SESSION_SECRET: z.preprocess(
    unset,
    z
      .string()
      .min(MIN_SESSION_SECRET_LENGTH, `must be at least ${MIN_SESSION_SECRET_LENGTH} characters (generate one with \`openssl rand -hex 32\`)`)
      .max(1000, "is too long")
      .optional(),
  ),
});

export type RawSettings = z.infer<typeof envSchema>;

export interface Settings {
  appId?: number;
  /** PEM text, from PRIVATE_KEY (PEM, PEM with literal `\n`, or base64) or PRIVATE_KEY_PATH. */
  privateKey?: string;
  webhookSecret?: string;
  webhookPath?: string;
  host: string;
  port: number;
  /** GitHub's REST base URL: github.com's by default, `<protocol>://<GHE_HOST>/api/v3` on GHES. */
  apiBaseUrl?: string;
  /** GitHub's web address (OAuth sign-in, links). */
  webBaseUrl: string;
  redisUrl?: string;
  log: { level: string; levelAsString: boolean; messageKey?: string };
  shutdownGraceMs: number;
  shutdownTimeoutMs: number;
  /** The post-implementation review sweep's timer, in minutes; 0 = off. */
  sweepIntervalMinutes: number;
  sweepLabels: string[];
  coalesce: { windowMs: number; maxWaitMs: number };
  /** Durable pending work (src/infra/durable-work.ts): a fresh job's grace before any process's runner may take it, and how often the runner looks. */
  pendingWork: { graceMs: number; intervalMs: number };
  reevaluate: { spacingMs: number; maxPauseMs: number };
  membershipCacheSeconds: number;
  etagCacheMb: number;
  /** GitHub requests: timeout, retries, longest rate-limit wait; undefined = the caller's default. */
  github: { requestTimeoutMs?: number; retries?: number; rateLimitMaxWaitSeconds?: number };
  ledger: { databaseUrl?: string; dataDir: string; anchorRepository?: string; retentionDays: number };
  /** The compliance dashboard; null when it is not asked for (neither DASHBOARD_TEAMS nor DASHBOARD_SESSION_SECRET is set). */
  dashboard: DashboardSettings | null;
  /** The raw values, for the few readers that need one more variable (kept typed). */
  raw: RawSettings;
}

/** Every bad variable of the environment, one line each: `PORT: must be a number`. */
export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`The environment has ${problems.length === 1 ? "a bad setting" : `${problems.length} bad settings`}:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "SettingsError";
  }
}

export function parseSettings(env: Env = process.env, options: { cwd?: string } = {}): Settings {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`);
  let privateKey: string | undefined;
  try {
    privateKey = readPrivateKey(env, options.cwd);
  } catch (error) {
    problems.push(`PRIVATE_KEY: ${error instanceof Error ? error.message : String(error)}`);
  }
  const dashboardAskedFor = unset(env.DASHBOARD_TEAMS) !== undefined || unset(env.DASHBOARD_SESSION_SECRET) !== undefined;
  if (dashboardAskedFor) {
    for (const [name, what] of Object.entries(DASHBOARD_NEEDS)) {
      if (blank(env[name]) === undefined) {
        problems.push(`${name}: is not set, and the compliance dashboard needs it (${what}); set it, or unset DASHBOARD_TEAMS and DASHBOARD_SESSION_SECRET to run without the dashboard`);
      }
    }
  }
  if (!parsed.success || problems.length > 0) throw new SettingsError(problems);
  const raw = parsed.data;
  const gheBase = raw.GHE_HOST ? `${raw.GHE_PROTOCOL}://${raw.GHE_HOST}` : undefined;
  return {
    ...(raw.APP_ID !== undefined ? { appId: raw.APP_ID } : {}),
    ...(privateKey ? { privateKey } : {}),
    ...(raw.WEBHOOK_SECRET ? { webhookSecret: raw.WEBHOOK_SECRET } : {}),
    ...(raw.WEBHOOK_PATH ? { webhookPath: raw.WEBHOOK_PATH } : {}),
    host: raw.HOST,
    port: raw.PORT,
    ...(gheBase ? { apiBaseUrl: `${gheBase}/api/v3` } : {}),
    webBaseUrl: gheBase ?? "https://github.com",
    ...(raw.REDIS_URL ? { redisUrl: raw.REDIS_URL } : {}),
    log: { level: raw.LOG_LEVEL, levelAsString: raw.LOG_LEVEL_IN_STRING, ...(raw.LOG_MESSAGE_KEY ? { messageKey: raw.LOG_MESSAGE_KEY } : {}) },
    shutdownGraceMs: raw.SHUTDOWN_GRACE_MS,
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    sweepIntervalMinutes: raw.SWEEP_INTERVAL_MINUTES,
    sweepLabels: raw.SWEEP_LABELS.length ? raw.SWEEP_LABELS : ["post-implementation-review"],
    coalesce: { windowMs: raw.COALESCE_WINDOW_MS, maxWaitMs: raw.COALESCE_MAX_WAIT_MS },
    pendingWork: { graceMs: raw.PENDING_WORK_GRACE_MS, intervalMs: raw.PENDING_WORK_INTERVAL_MS },
    reevaluate: { spacingMs: raw.REEVALUATE_SPACING_MS, maxPauseMs: raw.REEVALUATE_MAX_PAUSE_MS },
    membershipCacheSeconds: raw.MEMBERSHIP_CACHE_SECONDS,
    etagCacheMb: raw.ETAG_CACHE_MB,
    github: {
      ...(raw.GITHUB_REQUEST_TIMEOUT_MS !== undefined ? { requestTimeoutMs: raw.GITHUB_REQUEST_TIMEOUT_MS } : {}),
      ...(raw.GITHUB_RETRIES !== undefined ? { retries: Math.floor(raw.GITHUB_RETRIES) } : {}),
      ...(raw.GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS !== undefined ? { rateLimitMaxWaitSeconds: raw.GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS } : {}),
    },
    ledger: {
      ...(raw.DATABASE_URL ? { databaseUrl: raw.DATABASE_URL } : {}),
      dataDir: raw.DATA_DIR,
      ...(raw.LEDGER_ANCHOR_REPOSITORY ? { anchorRepository: raw.LEDGER_ANCHOR_REPOSITORY } : {}),
      retentionDays: raw.LEDGER_RETENTION_DAYS,
    },
    dashboard: dashboardAskedFor
      ? {
          // Present: checked above.
          clientId: raw.GITHUB_CLIENT_ID!,
          clientSecret: raw.GITHUB_CLIENT_SECRET!,
          sessionSecret: raw.DASHBOARD_SESSION_SECRET!,
          teams: raw.DASHBOARD_TEAMS!,
          membershipCacheSeconds: raw.MEMBERSHIP_CACHE_SECONDS,
          webBaseUrl: gheBase ?? "https://github.com",
          apiBaseUrl: gheBase ? `${gheBase}/api/v3` : "https://api.github.com",
        }
      : null,
    raw,
  };
}

/**
 * PRIVATE_KEY (PEM, PEM with literal `\n`, or base64 of a PEM) or the file at PRIVATE_KEY_PATH, read by
 * Probot's own @probot/get-private-key. Only when one of them is set: Probot's habit of picking up any
 * *.pem file in the working directory would surprise a command run from a random folder.
 */
function readPrivateKey(env: Env, cwd = process.cwd()): string | undefined {
  if (!env.PRIVATE_KEY && !env.PRIVATE_KEY_PATH) return undefined;
  const key = getPrivateKey({ env: { PRIVATE_KEY: env.PRIVATE_KEY, PRIVATE_KEY_PATH: env.PRIVATE_KEY_PATH }, cwd });
  if (!key) throw new Error("is set but holds no private key: paste the .pem file GitHub gave you, or set PRIVATE_KEY_PATH to its path");
  return key;
}
