// The frame of every dashboard page: header with navigation and who is signed in, the period and
// repository filter, and small shared pieces (times, badges). No script anywhere.
import type { Period, Scope, Viewer } from "../../dashboard/view-models.js";
import { href, html, type HtmlValue, type SafeHtml } from "./html.js";

export const DASHBOARD_PATH = "/dashboard";
export const STYLESHEET_PATH = `${DASHBOARD_PATH}/assets/dashboard.css`;

export type Section = "overview" | "follow-ups" | "incidents" | "audit" | "change" | null;

export interface PageOptions {
  title: string;
  viewer: Viewer | null;
  section?: Section;
  /** Query values kept by the navigation links (scope and period). */
  query?: Record<string, string>;
  body: SafeHtml;
}

const NAV: { section: Exclude<Section, null | "change">; label: string; path: string }[] = [
  { section: "overview", label: "Overview", path: DASHBOARD_PATH },
  { section: "follow-ups", label: "Follow-ups", path: `${DASHBOARD_PATH}/follow-ups` },
  { section: "incidents", label: "Incidents", path: `${DASHBOARD_PATH}/incidents` },
  { section: "audit", label: "Audit report", path: `${DASHBOARD_PATH}/audit` },
];

export function page(options: PageOptions): string {
  const nav = options.viewer
    ? html`<nav aria-label="Dashboard">${NAV.map(
        (item) => html`<a href="${href(item.path, options.query ?? {})}"${item.section === options.section ? html` aria-current="page"` : html``}>${item.label}</a>`,
      )}</nav>
<div class="who"><span>Signed in as <strong>@${options.viewer.login}</strong></span>
<form method="post" action="${DASHBOARD_PATH}/sign-out"><button type="submit">Sign out</button></form></div>`
    : html``;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · Change Policy dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<header class="top"><a class="brand" href="${DASHBOARD_PATH}">Change Policy · compliance dashboard</a>${nav}</header>
<main id="main">
${options.body}
</main>
</body>
</html>
`.value;
}

/** `2026-11-24 12:00 UTC` (minutes are what people compare; the full time is in the title attribute). */
export function time(iso: string | null | undefined): SafeHtml {
  if (!iso) return html`<span class="muted">—</span>`;
  const text = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso;
  return html`<time datetime="${iso}" title="${iso}">${text}</time>`;
}

export function badge(text: string, tone: string): SafeHtml {
  return html`<span class="badge ${tone}">${text}</span>`;
}

export function conclusionBadge(conclusion: string | null): SafeHtml {
  if (!conclusion) return badge("no check", "bad");
  return badge(conclusion, conclusion === "success" ? "success" : "failure");
}

export function percent(part: number, whole: number): string {
  if (whole === 0) return "—";
  const value = (part / whole) * 100;
  return `${value >= 99.95 || value === 0 ? value.toFixed(0) : value.toFixed(1)} %`;
}

export function pullLink(repository: string, number: number, label?: HtmlValue): SafeHtml {
  return html`<a href="${`${DASHBOARD_PATH}/${repository.split("/").map(encodeURIComponent).join("/")}/pull/${number}`}">${label ?? `${repository}#${number}`}</a>`;
}

/** The period and repository picker: a plain GET form (works without JavaScript). */
export function filters(action: string, period: Period, scope: Scope, options: { requireRepository?: boolean } = {}): SafeHtml {
  const owners = [...new Set(scope.repositories.map((r) => r.split("/")[0]!))].sort();
  const option = (value: string, label: string) => html`<option value="${value}"${value.toLowerCase() === scope.value.toLowerCase() ? html` selected` : html``}>${label}</option>`;
  return html`<form class="filters" method="get" action="${action}" aria-label="Choose the period and repositories">
<label>Repositories<select name="repo">
${options.requireRepository ? option("", "Choose a repository…") : option("", "All repositories")}
${options.requireRepository ? html`` : owners.map((o) => option(o, `${o} (all repositories)`))}
${scope.repositories.map((r) => option(r, r))}
</select></label>
<label>From (UTC)<input type="date" name="since" value="${period.sinceDay}" required></label>
<label>To, included (UTC)<input type="date" name="until" value="${period.untilDay}" required></label>
<button type="submit">Show</button>
</form>`;
}

export function scopeLabel(scope: Scope): string {
  if (!scope.value) return "all repositories";
  return scope.value.includes("/") ? scope.value : `all repositories of ${scope.value}`;
}
