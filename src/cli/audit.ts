// `change-policy audit`: the quarterly audit report (policy §10, SPEC §5) from GitHub's own records.
// Cost: one GraphQL search per 25 merged PRs (PRs, reviews, labels, files, check at merge), one or
// two reads of the policy per base branch, one listing per team, one listing of follow-up issues
// and one of incident issues; REST pages only for PRs with over 100 files/reviews or renames.
import type { Command } from "commander";
import { Option } from "commander";
import { isValid, parseISO } from "date-fns";
import { ProbotOctokit } from "probot";
import { defaultConfig, type Config } from "../config/schema.js";
import type { GitHubClient } from "../github/client.js";
import { loadPolicyConfig } from "../github/config.js";
import { listIssuesWithLabel, type IssueRecord } from "../github/issue-history.js";
import { listMergedPulls } from "../github/merged-pulls.js";
import { teamMembers } from "../github/snapshot.js";
import {
  auditExceptions,
  auditIncidents,
  auditPull,
  auditTotals,
  followUpMarkerFor,
  type AuditReport,
} from "../policy/audit.js";
import { classifyChange } from "../policy/classify.js";
import { configuredRepository, incidentRepository } from "../policy/incidents.js";
import { AUDIT_FORMATS, renderAuditReport, type AuditFormat } from "../render/audit-report.js";

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

  progress(`Listing pull requests of ${options.owner}/${options.repo} merged ${utc(options.since)} – ${utc(options.until)}…`);
  const merged = await listMergedPulls(octokit, { ...where, since: options.since, until: options.until, appId: options.appId, progress });
  progress(`${merged.length} merged pull requests; reading policies and group members…`);

  const groupMembers = new Map<string, Record<string, string[]>>();
  const withGroups = async (config: Config, key: string) => {
    if (!groupMembers.has(key)) {
      const groups: Record<string, string[]> = {};
      for (const [name, group] of Object.entries(config.groups)) {
        const members = new Set(group.users);
        for (const team of group.teams) for (const m of await teamMembers(octokit, team)) members.add(m);
        groups[name] = [...members];
      }
      groupMembers.set(key, groups);
    }
    return groupMembers.get(key)!;
  };

  const current = await policyAt(undefined);
  // Follow-up issues of emergency changes: one listing per (repository, label) of the period.
  const followUps = new Map<string, Promise<IssueRecord[]>>();
  const followUpsIn = (config: Config) => {
    const post = config.classes.emergency.post_review;
    const target = configuredRepository(post.repository, where);
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
      const marker = followUpMarkerFor(where.owner, where.repo, pr.number);
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
    since: utc(options.since),
    until: utc(options.until),
    generatedAt: utc(now),
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
  if (lookup.kind === "ok") return { config: lookup.config, source: lookup.sources.join(" ← ") };
  if (lookup.kind === "none") return { config: defaultConfig(), source: "no policy file (the defaults were used)" };
  return { config: defaultConfig(), source: `invalid policy in ${lookup.sources.join(", ")} (the defaults were used; run \`change-policy validate\`)` };
}

/** `YYYY-MM-DD` means the whole day in UTC (since: its start; until: its end); a full ISO time is taken as is. */
export function parseAuditDate(text: string, end: "start" | "end"): Date {
  const trimmed = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) {
    const day = parseISO(`${trimmed}T00:00:00Z`);
    if (!isValid(day)) throw new Error(`"${text}" is not a valid date; write it as YYYY-MM-DD, e.g. 2026-07-01`);
    const utcDay = new Date(day.getTime());
    return end === "start" ? utcDay : new Date(utcDay.getTime() + 86_400_000 - 1000);
  }
  const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(trimmed) ? parseISO(trimmed) : new Date(NaN);
  if (!isValid(time)) throw new Error(`"${text}" is not a valid date; write it as YYYY-MM-DD (e.g. 2026-07-01) or an ISO 8601 time with a zone (2026-07-01T00:00:00Z)`);
  return time;
}

export interface AuditCommandDeps {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Sets process exit status. */
  exit: (code: number) => void;
  /** The authenticated client for OWNER/REPO. */
  client: (owner: string, repo: string, token: string | undefined) => Promise<GitHubClient>;
  env: NodeJS.ProcessEnv;
}

const defaultDeps: AuditCommandDeps = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(`${text}\n`),
  exit: (code) => {
    process.exitCode = code;
  },
  client: async (_owner, _repo, token) => tokenClient(token ?? process.env.GITHUB_TOKEN, process.env),
  env: process.env,
};

/** Until the shared CLI client lands: a token client with retries and rate-limit throttling on, GHE aware. */
function tokenClient(token: string | undefined, env: NodeJS.ProcessEnv): GitHubClient {
  if (!token) throw new Error("No GitHub credentials: pass --token or set GITHUB_TOKEN (a token that can read the repository's pull requests, checks and issues).");
  const baseUrl = env.GHE_HOST ? `${env.GHE_PROTOCOL || "https"}://${env.GHE_HOST}/api/v3` : undefined;
  return new ProbotOctokit({ auth: { token }, ...(baseUrl ? { baseUrl } : {}) });
}

export function registerAuditCommand(program: Command, deps: Partial<AuditCommandDeps> = {}): Command {
  const d = { ...defaultDeps, ...deps };
  return program
    .command("audit")
    .description("Build the audit report of a period from GitHub's records: merged PRs, their class, approvers, sections, check at merge, emergency reviews, incidents")
    .requiredOption("--repo <owner/repo>", "repository to audit")
    .requiredOption("--since <date>", "first day of the period (YYYY-MM-DD, UTC) or an ISO 8601 time")
    .requiredOption("--until <date>", "last day of the period, included (YYYY-MM-DD, UTC) or an ISO 8601 time")
    .addOption(new Option("--format <format>", "output format").choices(AUDIT_FORMATS as string[]).default("md"))
    .option("--token <token>", "GitHub token (default: GITHUB_TOKEN)")
    .action(async (opts: { repo: string; since: string; until: string; format: AuditFormat; token?: string }) => {
      try {
        const match = /^([A-Za-z0-9-]{1,39})\/([A-Za-z0-9_.-]{1,100})$/.exec(opts.repo.trim());
        if (!match) throw new Error(`--repo "${opts.repo}" is not OWNER/REPO`);
        const since = parseAuditDate(opts.since, "start");
        const until = parseAuditDate(opts.until, "end");
        if (since.getTime() > until.getTime()) throw new Error(`--since (${utc(since)}) is after --until (${utc(until)})`);
        const appId = Number(d.env.APP_ID);
        const octokit = await d.client(match[1]!, match[2]!, opts.token);
        const report = await buildAuditReport(octokit, {
          owner: match[1]!,
          repo: match[2]!,
          since,
          until,
          ...(Number.isInteger(appId) && appId > 0 ? { appId } : {}),
          progress: d.err,
        });
        d.out(renderAuditReport(report, opts.format));
        d.exit(0);
      } catch (error) {
        d.err(`error: ${error instanceof Error ? error.message : String(error)}`);
        d.exit(2);
      }
    });
}

function utc(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
