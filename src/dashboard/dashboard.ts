// The compliance dashboard (SPEC §11) as one HTTP handler the server adds next to /healthz:
//   server.addHandler(createDashboard({ settings, database, log }).handle)
// It answers every path under /dashboard (and returns false for the rest). Pages come from the evidence
// ledger only; the only GitHub requests are the sign-in's (token exchange, who you are, team membership).
import type { IncomingMessage, ServerResponse } from "node:http";
import { renderAuditReport, type AuditFormat } from "../render/audit-report.js";
import { DASHBOARD_PATH, STYLESHEET_PATH } from "../render/dashboard/layout.js";
import { renderAudit, renderChange, renderFollowUps, renderForbidden, renderIncidents, renderMessage, renderOverview, renderSignIn } from "../render/dashboard/pages.js";
import { STYLESHEET } from "../render/dashboard/stylesheet.js";
import { auditReportFromLedger } from "../services/audit-report.js";
import { DashboardAuth, type Access, type AuthLog } from "./auth.js";
import { LedgerIndex } from "./ledger-index.js";
import { hostOf, isLoopbackHost, redirect, requestOrigin, send, sendHtml, SECURITY_HEADERS } from "./http.js";
import type { LedgerDatabase } from "../ledger/database.js";
import { KyselyLedgerSource, type LedgerSource } from "./ledger-source.js";
import { BadRequest, periodFrom } from "./period.js";
import { dashboardSettingsFromEnv, type DashboardSettings } from "./settings.js";
import type { Anchor, Scope, Viewer } from "./view-models.js";
import { buildChange, buildFollowUps, buildIncidents, buildOverview, type ViewContext } from "./views.js";

export interface DashboardLog extends AuthLog {
  error(fields: object, message: string): void;
}

export interface DashboardOptions {
  settings: DashboardSettings;
  /** The evidence ledger's database (openLedgerDatabase in src/ledger/database.ts). */
  database: Pick<LedgerDatabase, "db">;
  /** Reads of the ledger other than through `database` (tests: a slow or failing store). */
  source?: LedgerSource;
  /** How long a page waits for the first walk of the ledger before answering "still reading" (1500 ms). */
  firstWalkWaitMs?: number;
  /** The newest anchor of the chain, when the ledger keeps one (LEDGER_ANCHOR_REPOSITORY). */
  lastAnchor?: () => Promise<Anchor | null>;
  clock?: () => Date;
  /** For the sign-in's GitHub requests (tests point it at a fake GitHub). */
  fetch?: typeof fetch;
  log?: DashboardLog;
}

export interface Dashboard {
  /** true when the request was the dashboard's (answered), false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  close(): Promise<void>;
}

const MAX_URL_LENGTH = 4096;
/** How long a page waits for the first walk of the ledger before saying it is still reading. */
const FIRST_WALK_WAIT_MS = 1500;
const SAFE_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const AUDIT_DOWNLOAD = /^\/dashboard\/audit\.(md|csv|json)$/;
const CHANGE_PAGE = /^\/dashboard\/([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})\/pull\/(\d{1,10})$/;
const CONTENT_TYPES: Record<AuditFormat, string> = { md: "text/markdown; charset=utf-8", csv: "text/csv; charset=utf-8", json: "application/json; charset=utf-8" };

const silentLog: DashboardLog = { info: () => {}, warn: () => {}, error: () => {} };

export function createDashboard(options: DashboardOptions): Dashboard {
  const clock = options.clock ?? (() => new Date());
  const log = options.log ?? silentLog;
  const auth = new DashboardAuth(options.settings, { clock, log, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const source: LedgerSource = options.source ?? new KyselyLedgerSource(options.database);
  const firstWalkWaitMs = options.firstWalkWaitMs ?? FIRST_WALK_WAIT_MS;
  const lastAnchor = options.lastAnchor ?? (async () => null);
  const index = new LedgerIndex(source, { clock, webBaseUrl: options.settings.webBaseUrl, onError: (error) => log.error({ err: error }, "dashboard: reading the ledger failed") });
  // Read the ledger from the start now, so that it is indexed (and verified) before the first visit.
  index.catchUp().catch(() => {});

  /** Brings the index up to date; false while the first walk is still reading (a page waits a moment for it). */
  async function indexReady(): Promise<boolean> {
    const walk = index.catchUp();
    if (index.ready) {
      await walk;
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), firstWalkWaitMs)));
    try {
      return await Promise.race([walk.then(() => true), waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const rawUrl = req.url ?? "";
    const path = rawUrl.split("?", 1)[0]!;
    if (path !== DASHBOARD_PATH && !path.startsWith(`${DASHBOARD_PATH}/`)) return false;
    try {
      await route(req, res, rawUrl);
    } catch (error) {
      if (error instanceof BadRequest) {
        if (!res.headersSent) sendHtml(res, 400, renderMessage("Bad request", error.message));
        return true;
      }
      log.error({ err: error, path }, "dashboard page failed");
      if (!res.headersSent) sendHtml(res, 500, renderMessage("Something went wrong", "The page could not be built; the error is in the server's log. Try again."));
      else res.destroy();
    }
    return true;
  }

  async function route(req: IncomingMessage, res: ServerResponse, rawUrl: string): Promise<void> {
    if (rawUrl.length > MAX_URL_LENGTH) return sendHtml(res, 414, renderMessage("Address too long", "The address of this request is too long."));
    const host = hostOf(req);
    if (!host) return sendHtml(res, 400, renderMessage("Bad request", "The request has no valid Host header."));
    const origin = requestOrigin(req, host);
    const secure = origin.startsWith("https:") || !isLoopbackHost(host);
    const url = new URL(rawUrl, origin);
    const path = url.pathname;
    const method = req.method ?? "GET";
    const redirectUri = `${origin}${DASHBOARD_PATH}/oauth/callback`;

    if (path === `${DASHBOARD_PATH}/sign-out`) {
      if (method !== "POST") return methodNotAllowed(res, "POST");
      if (!sameOrigin(req, origin)) return sendHtml(res, 403, renderMessage("Not allowed", "Sign out from the dashboard's own page."));
      auth.signOut(req);
      return redirect(res, `${DASHBOARD_PATH}/sign-in?signed-out=1`, { "set-cookie": auth.clearSessionCookie(secure) }, 303);
    }
    if (method !== "GET" && method !== "HEAD") return methodNotAllowed(res, "GET, HEAD");

    if (path === STYLESHEET_PATH) return send(res, 200, "text/css; charset=utf-8", STYLESHEET);
    if (path === `${DASHBOARD_PATH}/sign-in`) {
      const returnTo = safeReturn(url.searchParams.get("return"));
      const notice = url.searchParams.has("signed-out") ? "You are signed out." : noticeOf(url.searchParams.get("notice"));
      return sendHtml(res, 200, renderSignIn(`${DASHBOARD_PATH}/oauth/start?return=${encodeURIComponent(returnTo)}`, notice));
    }
    if (path === `${DASHBOARD_PATH}/oauth/start`) {
      const start = auth.startSignIn(safeReturn(url.searchParams.get("return")), redirectUri, secure);
      return redirect(res, start.location, { "set-cookie": start.setCookie });
    }
    if (path === `${DASHBOARD_PATH}/oauth/callback`) {
      const result = await auth.finishSignIn(req, url.searchParams, redirectUri, secure);
      const clearState = auth.clearStateCookie(secure);
      if (result.kind === "member") return redirect(res, result.returnTo, { "set-cookie": [clearState, result.setCookie] });
      if (result.kind === "forbidden") return sendHtml(res, 403, renderForbidden(result.login, auth.teamNames, result.problems), { "set-cookie": clearState });
      return sendHtml(res, result.status, renderSignIn(`${DASHBOARD_PATH}/oauth/start`, result.message), { "set-cookie": clearState });
    }

    const access: Access = await auth.access(req, secure);
    if (access.kind === "anonymous") {
      const returnTo = safeReturn(`${path}${url.search}`);
      const location = `${DASHBOARD_PATH}/sign-in?return=${encodeURIComponent(returnTo)}${access.reason === "none" ? "" : `&notice=${access.reason}`}`;
      return redirect(res, location, access.clearCookie ? { "set-cookie": auth.clearSessionCookie(secure) } : {});
    }
    if (access.kind === "forbidden") {
      return sendHtml(res, 403, renderForbidden(access.login, auth.teamNames, access.problems), access.clearCookie ? { "set-cookie": auth.clearSessionCookie(secure) } : {});
    }
    if (access.kind === "unavailable") return sendHtml(res, 503, renderMessage("Try again in a moment", access.message));

    const viewer: Viewer = { login: access.session.login, teams: access.session.teams };
    const headers: Record<string, string> = access.setCookie ? { "set-cookie": access.setCookie } : {};
    let ready: boolean;
    try {
      ready = await indexReady();
    } catch {
      // Logged by the index (onError); the page says what a reader can do about it.
      return sendHtml(res, 503, renderMessage("The ledger cannot be read", "The evidence ledger's database cannot be read right now; the error is in the server's log. Try again in a moment.", viewer), { ...headers, "retry-after": "30" });
    }
    if (!ready) {
      const head = await source.head();
      const message = `The dashboard is reading the evidence ledger (${index.indexedThrough.toLocaleString("en")} of ${(head?.seq ?? 0).toLocaleString("en")} entries) after a restart. This page reloads by itself in 5 seconds.`;
      return sendHtml(res, 503, renderMessage("Reading the ledger", message, viewer), { ...headers, "retry-after": "5", refresh: "5" });
    }
    const now = clock();
    const context: ViewContext = { index, source, now, webBaseUrl: options.settings.webBaseUrl, ledgerStatus: async () => index.status(await lastAnchor().catch(() => null)) };

    if (path === DASHBOARD_PATH || path === `${DASHBOARD_PATH}/`) {
      const view = await buildOverview(context, periodFrom(url.searchParams, now), scopeFrom(url.searchParams));
      return sendHtml(res, 200, renderOverview(view, viewer), headers);
    }
    if (path === `${DASHBOARD_PATH}/follow-ups`) {
      const view = await buildFollowUps(context, periodFrom(url.searchParams, now), scopeFrom(url.searchParams), pageFrom(url.searchParams));
      return sendHtml(res, 200, renderFollowUps(view, viewer), headers);
    }
    if (path === `${DASHBOARD_PATH}/incidents`) {
      const view = await buildIncidents(context, periodFrom(url.searchParams, now), scopeFrom(url.searchParams), pageFrom(url.searchParams));
      return sendHtml(res, 200, renderIncidents(view, viewer), headers);
    }
    if (path === `${DASHBOARD_PATH}/audit`) {
      const period = periodFrom(url.searchParams, now);
      const scope = scopeFrom(url.searchParams);
      const report = scope.value.includes("/") ? await auditReportFromLedger(index, source, { repository: scope.value, since: new Date(period.since), until: new Date(period.until), now, webBaseUrl: options.settings.webBaseUrl }) : null;
      return sendHtml(res, 200, renderAudit({ period, scope, report, generatedAt: now.toISOString() }, viewer), headers);
    }
    const download = AUDIT_DOWNLOAD.exec(path);
    if (download) {
      const format = download[1] as AuditFormat;
      const period = periodFrom(url.searchParams, now);
      const scope = scopeFrom(url.searchParams);
      if (!scope.value.includes("/")) throw new BadRequest("the audit report is per repository: choose one (repo=owner/repo)");
      const report = await auditReportFromLedger(index, source, { repository: scope.value, since: new Date(period.since), until: new Date(period.until), now, webBaseUrl: options.settings.webBaseUrl });
      const filename = `audit-${scope.value.replace("/", "-")}-${period.sinceDay}-${period.untilDay}.${format}`;
      return send(res, 200, CONTENT_TYPES[format], renderAuditReport(report, format), { ...headers, "content-disposition": `attachment; filename="${filename}"` });
    }
    const change = CHANGE_PAGE.exec(path);
    if (change) {
      const repository = `${change[1]}/${change[2]}`.toLowerCase();
      const view = await buildChange(context, repository, Number(change[3]));
      return sendHtml(res, view.entries.length ? 200 : 404, renderChange(view, viewer), headers);
    }
    return sendHtml(res, 404, renderMessage("Not found", "There is no dashboard page at this address.", viewer), headers);
  }

  /** `repo`: "", an account, or owner/repo — matched to the ledger's (lower-case) names. */
  function scopeFrom(params: URLSearchParams): Scope {
    const value = (params.get("repo") ?? "").trim().toLowerCase();
    const parts = value ? value.split("/") : [];
    if (parts.length > 2 || !parts.every((p) => SAFE_NAME.test(p))) throw new BadRequest(`"${value.slice(0, 80)}" is not a repository (owner/repo) or an account name`);
    return { value, repositories: [...index.repositories].sort() };
  }

  return {
    handle,
    async close() {
      auth.close();
      await index.close();
    },
  };
}

function pageFrom(params: URLSearchParams): number {
  const text = params.get("page") ?? "1";
  if (!/^\d{1,6}$/.test(text)) throw new BadRequest(`"${text.slice(0, 20)}" is not a page number`);
  return Number(text);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.writeHead(405, { ...SECURITY_HEADERS, allow, "content-type": "text/plain; charset=utf-8" });
  res.end("Method not allowed\n");
}

/** A dashboard path to come back to after sign-in; anything else (another site, `//evil`, `/dashboard/../x`) becomes /dashboard. */
export function safeReturn(value: string | null): string {
  if (!value || value.length > 2000 || !value.startsWith("/") || value.startsWith("//") || /[\\\s]/.test(value)) return DASHBOARD_PATH;
  let url: URL;
  try {
    url = new URL(value, "http://dashboard.invalid");
  } catch {
    return DASHBOARD_PATH;
  }
  // The parser resolved dot segments (also %2e%2e) the way a browser would.
  const path = url.pathname;
  if (url.host !== "dashboard.invalid" || (path !== DASHBOARD_PATH && !path.startsWith(`${DASHBOARD_PATH}/`))) return DASHBOARD_PATH;
  if (/^\/dashboard\/(?:oauth|sign-in|sign-out)/.test(path)) return DASHBOARD_PATH;
  return `${path}${url.search}`;
}

function noticeOf(value: string | null): string | null {
  if (value === "ended") return "Your session has ended or could not be verified. Sign in again.";
  if (value === "recheck") return "Your team membership must be checked again: sign in.";
  return null;
}

/** A sign-out form posted from our own page (SameSite=Lax already keeps other sites' cookies off it). */
function sameOrigin(req: IncomingMessage, origin: string): boolean {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined) return site === "same-origin";
  const from = req.headers.origin;
  return from === undefined || from === origin;
}

/**
 * What src/server.ts needs: the dashboard when its settings are present, null when it is off; throws
 * (the server must refuse to start) when they are incomplete or the session secret is weak.
 *   const dashboard = dashboardFromEnv(env, { database: ledger, log });
 *   if (dashboard) server.addHandler(dashboard.handle);   // and `await dashboard?.close()` at shutdown
 */
export function dashboardFromEnv(env: Record<string, string | undefined>, deps: Omit<DashboardOptions, "settings">): Dashboard | null {
  return dashboardFromSettings(dashboardSettingsFromEnv(env), deps);
}

/** The same, from the settings src/settings.ts parsed at start-up (`settings.dashboard`). */
export function dashboardFromSettings(settings: DashboardSettings | null, deps: Omit<DashboardOptions, "settings">): Dashboard | null {
  return settings ? createDashboard({ settings, ...deps }) : null;
}
