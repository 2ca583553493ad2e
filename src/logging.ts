// JSON logs (pino) that say which delivery, repository and pull request a line is about, and that
// never contain secrets: known secret paths are redacted, and every line is scrubbed of the webhook
// secret, the private key, webhook signatures and GitHub tokens before it is written.
import { AsyncLocalStorage } from "node:async_hooks";
import { pino, type DestinationStream, type Logger } from "pino";

/** Fields added to every log line written while one webhook delivery is handled. */
export interface DeliveryFields {
  delivery?: string;
  event?: string;
  repo?: string;
  pr?: number;
  issue?: number;
  verdict?: string;
}

const deliveryContext = new AsyncLocalStorage<DeliveryFields>();

/** Runs `fn` (the handling of one delivery) so that all its log lines carry `fields`. */
export function runInDelivery<T>(fields: DeliveryFields, fn: () => T): T {
  return deliveryContext.run({ ...fields }, fn);
}

/** Adds fields (e.g. the verdict) to the remaining log lines of the current delivery. */
export function annotateDelivery(fields: DeliveryFields): void {
  const store = deliveryContext.getStore();
  if (store) Object.assign(store, fields);
}

interface EventContextLike {
  id: string;
  name: string;
  payload: unknown;
  log: Logger;
}

/**
 * The logger a handler should use: its lines (and those of the GitHub client during this delivery)
 * carry the delivery id, repository and PR/issue number. Log the verdict with
 * a field of the line that reports it (src/handlers/delivery.ts uses this for every handler).
 */
export function deliveryLog(context: EventContextLike): Logger {
  const payload = (context.payload ?? {}) as {
    action?: string;
    repository?: { full_name?: string };
    pull_request?: { number?: number };
    issue?: { number?: number; pull_request?: unknown };
    check_run?: { pull_requests?: { number?: number }[] };
    check_suite?: { pull_requests?: { number?: number }[] };
  };
  const fields: DeliveryFields = {};
  if (payload.repository?.full_name) fields.repo = payload.repository.full_name;
  const pr =
    payload.pull_request?.number ??
    (payload.issue?.pull_request ? payload.issue.number : undefined) ??
    payload.check_run?.pull_requests?.[0]?.number ??
    payload.check_suite?.pull_requests?.[0]?.number;
  if (pr !== undefined) fields.pr = pr;
  else if (payload.issue?.number !== undefined) fields.issue = payload.issue.number;
  if (deliveryContext.getStore()) {
    annotateDelivery(fields);
    return context.log;
  }
  return context.log.child({ delivery: context.id, ...fields });
}

// Where pino (and pino-http, which logs each request's headers) may put secrets.
const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-hub-signature"]',
  'req.headers["x-hub-signature-256"]',
  'res.headers["set-cookie"]',
  "headers.authorization",
  "request.headers.authorization",
  "err.request.headers.authorization",
  "err.event.signature",
  "event.signature",
  "signature",
  "privateKey",
  "secret",
  "token",
];

// Linear patterns (a fixed prefix then one character class): no backtracking on odd input.
const TOKEN_PATTERNS = [
  /sha(?:1|256)=[0-9a-fA-F]{40,64}/g, // webhook signatures
  /\bgh[opsur]_[A-Za-z0-9]{20,255}/g, // GitHub tokens (installation, OAuth, PAT)
  /\bgithub_pat_[A-Za-z0-9_]{20,255}/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs (the app's own)
  /(?<=[?&]code=)[A-Za-z0-9_-]{1,200}/g, // OAuth sign-in codes in a logged URL (the dashboard's callback)
];

const MIN_SECRET_LENGTH = 8;

/** The literal strings to remove from every line: each secret as written and as JSON-escaped. */
function secretFragments(secrets: (string | undefined)[]): string[] {
  const fragments = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
    fragments.add(secret);
    fragments.add(JSON.stringify(secret).slice(1, -1));
    // A PEM key may be logged line by line or re-wrapped; every long line of it is secret.
    for (const line of secret.split(/\r?\n|\\n/)) {
      if (line.length >= 16 && !line.startsWith("-----")) fragments.add(line.trim());
    }
  }
  return [...fragments].sort((a, b) => b.length - a.length);
}

export function scrubSecrets(line: string, fragments: string[]): string {
  let out = line;
  for (const fragment of fragments) if (out.includes(fragment)) out = out.split(fragment).join("[REDACTED]");
  for (const pattern of TOKEN_PATTERNS) out = out.replace(pattern, "[REDACTED]");
  return out;
}

export interface LoggerOptions {
  level?: string;
  /** Values that must never be written (webhook secret, private key, tokens). */
  secrets?: (string | undefined)[];
  levelAsString?: boolean;
  messageKey?: string;
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const fragments = secretFragments(options.secrets ?? []);
  return pino(
    {
      name: "probot",
      level: options.level || "info",
      messageKey: options.messageKey || "msg",
      redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
      mixin: () => deliveryContext.getStore() ?? {},
      hooks: { streamWrite: (line) => scrubSecrets(line, fragments) },
      ...(options.levelAsString ? { formatters: { level: (label: string) => ({ level: label }) } } : {}),
    },
    options.destination ?? pino.destination(1),
  );
}
