// The audit report in three formats: Markdown for people (totals, exceptions, then the records),
// CSV for spreadsheets (one row per merged PR or incident) and JSON for tools (the whole structure).
import { tableCell } from "./markdown.js";
import { CHANGE_CLASSES } from "../config/schema.js";
import type { AuditedIncident, AuditedPull, AuditReport, EmergencyReviewStatus } from "../policy/audit.js";

export type AuditFormat = "md" | "csv" | "json";
export const AUDIT_FORMATS: readonly AuditFormat[] = ["md", "csv", "json"];

export function renderAuditReport(report: AuditReport, format: AuditFormat): string {
  if (format === "json") return `${JSON.stringify(report, null, 2)}\n`;
  if (format === "csv") return renderCsv(report);
  return renderMarkdown(report);
}

const REVIEW_STATUSES: EmergencyReviewStatus[] = ["on time", "late", "open", "overdue", "missing"];

export function renderMarkdown(r: AuditReport): string {
  const t = r.totals;
  const conclusions = Object.keys(t.byCheckConclusion).sort(byConclusion);
  const lines = [
    `# Change audit report: ${r.repository}`,
    "",
    `- **Period (merge time, UTC):** ${r.since} – ${r.until}`,
    r.source === "ledger"
      ? `- **Generated:** ${r.generatedAt}, from the evidence ledger (what the app recorded at each merge), compared with GitHub now`
      : `- **Generated:** ${r.generatedAt}, from GitHub's records (pull requests, reviews, check runs, issues)`,
    r.source === "ledger"
      ? `- **Policy:** ${r.policies.length ? r.policies.map((p) => `\`${p.baseRef}\`: ${p.source}`).join("; ") : "no pull request merged"} — each PR as judged at its merge`
      : `- **Policy:** ${r.policies.length ? r.policies.map((p) => `\`${p.baseRef}\`: ${p.source}`).join("; ") : "no pull request merged"} — each PR is classified with the policy on its base branch as it is now`,
    `- **GitHub API requests:** ${r.apiRequests}`,
    "",
    "## Totals",
    "",
    "| Measure | Count |",
    "| --- | ---: |",
    `| Merged pull requests | ${t.pulls} |`,
    ...CHANGE_CLASSES.map((c) => `| ${capitalize(c)} changes | ${t.byClass[c]} |`),
    ...conclusions.map((c) => `| Check at merge: ${c === "none" ? "no check" : `\`${c}\``} | ${t.byCheckConclusion[c]} |`),
    ...REVIEW_STATUSES.map((s) => `| Emergency reviews ${s} | ${t.emergencyReviews[s]} |`),
    `| Security incidents (open / closed) | ${t.incidents.total} (${t.incidents.open} / ${t.incidents.closed}) |`,
    "",
    "## Exceptions",
    "",
    ...(r.exceptions.length ? r.exceptions.map((e) => `- **${e.reference}** ${tableCell(e.detail)}`) : ["None."]),
    "",
    "## Merged pull requests",
    "",
  ];
  if (r.pulls.length === 0) lines.push("None in this period.");
  else {
    lines.push(
      "| PR | Merged (UTC) | Merged by | Class | Check at merge | Approvers (groups) | Sections present | Emergency review |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...r.pulls.map(
        (p) =>
          `| #${p.number} ${tableCell(p.title)} | ${p.mergedAt} | ${p.mergedBy ? `@${p.mergedBy}` : "—"} | ${p.changeClass} | ${p.checkConclusion === "none" ? "no check" : p.checkConclusion} | ${approversText(p) || "—"} | ${p.sectionsPresent.join(", ") || "—"} | ${reviewText(p)} |`,
      ),
    );
  }
  lines.push("", "## Security incidents", "");
  if (r.incidents.length === 0) lines.push("None in this period.");
  else {
    lines.push(
      "| Issue | Opened (UTC) | Kind | About | State | Title |",
      "| --- | --- | --- | --- | --- | --- |",
      ...r.incidents.map((i) => `| #${i.number} | ${i.createdAt} | ${kindText(i)} | ${i.subject ? `\`${i.subject.slice(0, 12)}\`` : "—"} | ${i.state}${i.closedAt ? ` ${i.closedAt}` : ""} | ${tableCell(i.title)} |`),
    );
  }
  return `${lines.join("\n")}\n`;
}

export const CSV_HEADER = [
  "record",
  "number",
  "title",
  "author",
  "merged_at",
  "merged_by",
  "class",
  "check_at_merge",
  "approvers",
  "approver_groups",
  "sections_present",
  "emergency_review",
  "emergency_review_status",
  "emergency_review_due",
  "incident_kind",
  "incident_subject",
  "state",
  "opened_at",
  "closed_at",
  "exceptions",
];

export function renderCsv(r: AuditReport): string {
  const exceptionsOf = (reference: string, incident: boolean) =>
    r.exceptions
      .filter((e) => e.reference === reference && (e.kind === "incident") === incident)
      .map((e) => e.kind)
      .join("; ");
  const rows: string[][] = [CSV_HEADER];
  for (const p of r.pulls) {
    const review = p.emergencyReview;
    rows.push([
      "pull_request",
      String(p.number),
      p.title,
      p.author,
      p.mergedAt,
      p.mergedBy ?? "",
      p.changeClass,
      p.checkConclusion,
      p.approvers.map((a) => a.login).join("; "),
      p.approvers.map((a) => `${a.login}: ${a.groups.join(" ") || "-"}`).join("; "),
      p.sectionsPresent.join("; "),
      review?.issue ? String(review.issue.number) : "",
      review?.status ?? "",
      review?.due ?? "",
      "",
      "",
      "merged",
      "",
      review?.issue?.closedAt ?? "",
      exceptionsOf(`#${p.number}`, false),
    ]);
  }
  for (const i of r.incidents) {
    rows.push(["incident", String(i.number), i.title, "", "", "", "", "", "", "", "", "", "", "", i.kind, i.subject ?? "", i.state, i.createdAt, i.closedAt ?? "", exceptionsOf(`#${i.number}`, true)]);
  }
  return rows.map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

/** RFC 4180 quoting; a leading =, +, - or @ is neutralised so a spreadsheet never runs a title as a formula. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function approversText(p: AuditedPull): string {
  return p.approvers.map((a) => `@${a.login}${a.groups.length ? ` (${a.groups.join(", ")})` : ""}`).join(", ");
}

function reviewText(p: AuditedPull): string {
  const review = p.emergencyReview;
  if (!review) return "—";
  if (!review.issue) return `missing (due ${review.due})`;
  return `#${review.issue.number} ${review.status}${review.issue.closedAt ? ` (closed ${review.issue.closedAt}, due ${review.due})` : ` (due ${review.due})`}`;
}

function kindText(i: AuditedIncident): string {
  return i.kind === "push" ? "direct push" : i.kind === "bypass" ? "bypassed check" : "filed by hand";
}

function byConclusion(a: string, b: string): number {
  const rank = (c: string) => (c === "success" ? 0 : c === "failure" ? 1 : c === "none" ? 3 : 2);
  return rank(a) - rank(b) || a.localeCompare(b);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

