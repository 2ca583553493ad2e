// `change-policy audit`: the quarterly audit report (policy §10, SPEC §5) from GitHub's own records.
// Cost: one GraphQL search per 25 merged PRs (PRs, reviews, labels, files, check at merge), one or
// two reads of the policy per base branch, one listing per team, one listing of follow-up issues
// and one of incident issues; REST pages only for PRs with over 100 files/reviews or renames.
import { isoUtc } from "../policy/time.js";
import type { Command } from "commander";
import { Option } from "commander";
import { isValid, parseISO } from "date-fns";
import type { ProbotOctokit } from "probot";
import { defaultConfig, type Config } from "../config/schema.js";
import type { GitHubClient } from "../github/client.js";
import { loadPolicyConfig } from "../github/config.js";
import { listIssuesWithLabel, type IssueRecord } from "../github/issue-history.js";
import { listMergedPulls } from "../github/merged-pulls.js";
import { readGroupMembers } from "../github/groups.js";
import {
  auditExceptions,
  auditIncidents,
  auditPull,
  auditTotals,
  type AuditReport,
} from "../policy/audit.js";
import { classifyChange } from "../policy/classify.js";
import { incidentRepository } from "../policy/incidents.js";
import { followUpMarker, followUpRepository } from "../policy/post-review.js";
import { AUDIT_FORMATS, renderAuditReport, type AuditFormat } from "../render/audit-report.js";
import { openLedgerDatabase } from "../ledger/database.js";
import { readLedgerSettings } from "../ledger/settings.js";
import { auditReportFromDatabase, type GitHubNow, type PullNow } from "../services/audit-report.js";
import { createGitHubClient } from "./github-client.js";
import { EXIT, processIO, type CliIO } from "./io.js";
import { parseRepo } from "./sweep.js";

export interface AuditOptions {
  owner: string;
  repo: string;
  since: Date;
  until: Date;
  /** The clock (whether an open emergency review is overdue); tests pass a fixed one. */
  now?: Date;
  /** Only this app's `Change Policy` check runs count (APP_ID); otherwise any check of that name. */
  appId?: number;
  progress?: (message: string) => void;
}

interface Policy {
  config: Config;
  source: string;
  /** The policy file's blob sha (what a ledger `merge` entry records); null when there is none. */
  blobSha: string | null;
}

export async function buildAuditReport(octokit: GitHubClient, options: AuditOptions): Promise<AuditReport> {
  const now = options.now ?? new Date();
  const progress = options.progress ?? (() => {});
  const where = { owner: options.owner, repo: options.repo };
  let requests = 0;
  octokit.hook.before("request", () => {
    requests++;
  });

  const policies = new Map<string, Promise<Policy>>();
  const policyAt = (ref: string | undefined) => {
    const key = ref ?? "";
    if (!policies.has(key)) policies.set(key, readPolicy(octokit, { ...where, ...(ref ? { ref } : {}) }));
    return policies.get(key)!;
  };

  progress(`Listing pull requests of ${options.owner}/${options.repo} merged ${isoUtc(options.since)} – ${isoUtc(options.until)}…`);
  const merged = await listMergedPulls(octokit, { ...where, since: options.since, until: options.until, appId: options.appId, progress });
  progress(`${merged.length} merged pull requests; reading policies and group members…`);

  const groupMembers = new Map<string, Record<string, string[]>>();
  const withGroups = async (config: Config, key: string) => {
    if (!groupMembers.has(key)) {
      groupMembers.set(key, await readGroupMembers(octokit, config));
    }
    return groupMembers.get(key)!;
  };

  const current = await policyAt(undefined);
  // Follow-up issues of emergency changes: one listing per (repository, label) of the period.
  const followUps = new Map<string, Promise<IssueRecord[]>>();
  const followUpsIn = (config: Config) => {
    const post = config.classes.emergency.post_review;
    const target = followUpRepository(post, where);
    const label = post.labels[0];
    const key = `${target.owner}/${target.repo}:${label ?? ""}`;
    if (!followUps.has(key)) followUps.set(key, label ? listIssuesWithLabel(octokit, target, label, options.since) : Promise.resolve([]));
    return followUps.get(key)!;
  };

  const pulls = [];
  for (const [index, { snapshot, check }] of merged.entries()) {
    const policy = await policyAt(snapshot.baseRef);
    const groups = await withGroups(policy.config, `${snapshot.baseRef}`);
    const pr = { ...snapshot, groups };
    const config = policy.config;
    let followUp: IssueRecord | null = null;
    if (classifyChange(config, pr).changeClass === "emergency") {
      const marker = followUpMarker({ ...where, number: pr.number });
      followUp = (await followUpsIn(config)).filter((i) => i.body.includes(marker)).sort((a, b) => a.number - b.number)[0] ?? null;
    }
    pulls.push(auditPull(config, pr, check, followUp, now));
    if ((index + 1) % 25 === 0) progress(`audited ${index + 1} of ${merged.length} pull requests`);
  }

  const incidentLabel = current.config.incidents.labels[0];
  const incidentTarget = incidentRepository(current.config, where);
  const incidentIssues = incidentLabel ? await listIssuesWithLabel(octokit, incidentTarget, incidentLabel, options.since) : [];
  const sameRepository = incidentTarget.owner.toLowerCase() === where.owner.toLowerCase() && incidentTarget.repo.toLowerCase() === where.repo.toLowerCase();
  const incidents = auditIncidents(incidentIssues, where, sameRepository, options.since, options.until);
  progress(`Done: ${pulls.length} pull requests, ${incidents.length} incidents, ${requests} GitHub API requests.`);

  const usedRefs = [...new Set(pulls.length ? merged.map((m) => m.snapshot.baseRef) : [])].sort();
  return {
    repository: `${options.owner}/${options.repo}`,
    since: isoUtc(options.since),
    until: isoUtc(options.until),
    generatedAt: isoUtc(now),
    policies: await Promise.all(usedRefs.map(async (baseRef) => ({ baseRef, source: (await policyAt(baseRef)).source }))),
    totals: auditTotals(pulls, incidents),
    exceptions: auditExceptions(pulls, incidents),
    pulls,
    incidents,
    apiRequests: requests,
  };
}

async function readPolicy(octokit: GitHubClient, where: { owner: string; repo: string; ref?: string }): Promise<Policy> {
  const lookup = await loadPolicyConfig(octokit, where);
  if (lookup.kind === "ok") return { config: lookup.config, source: lookup.sources.join(" ← "), blobSha: lookup.blobSha };
  if (lookup.kind === "none") return { config: defaultConfig(), source: "no policy file (the defaults were used)", blobSha: null };
  return { config: defaultConfig(), source: `invalid policy in ${lookup.sources.join(", ")} (the defaults were used; run \`change-policy validate\`)`, blobSha: lookup.blobSha };
}

/** `YYYY-MM-DD` means the whole day in UTC (since: its start; until: its end); a full ISO time is taken as is. */
export function parseAuditDate(text: string, end: "start" | "end"): Date {
  const trimmed = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) {
    const day = parseISO(`${trimmed}T00:00:00Z`);
    if (!isValid(day)) throw new Error(`"${text}" is not a valid date; write it as YYYY-MM-DD, e.g. 2026-07-01`);
    return end === "start" ? day : new Date(day.getTime() + 86_400_000 - 1000);
  }
  const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(trimmed) ? parseISO(trimmed) : new Date(NaN);
  if (!isValid(time)) throw new Error(`"${text}" is not a valid date; write it as YYYY-MM-DD (e.g. 2026-07-01) or an ISO 8601 time with a zone (2026-07-01T00:00:00Z)`);
  return time;
}

export interface AuditArgs {
  repo: string;
  since: string;
  until: string;
  format: AuditFormat;
  token?: string;
  /** From the evidence ledger (what was true at merge) instead of GitHub: the dashboard's report. */
  fromLedger?: boolean;
}

export interface AuditDeps {
  /** Tests pass a client against nock; by default it comes from the credentials (src/cli/github-client.ts). */
  client?: GitHubClient;
  now?: () => Date;
  Octokit?: typeof ProbotOctokit;
}

/** Prints the report on stdout and progress on stderr; exit 0, or 2 when the report could not be built. */
export async function runAudit(args: AuditArgs, io: CliIO, deps: AuditDeps = {}): Promise<number> {
  try {
    const { owner, repo } = parseRepo(args.repo);
    const since = parseAuditDate(args.since, "start");
    const until = parseAuditDate(args.until, "end");
    if (since.getTime() > until.getTime()) throw new Error(`--since (${isoUtc(since)}) is after --until (${isoUtc(until)})`);
    const client = async () => deps.client ?? (await createGitHubClient(io, { owner, repo, ...(args.token ? { token: args.token } : {}), ...(deps.Octokit ? { Octokit: deps.Octokit } : {}) }));
    if (args.fromLedger) {
      // GitHub now, when there are credentials: what changed after each merge, and merges the ledger missed.
      const credentials = deps.client !== undefined || Boolean(args.token || io.env.GITHUB_TOKEN || io.env.APP_ID);
      const github = credentials ? githubNow(await client(), { owner, repo, since, until, progress: (message) => io.err(message) }) : undefined;
      const report = await ledgerAuditReport(io, { owner, repo, since, until, now: (deps.now ?? (() => new Date()))(), github });
      io.out(renderAuditReport(report, args.format).replace(/\r?\n$/, ""));
      return EXIT.ok;
    }
    const appId = Number(io.env.APP_ID);
    const octokit = await client();
    const report = await buildAuditReport(octokit, {
      owner,
      repo,
      since,
      until,
      now: (deps.now ?? (() => new Date()))(),
      ...(Number.isInteger(appId) && appId > 0 ? { appId } : {}),
      progress: (message) => io.err(message),
    });
    io.out(renderAuditReport(report, args.format).replace(/\r?\n$/, ""));
    return EXIT.ok;
  } catch (error) {
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.error;
  }
}

/** The same service and renderer as the dashboard's audit page and downloads (src/services/audit-report.ts). */
async function ledgerAuditReport(io: CliIO, options: { owner: string; repo: string; since: Date; until: Date; now: Date; github: GitHubNow | undefined }): Promise<AuditReport> {
  const settings = readLedgerSettings(io.env, io.cwd);
  io.err(`Reading the evidence ledger (${settings.databaseUrl ? "DATABASE_URL" : settings.dataDir})…`);
  if (!options.github) io.err("No GitHub credentials (--token, GITHUB_TOKEN, or APP_ID with its private key): the merges are not compared with GitHub now.");
  const ledger = await openLedgerDatabase(settings);
  try {
    const web = io.env.GHE_HOST ? `${io.env.GHE_PROTOCOL || "https"}://${io.env.GHE_HOST}` : "https://github.com";
    const report = await auditReportFromDatabase(ledger, { repository: `${options.owner}/${options.repo}`, since: options.since, until: options.until, now: options.now, webBaseUrl: web, ...(options.github ? { github: options.github } : {}) });
    io.err(`Done: ${report.pulls.length} merges from the ledger, ${report.exceptions.length} exceptions, ${report.apiRequests} GitHub API requests.`);
    return report;
  } finally {
    await ledger.close();
  }
}

/**
 * What GitHub says now, read for the ledger report (reusing the GitHub audit's reads): the period's merged
 * pull requests (one search per 25, their description and labels) and the policy file on each base branch.
 */
function githubNow(octokit: GitHubClient, options: { owner: string; repo: string; since: Date; until: Date; progress: (message: string) => void }): GitHubNow {
  const where = { owner: options.owner, repo: options.repo };
  let requests = 0;
  octokit.hook.before("request", () => {
    requests++;
  });
  const policies = new Map<string, Promise<Policy>>();
  return {
    async mergedPulls(): Promise<PullNow[]> {
      options.progress(`Comparing with GitHub now: listing pull requests of ${options.owner}/${options.repo} merged ${isoUtc(options.since)} – ${isoUtc(options.until)}…`);
      const merged = await listMergedPulls(octokit, { ...where, since: options.since, until: options.until, progress: options.progress });
      return merged.map(({ snapshot }) => ({ number: snapshot.number, body: snapshot.body, labels: snapshot.labels, mergedAt: snapshot.mergedAt ?? null, mergedBy: snapshot.mergedBy ?? null }));
    },
    async policyBlobSha(baseRef: string): Promise<string | null> {
      if (!policies.has(baseRef)) policies.set(baseRef, readPolicy(octokit, { ...where, ref: baseRef }));
      return (await policies.get(baseRef)!).blobSha;
    },
    requests: () => requests,
  };
}

export function registerAuditCommand(program: Command, io: CliIO = processIO, deps: AuditDeps = {}): void {
  program
    .command("audit")
    .description("the audit report of a period from GitHub's records: merged PRs with class, approvers and groups, sections, check at merge, emergency reviews, incidents; totals and exceptions")
    .requiredOption("--repo <owner/repo>", "repository to audit")
    .requiredOption("--since <date>", "first day of the period (YYYY-MM-DD, UTC) or an ISO 8601 time with a zone")
    .requiredOption("--until <date>", "last day of the period, included (YYYY-MM-DD, UTC) or an ISO 8601 time with a zone")
    .addOption(new Option("--format <format>", "output format").choices([...AUDIT_FORMATS]).default("md"))
    .option("--token <token>", "GitHub token (default: GITHUB_TOKEN; otherwise the app's credentials)")
    .option("--from-ledger", "from the evidence ledger (DATABASE_URL or DATA_DIR): each merge as recorded at merge; with GitHub credentials, compared with GitHub now (edits after the merge, merges with no entry)")
    .action(async (options: AuditArgs) => {
      io.exit(await runAudit(options, io, deps));
    });
}
