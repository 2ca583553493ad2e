// The dashboard's pages, from view models (src/dashboard/view-models.ts) to HTML. Every value passes
// through `html`…`` and is escaped; nothing here reads the ledger or GitHub.
import type {
  AuditView,
  ChangeView,
  FollowUpRow,
  FollowUpsView,
  IncidentRow,
  IncidentsView,
  LedgerStatus,
  OverviewView,
  Paging,
  Period,
  Scope,
  Viewer,
} from "../../dashboard/view-models.js";
import { CLASS_NAMES } from "../../dashboard/view-models.js";
import { mergesPerWeekChart, weeksTable } from "./chart.js";
import { href, html, safeExternalUrl, type SafeHtml } from "./html.js";
import { conclusionBadge, DASHBOARD_PATH, filters, page, percent, pullLink, scopeLabel, time } from "./layout.js";

/** The audit page lists this many rows per table; the downloads hold everything. */
const AUDIT_PAGE_ROWS = 300;

function query(period: Period, scope: Scope): Record<string, string> {
  return { ...(scope.value ? { repo: scope.value } : {}), since: period.sinceDay, until: period.untilDay };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function card(value: string | number, label: string, alert = false): SafeHtml {
  return html`<div class="card${alert ? " alert" : ""}"><span class="value">${value}</span><span class="label">${label}</span></div>`;
}

function issueLink(issue: string | null, url: string | null): SafeHtml {
  if (!issue) return html`<span class="muted">none opened</span>`;
  const safe = safeExternalUrl(url);
  return safe ? html`<a href="${safe}">${issue}</a>` : html`${issue}`;
}

// ---------------------------------------------------------------------------------------------
// Overview

export function renderOverview(view: OverviewView, viewer: Viewer): string {
  const t = view.totals;
  const overdue = view.overdueFollowUps;
  const open = view.openFollowUps;
  const more = (shown: number, total: number, path: string, what: string) =>
    total > shown ? html`<p>${shown} of ${total} shown: <a href="${href(path, query(view.period, view.scope))}">all ${total} ${what}</a>.</p>` : html``;
  const body = html`<h1>Overview: ${scopeLabel(view.scope)}</h1>
<p class="lead">Merges recorded in the evidence ledger, ${view.period.label} (${time(view.period.since)} – ${time(view.period.until)}). Generated ${time(view.generatedAt)}.</p>
${filters(DASHBOARD_PATH, view.period, view.scope)}
<section aria-labelledby="totals-h"><h2 id="totals-h">Merges in the period</h2>
<div class="cards">
${card(t.merges, "merged pull requests")}
${CLASS_NAMES.map((c) => card(t.byClass[c], `${c} changes`))}
${t.byClass.other ? card(t.byClass.other, "unclassified") : html``}
${card(percent(t.passing, t.merges), `merged with a passing check (${t.passing} of ${t.merges})`, t.passing < t.merges)}
${card(percent(t.emergency, t.merges), `emergency ratio (${t.emergency} of ${t.merges})`)}
${card(open, "open follow-ups")}
${card(overdue, "overdue follow-ups", overdue > 0)}
${card(view.incidentCount, "security incidents", view.incidentCount > 0)}
</div>
<figure class="chart">${mergesPerWeekChart(view.weeks)}<figcaption>Merges per week by class (weeks start on Monday, UTC).</figcaption></figure>
<details><summary>The chart's numbers as a table</summary>${weeksTable(view.weeks)}</details>
</section>
<section aria-labelledby="repos-h"><h2 id="repos-h">By repository</h2>
${view.repositories.length === 0 ? html`<p>No repository has entries in this period.</p>` : repositoriesTable(view)}
</section>
<section aria-labelledby="followups-h"><h2 id="followups-h">Open follow-ups (post-implementation reviews)</h2>
${followUpsTable(view.followUps, "No open follow-up.")}
${more(view.followUps.length, open, `${DASHBOARD_PATH}/follow-ups`, "open follow-ups")}
</section>
<section aria-labelledby="incidents-h"><h2 id="incidents-h">Security incidents in the period</h2>
${incidentsTable(view.incidents)}
${more(view.incidents.length, view.incidentCount, `${DASHBOARD_PATH}/incidents`, "incidents")}
</section>
<section aria-labelledby="ledger-h"><h2 id="ledger-h">Evidence ledger</h2>
${ledgerStatus(view.ledger)}
</section>`;
  return page({ title: "Overview", viewer, section: "overview", query: query(view.period, view.scope), body });
}

function repositoriesTable(view: OverviewView): SafeHtml {
  return html`<table class="repositories"><thead><tr><th>Repository</th><th class="num">Merges</th>${CLASS_NAMES.map((c) => html`<th class="num">${capitalize(c)}</th>`)}<th class="num">Passing check at merge</th><th class="num">Emergency ratio</th><th class="num">Open follow-ups</th><th class="num">Overdue</th><th class="num">Incidents</th></tr></thead>
<tbody>${view.repositories.map(
    (r) => html`<tr${r.overdueFollowUps > 0 ? html` class="overdue"` : html``}><th scope="row"><a href="${href(DASHBOARD_PATH, { repo: r.repository, since: view.period.sinceDay, until: view.period.untilDay })}">${r.repository}</a></th>
<td class="num">${r.merges}</td>${CLASS_NAMES.map((c) => html`<td class="num">${r.byClass[c]}</td>`)}
<td class="num">${percent(r.passing, r.merges)}</td><td class="num">${percent(r.emergency, r.merges)}</td>
<td class="num">${r.openFollowUps}</td><td class="num">${r.overdueFollowUps}</td><td class="num">${r.incidents}</td></tr>`,
  )}</tbody></table>`;
}

function followUpsTable(rows: FollowUpRow[], empty: string): SafeHtml {
  if (rows.length === 0) return html`<p>${empty}</p>`;
  return html`<table class="follow-ups"><thead><tr><th>Status</th><th>Due (UTC)</th><th>Change</th><th>Follow-up issue</th><th>Last event</th></tr></thead>
<tbody>${rows.map(
    (f) => html`<tr class="${f.status === "overdue" ? "overdue" : f.status === "open" ? "open" : "done"}"><td>${f.status === "overdue" ? html`<strong>OVERDUE</strong>` : f.status}</td>
<td>${time(f.dueAt)}</td><td>${pullLink(f.repository, f.pullNumber)}${f.title ? html` ${f.title}` : html``}</td><td>${issueLink(f.issue, f.issueUrl)}</td><td>${f.lastEvent} ${time(f.lastEventAt)}</td></tr>`,
  )}</tbody></table>`;
}

function incidentsTable(rows: IncidentRow[]): SafeHtml {
  if (rows.length === 0) return html`<p>None recorded in this period.</p>`;
  return html`<table class="incidents"><thead><tr><th>Recorded (UTC)</th><th>Repository</th><th>What</th><th>Issue</th><th>Reason</th></tr></thead>
<tbody>${rows.map(
    (i) => html`<tr><td>${time(i.recordedAt)}</td><td>${i.repository}</td>
<td>${i.type === "push" ? html`direct push${i.branch ? html` to <code>${i.branch}</code>` : html``}${i.pusher ? html` by @${i.pusher}` : html``} (<code>${i.subject.replace(/^push /, "")}</code>)` : i.type === "bypass" && i.pullNumber !== null ? html`merged without a passing check: ${pullLink(i.repository, i.pullNumber)}` : i.subject}</td>
<td>${issueLink(i.issue, i.issueUrl)}</td><td>${i.reason}</td></tr>`,
  )}</tbody></table>`;
}

function ledgerStatus(status: LedgerStatus): SafeHtml {
  const verification = status.problem
    ? html`<p class="notice bad"><strong>Verification failed:</strong> ${status.problem}</p>`
    : status.verifiedThrough !== null
      ? html`<p class="notice">The hash chain is intact from its start through <strong>seq ${status.verifiedThrough}</strong> (checked ${time(status.verifiedAt)}).</p>`
      : html`<p class="notice">The hash chain has not been verified yet in this process.</p>`;
  const anchor = status.lastAnchor
    ? html`seq ${status.lastAnchor.seq}, ${time(status.lastAnchor.at)}${safeExternalUrl(status.lastAnchor.url) ? html` (<a href="${safeExternalUrl(status.lastAnchor.url)!}">the anchor comment</a>)` : html``}`
    : html`<span class="muted">none recorded (set LEDGER_ANCHOR_REPOSITORY to anchor the chain daily on GitHub)</span>`;
  return html`${verification}<dl class="facts"><dt>Entries</dt><dd>${status.entries}</dd>
<dt>Newest entry</dt><dd>${status.headSeq === null ? html`<span class="muted">the ledger is empty</span>` : html`seq ${status.headSeq} <code>${(status.headHash ?? "").slice(0, 16)}</code>`}</dd>
<dt>Last anchor</dt><dd>${anchor}</dd></dl>`;
}

// ---------------------------------------------------------------------------------------------
// Follow-ups and incidents

/** "Rows 101–200 of 2,345" with links to the pages before and after (plain links: no script). */
function pager(path: string, period: Period, scope: Scope, paging: Paging): SafeHtml {
  if (paging.total <= paging.pageSize) return html``;
  const first = (paging.page - 1) * paging.pageSize + 1;
  const last = Math.min(paging.total, paging.page * paging.pageSize);
  const link = (page: number, label: string) => html`<a href="${href(path, { ...query(period, scope), page })}">${label}</a>`;
  return html`<nav class="pager" aria-label="Pages"><span>Rows ${first}–${last} of ${paging.total}</span>${paging.page > 1 ? link(paging.page - 1, "← previous") : html``}${last < paging.total ? link(paging.page + 1, "next →") : html``}</nav>`;
}

export function renderFollowUps(view: FollowUpsView, viewer: Viewer): string {
  const overdue = view.overdue;
  const path = `${DASHBOARD_PATH}/follow-ups`;
  const body = html`<h1>Follow-ups: ${scopeLabel(view.scope)}</h1>
<p class="lead">Post-implementation reviews of merged changes: every open one (overdue first, then by due time), then those completed in ${view.period.label}. Generated ${time(view.generatedAt)}.</p>
${filters(`${DASHBOARD_PATH}/follow-ups`, view.period, view.scope)}
${overdue > 0 ? html`<p class="notice bad"><strong>${overdue} overdue</strong> follow-up${overdue === 1 ? " is" : "s are"} past ${overdue === 1 ? "its" : "their"} due time.</p>` : html``}
${followUpsTable(view.rows, "No follow-up is open and none was completed in this period.")}
${pager(path, view.period, view.scope, view.paging)}`;
  return page({ title: "Follow-ups", viewer, section: "follow-ups", query: query(view.period, view.scope), body });
}

export function renderIncidents(view: IncidentsView, viewer: Viewer): string {
  const body = html`<h1>Security incidents: ${scopeLabel(view.scope)}</h1>
<p class="lead">Unauthorized changes the app recorded in ${view.period.label}: pushes outside a merged pull request and merges without a passing check. Generated ${time(view.generatedAt)}.</p>
${filters(`${DASHBOARD_PATH}/incidents`, view.period, view.scope)}
${incidentsTable(view.rows)}
${pager(`${DASHBOARD_PATH}/incidents`, view.period, view.scope, view.paging)}`;
  return page({ title: "Incidents", viewer, section: "incidents", query: query(view.period, view.scope), body });
}

// ---------------------------------------------------------------------------------------------
// One change

export function renderChange(view: ChangeView, viewer: Viewer): string {
  const m = view.merge;
  const title = `${view.repository}#${view.number}`;
  const body = html`<h1>${title}${view.title ? html`: ${view.title}` : html``}</h1>
<p class="lead">Everything the evidence ledger holds about this pull request. Generated ${time(view.generatedAt)}.</p>
${m ? mergeSection(view) : html`<p class="notice">No merge of this pull request is recorded${view.latestCheck ? html`; its newest check is ${conclusionBadge(view.latestCheck.conclusion)} ${view.latestCheck.title}` : html``}.</p>`}
<section aria-labelledby="now-h"><h2 id="now-h">What differs now</h2>
${differencesSection(view)}
</section>
${view.followUps.length ? html`<section aria-labelledby="fu-h"><h2 id="fu-h">Follow-up</h2>${followUpsTable(view.followUps, "")}</section>` : html``}
${view.incidents.length ? html`<section aria-labelledby="inc-h"><h2 id="inc-h">Incidents</h2>${incidentsTable(view.incidents)}</section>` : html``}
<section aria-labelledby="entries-h"><h2 id="entries-h">Ledger entries, in order</h2>
${view.entries.length === 0 ? html`<p>The ledger has no entry for this pull request.</p>` : html`<table class="entries"><thead><tr><th class="num">seq</th><th>Recorded (UTC)</th><th>Kind</th><th>What</th><th>Hash</th></tr></thead>
<tbody>${view.entries.map((e) => html`<tr><td class="num">${e.seq}</td><td>${time(e.recordedAt)}</td><td>${e.kind}</td><td>${e.summary}</td><td><code>${e.hash.slice(0, 12)}</code></td></tr>`)}</tbody></table>`}
</section>`;
  return page({ title, viewer, section: "change", body });
}

function mergeSection(view: ChangeView): SafeHtml {
  const m = view.merge!;
  return html`<section aria-labelledby="merge-h"><h2 id="merge-h">At merge</h2>
<dl class="facts">
<dt>Merged</dt><dd>${time(m.mergedAt)}${m.mergedBy ? html` by @${m.mergedBy}` : html``}${m.baseRef ? html` into <code>${m.baseRef}</code>` : html``}</dd>
<dt>Author</dt><dd>${m.author ? `@${m.author}` : "—"}</dd>
<dt>Class</dt><dd>${capitalize(m.changeClass)} change</dd>
<dt>Change Policy check at merge</dt><dd>${conclusionBadge(m.checkConclusion)}</dd>
<dt>Labels</dt><dd>${m.labels.length ? m.labels.map((l, i) => html`${i ? ", " : ""}<code>${l}</code>`) : html`<span class="muted">none</span>`}</dd>
<dt>Head / merge commit</dt><dd><code>${(m.headSha ?? "—").slice(0, 12)}</code> / <code>${(m.mergeCommitSha ?? "—").slice(0, 12)}</code></dd>
<dt>Policy file (blob)</dt><dd><code>${m.policyBlobSha ? m.policyBlobSha.slice(0, 12) : "none"}</code></dd>
<dt>Description SHA-256</dt><dd><code>${m.descriptionSha256 ?? "not recorded"}</code></dd>
</dl>
<h3>Approvers and the groups they counted for</h3>
${m.approvals.length === 0 ? html`<p>No approval recorded.</p>` : html`<table class="approvals"><thead><tr><th>Reviewer</th><th>Counted</th><th>Groups</th><th>Why not</th></tr></thead>
<tbody>${m.approvals.map((a) => html`<tr><td>@${a.reviewer}</td><td>${a.counted ? html`<span class="ok">yes</span>` : html`<span class="bad">no</span>`}</td><td>${a.groups.length ? a.groups.join(", ") : html`<span class="muted">peer approval</span>`}</td><td>${a.reason ?? ""}</td></tr>`)}</tbody></table>`}
${m.requirements.length ? html`<h3>Requirements at merge</h3><ul class="requirements">${m.requirements.map((r) => html`<li>${r.met ? html`<span class="ok">met</span>` : html`<span class="bad">missing</span>`} ${r.name}${r.detail ? html` <span class="muted">— ${r.detail}</span>` : html``}</li>`)}</ul>` : html``}
<h3>The Request for Change as read at merge</h3>
${m.sections.length === 0 ? html`<p class="muted">No section was found in the description.</p>` : m.sections.map((s) => html`<h4>${s.heading}</h4><pre>${s.text}</pre>`)}
${m.fields.length ? html`<dl class="facts">${m.fields.map((f) => html`<dt>${f.name}</dt><dd>${f.value}</dd>`)}</dl>` : html``}
${m.checked.length ? html`<p>Checked: ${m.checked.join(", ")}</p>` : html``}
</section>`;
}

function differencesSection(view: ChangeView): SafeHtml {
  if (!view.merge) return html`<p class="muted">Nothing to compare: no merge is recorded.</p>`;
  const after = view.newestAfterMerge;
  const basis = after
    ? html`<p class="lead">Compared with the app's newest evaluation after the merge (seq ${after.seq}, ${time(after.recordedAt)}), as recorded in the ledger — not with a request to GitHub.</p>`
    : html`<p class="lead">The app has not evaluated this pull request since the merge (an edit of its description or labels would have been re-evaluated and recorded).</p>`;
  if (view.differences.length === 0) return html`${basis}<p class="ok">No difference recorded since the merge.</p>`;
  return html`${basis}<ul class="diffs">${view.differences.map(
    (d) => html`<li><strong class="bad">${d.what}</strong>: at merge ${d.atMerge}; now ${d.now} <span class="muted">(seq ${d.seq}, ${time(d.recordedAt)})</span></li>`,
  )}</ul>`;
}

// ---------------------------------------------------------------------------------------------
// Audit

export function renderAudit(view: AuditView, viewer: Viewer): string {
  const r = view.report;
  const download = (format: string) => href(`${DASHBOARD_PATH}/audit.${format}`, { repo: view.scope.value, since: view.period.sinceDay, until: view.period.untilDay });
  const body = html`<h1>Audit report${r ? html`: ${r.repository}` : html``}</h1>
<p class="lead">The same report as <code>change-policy audit --from-ledger</code> prints: from the evidence ledger, each merge as recorded at merge, for merges in ${view.period.label}.</p>
${filters(`${DASHBOARD_PATH}/audit`, view.period, view.scope, { requireRepository: true })}
${
  !r
    ? html`<p class="notice">Choose a repository: the audit report is per repository, as the command line's.</p>`
    : html`<div class="downloads" aria-label="Download"><a class="button" href="${download("md")}" download>Download Markdown</a><a class="button" href="${download("csv")}" download>Download CSV</a><a class="button" href="${download("json")}" download>Download JSON</a></div>
<div class="cards">${card(r.totals.pulls, "merged pull requests")}${CLASS_NAMES.map((c) => card(r.totals.byClass[c], `${c} changes`))}${card(r.exceptions.length, "exceptions", r.exceptions.length > 0)}${card(r.totals.incidents.total, "security incidents", r.totals.incidents.total > 0)}</div>
<h2>Exceptions</h2>
${r.exceptions.length === 0 ? html`<p>None.</p>` : html`<ul class="exceptions">${r.exceptions.map((e) => html`<li><strong>${e.reference}</strong> ${e.detail}</li>`)}</ul>`}
<h2>Merged pull requests</h2>
${r.pulls.length === 0 ? html`<p>None in this period.</p>` : html`<table class="audit-pulls"><thead><tr><th>PR</th><th>Merged (UTC)</th><th>Merged by</th><th>Class</th><th>Check at merge</th><th>Approvers (groups)</th><th>Sections present</th><th>Emergency review</th></tr></thead>
<tbody>${r.pulls.slice(0, AUDIT_PAGE_ROWS).map(
          (p) => html`<tr${p.emergencyReview?.status === "overdue" ? html` class="overdue"` : html``}><td>${pullLink(r.repository, p.number, `#${p.number}`)} ${p.title}</td><td>${time(p.mergedAt)}</td><td>${p.mergedBy ? `@${p.mergedBy}` : "—"}</td><td>${p.changeClass}</td>
<td>${conclusionBadge(p.checkConclusion === "none" ? null : p.checkConclusion)}</td><td>${p.approvers.map((a, i) => html`${i ? ", " : ""}@${a.login}${a.groups.length ? ` (${a.groups.join(", ")})` : ""}`)}</td>
<td>${p.sectionsPresent.join(", ") || "—"}</td><td>${p.emergencyReview ? html`${p.emergencyReview.status} (due ${time(p.emergencyReview.due)})` : "—"}</td></tr>`,
        )}</tbody></table>${r.pulls.length > AUDIT_PAGE_ROWS ? html`<p>The first ${AUDIT_PAGE_ROWS} of ${r.pulls.length} are shown; the downloads hold all of them.</p>` : html``}`}
<h2>Security incidents</h2>
${r.incidents.length === 0 ? html`<p>None in this period.</p>` : html`<table><thead><tr><th>Issue</th><th>Opened (UTC)</th><th>Kind</th><th>About</th><th>State</th><th>Title</th></tr></thead>
<tbody>${r.incidents.slice(0, AUDIT_PAGE_ROWS).map((i) => html`<tr><td>${safeExternalUrl(i.url) ? html`<a href="${safeExternalUrl(i.url)!}">#${i.number}</a>` : `#${i.number}`}</td><td>${time(i.createdAt)}</td><td>${i.kind}</td><td>${i.subject ?? "—"}</td><td>${i.state}</td><td>${i.title}</td></tr>`)}</tbody></table>`}`
}`;
  return page({ title: "Audit report", viewer, section: "audit", query: query(view.period, view.scope), body });
}

// ---------------------------------------------------------------------------------------------
// Sign-in and refusals

export function renderSignIn(startHref: string, notice: string | null): string {
  const body = html`<div class="center"><h1>Compliance dashboard</h1>
<p>The change-management evidence of this organisation: merges, follow-ups, incidents and the audit report.</p>
${notice ? html`<p class="notice">${notice}</p>` : html``}
<p><a class="button" href="${startHref}">Sign in with GitHub</a></p>
<p class="muted">Only members of the teams named in the app's DASHBOARD_TEAMS setting can see it.</p></div>`;
  return page({ title: "Sign in", viewer: null, body });
}

export function renderForbidden(login: string, teams: string[], problems: string[]): string {
  const body = html`<div class="center"><h1>You cannot see this dashboard</h1>
<p>You are signed in as <strong>@${login}</strong>, who is not an active member of any team allowed to see it.</p>
<p>It is open to members of:</p><ul>${teams.map((t) => html`<li><code>${t}</code></li>`)}</ul>
${problems.length ? html`<p class="notice bad">GitHub could not confirm some memberships: ${problems.join("; ")}.</p>` : html``}
<p>Ask an owner of one of these teams to add you, then <a href="${DASHBOARD_PATH}/sign-in">sign in again</a>.</p>
<form method="post" action="${DASHBOARD_PATH}/sign-out"><button type="submit">Sign out</button></form></div>`;
  return page({ title: "Not allowed", viewer: null, body });
}

export function renderMessage(title: string, message: string, viewer: Viewer | null = null): string {
  const body = html`<div class="center"><h1>${title}</h1><p>${message}</p><p><a href="${DASHBOARD_PATH}">Back to the dashboard</a></p></div>`;
  return page({ title, viewer, body });
}
