// A real Probot instance running our app against nock: deliveries go through Probot's own
// webhook handling, and every GitHub request the app makes is recorded in order.
import { generateKeyPairSync } from "node:crypto";
import { createRequire } from "node:module";
import nock from "nock";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { createApp, type ChangePolicyApp } from "../../src/app.js";
import type { ServiceDependencies } from "../../src/services/dependencies.js";
import { ApiBudget } from "../../src/github/budget.js";
import { BackgroundWork, type BackgroundSettings } from "../../src/infra/background.js";
import { checkRequest } from "./github-api-description.js";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples") as { name: string; examples: Record<string, unknown>[] }[];

export const API = "https://api.github.com";
export const NOW = new Date("2026-11-24T12:00:00Z");
export const APP_ID = 1;
export const INSTALLATION_ID = 2;

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

export const TestOctokit = ProbotOctokit.defaults((o: Record<string, unknown>) => ({
  ...o,
  retry: { enabled: false },
  throttle: { ...(o.throttle as object), enabled: false },
}));

export interface TestApp {
  probot: Probot;
  app: ChangePolicyApp;
  budget: ApiBudget;
}

/**
 * Probot with our app; evaluations run in the background as in production, with the given
 * coalescing and pacing (no waiting by default). Tests `await app.background.idle()`.
 */
export async function testApp(
  settings: Partial<BackgroundSettings> = {},
  now: () => number = Date.now,
  extra: Partial<ServiceDependencies> = {},
  /** Another Octokit class (e.g. with src/github/resilience.ts) and request options (a fetch). */
  client: { Octokit?: typeof ProbotOctokit; request?: { fetch?: typeof fetch } } = {},
): Promise<TestApp> {
  const probot = new Probot({
    appId: APP_ID,
    privateKey,
    secret: "test-secret",
    Octokit: client.Octokit ?? TestOctokit,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
    ...(client.request ? { request: client.request } : {}),
  });
  const budget = new ApiBudget(now);
  const background = new BackgroundWork({ windowMs: 0, maxWaitMs: 0, spacingMs: 0, maxPauseMs: 60_000, ...settings }, budget);
  const app = createApp({ now: () => NOW, appId: APP_ID, background, ...extra });
  await probot.load(app);
  return { probot, app, budget };
}

/** Probot with our app, where `receive` also waits for the evaluations the delivery scheduled. */
export async function testProbot(extra: Partial<ServiceDependencies> = {}): Promise<Probot> {
  const { probot, app } = await testApp({}, Date.now, extra);
  const receive = probot.receive.bind(probot);
  probot.receive = async (event) => {
    await receive(event);
    await app.background.idle();
  };
  return probot;
}

/** A real example payload (deep copy) with our installation and optional changes. */
export function examplePayload<T = Record<string, any>>(name: string, action: string | undefined, index = 0): T {
  const group = examples.find((e) => e.name === name);
  const matching = (group?.examples ?? []).filter((e) => action === undefined || e.action === action);
  const example = matching[index];
  if (!example) throw new Error(`no example payload ${name}.${action}[${index}]`);
  const copy = structuredClone(example) as Record<string, unknown>;
  copy.installation = { id: INSTALLATION_ID, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMg==" };
  return copy as T;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** As sent (lower-case names); recorders that leave them out skip the content-type check. */
  headers?: Record<string, string | string[] | number | undefined>;
  body: any;
}

/** Every FakeGitHub made since the last `apiProblemsOfEveryFake()`, so none escapes the check. */
let unchecked: FakeGitHub[] = [];

/**
 * nock with an ordered log of every request answered, each checked against GitHub's published API
 * description (test/helpers/github-api-description.ts): the fake answers whatever a test tells it
 * to, so this is what proves the app's requests would also work against the real GitHub.
 *
 * Every test file that uses FakeGitHub must assert, in `afterEach`,
 * `expect(apiProblemsOfEveryFake()).toEqual([])` — it covers fakes a test replaced midway too.
 */
export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly scope = nock(API);

  constructor() {
    unchecked.push(this);
    this.scope.on("request", (req: { method: string; path: string; headers?: RecordedRequest["headers"] }, _interceptor: unknown, body: string) => {
      let parsed: unknown = body;
      try {
        parsed = body ? JSON.parse(body) : undefined;
      } catch {
        // not JSON: keep the text
      }
      this.requests.push({ method: req.method, path: req.path, headers: req.headers ?? {}, body: parsed });
    });
    // Probot caches the installation token, so only the first delivery of a test file asks for it.
    this.scope
      .post(`/app/installations/${INSTALLATION_ID}/access_tokens`)
      .optionally()
      .reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z" });
  }

  on(method: string, path: string | RegExp | ((uri: string) => boolean), status: number, body: unknown, headers: Record<string, string> = {}): this {
    this.scope.intercept(path as string, method).reply(status, body as Record<string, unknown>, headers);
    return this;
  }

  /** A raw file as GitHub's contents API returns it with `accept: application/vnd.github.raw`. */
  file(owner: string, repo: string, path: string, text: string | null, ref?: string): this {
    const url = `/repos/${owner}/${repo}/contents/${path.split("/").map(encodeURIComponent).join("%2F")}${ref ? `?ref=${ref}` : ""}`;
    if (text === null) return this.on("GET", url, 404, { message: "Not Found" });
    return this.on("GET", url, 200, text, { "content-type": "application/vnd.github.raw; charset=utf-8" });
  }

  /** How each request answered so far departs from GitHub's API description; empty when all conform. */
  apiProblems(): string[] {
    return this.requests.flatMap((r) => checkRequest(r));
  }

  /** The ordered list "METHOD /path" of requests (query strings kept), without the token request. */
  calls(): string[] {
    return this.requests.filter((r) => !r.path.startsWith("/app/installations/")).map((r) => `${r.method} ${r.path}`);
  }
}

/** `apiProblems()` of every FakeGitHub made since the last call (then forgets them): for `afterEach`. */
export function apiProblemsOfEveryFake(): string[] {
  const fakes = unchecked;
  unchecked = [];
  return fakes.flatMap((fake) => fake.apiProblems());
}

/** Answers mocked on FakeGitHubs but never asked for (persistent stores such as IssueStore excluded). */
function pendingAnswersOfEveryFake(): string[] {
  return unchecked.flatMap((fake) => fake.scope.pendingMocks());
}

/**
 * Ends every test that fakes GitHub (`afterEach(expectGitHubSettled)`): every mocked answer was asked
 * for, none is left for the next test, and every request the app made exists in GitHub's published API
 * description and is well-formed.
 */
export function expectGitHubSettled(): void {
  const pending = pendingAnswersOfEveryFake();
  nock.cleanAll();
  expect(pending).toEqual([]);
  expect(apiProblemsOfEveryFake()).toEqual([]);
}
