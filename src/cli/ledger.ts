// `change-policy ledger …`: verify, export, show and prune the evidence ledger (SPEC §10). The
// database comes from DATABASE_URL / DATA_DIR, as for the server. Results go to stdout, progress to
// stderr; exit 0 intact / done, 1 tampered or gaps (or merges without an entry), 2 cannot run.
import type { Command } from "commander";
import { Option } from "commander";
import type { ProbotOctokit } from "probot";
import type { GitHubClient } from "../github/client.js";
import { listMergedPulls } from "../github/merged-pulls.js";
import type { RepoRef } from "../github/types.js";
import { readAnchors } from "../ledger/anchor.js";
import { openLedgerDatabase, type LedgerDatabase } from "../ledger/database.js";
import { LEDGER_KINDS, subjects, type LedgerEntry, type LedgerKind } from "../ledger/entries.js";
import { PruneRefusedError, pruneLedger } from "../ledger/prune.js";
import { entriesWhere, ledgerExtent } from "../ledger/read.js";
import { readLedgerSettings } from "../ledger/settings.js";
import { verifyLedger, type Anchor } from "../ledger/verify.js";
import { isoUtc } from "../policy/time.js";
import { parseAuditDate } from "./audit.js";
import { createGitHubClient } from "./github-client.js";
import { EXIT, processIO, type CliIO } from "./io.js";
import { parseRepo } from "./sweep.js";

export interface LedgerDeps {
  /** Tests pass a client against nock; by default it comes from the credentials (src/cli/github-client.ts). */
  client?: GitHubClient;
  Octokit?: typeof ProbotOctokit;
  now?: () => Date;
}

/** Shown problems at most; the first is what matters, the rest say how far it goes. */
const MAX_SHOWN_PROBLEMS = 20;

async function openFromEnv(io: CliIO): Promise<LedgerDatabase> {
  const settings = readLedgerSettings(io.env, io.cwd);
  io.err(settings.databaseUrl ? "Opening the PostgreSQL ledger (DATABASE_URL)…" : `Opening the ledger in ${settings.dataDir} (DATA_DIR)…`);
  return openLedgerDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir });
}

function fail(io: CliIO, error: unknown): number {
  io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT.error;
}

async function githubClient(io: CliIO, repo: RepoRef, token: string | undefined, deps: LedgerDeps): Promise<GitHubClient> {
  return deps.client ?? createGitHubClient(io, { ...repo, ...(token ? { token } : {}), ...(deps.Octokit ? { Octokit: deps.Octokit } : {}) });
}

export interface VerifyArgs {
  againstGithub?: boolean;
  repo?: string;
  since?: string;
  anchors?: boolean;
  token?: string;
}

export async function runLedgerVerify(args: VerifyArgs, io: CliIO, deps: LedgerDeps = {}): Promise<number> {
  let ledger: LedgerDatabase | undefined;
  try {
    const settings = readLedgerSettings(io.env, io.cwd);
    if (args.againstGithub && !args.repo) throw new Error("--against-github needs --repo OWNER/REPO");
    const pullsRepo = args.repo ? parseRepo(args.repo) : null;
    ledger = await openFromEnv(io);

    let anchors: Anchor[] = [];
    if (settings.anchorRepository && args.anchors !== false) {
      const where = settings.anchorRepository;
      io.err(`Reading the anchors in ${where.owner}/${where.repo} (LEDGER_ANCHOR_REPOSITORY)…`);
      const read = await readAnchors(await githubClient(io, where, args.token, deps), where);
      anchors = read.anchors;
      io.err(read.issue ? `${plural(anchors.length, "anchor", "anchors")} on ${read.issue.url}` : "no anchor issue yet (the server writes the first anchor within a day)");
    }

    const result = await verifyLedger(ledger, { anchors, onProgress: (count, lastSeq) => io.err(`verified ${count} entries (up to ${lastSeq})`) });
    let status: number = EXIT.ok;
    if (result.ok) {
      io.out(
        result.count === 0
          ? "Ledger intact: it is empty."
          : `Ledger intact: entries ${result.firstSeq}–${result.lastSeq} (${result.count} entries), newest hash ${result.lastHash}.`,
      );
      if (result.checkpoint) io.out(`Entries 1–${result.checkpoint.throughSeq} were pruned; checkpoint ${result.checkpoint.seq} holds their last hash.`);
      if (settings.anchorRepository && args.anchors !== false) {
        io.out(`${plural(result.anchorsChecked, "anchor matches", "anchors match")}${result.anchorsPruned ? ` (${plural(result.anchorsPruned, "older anchor names", "older anchors name")} pruned entries)` : ""}.`);
      }
    } else {
      status = EXIT.failed;
      const first = result.problems[0]!;
      io.out(`Ledger NOT intact: first bad entry ${first.seq}: ${first.what}`);
      for (const problem of result.problems.slice(1, MAX_SHOWN_PROBLEMS)) io.out(`  also entry ${problem.seq}: ${problem.what}`);
      if (result.problems.length > MAX_SHOWN_PROBLEMS) io.out(`  … and more (${result.problems.length} problems found)`);
    }

    if (args.againstGithub && pullsRepo) {
      const missing = await mergesWithoutEntry(ledger, pullsRepo, args, io, deps);
      if (missing === null) return EXIT.error;
      if (missing > 0) status = EXIT.failed;
    }
    return status;
  } catch (error) {
    return fail(io, error);
  } finally {
    await ledger?.close();
  }
}

/** Lists merged PRs of the repository that have no `merge` entry; returns how many (null: could not run). */
async function mergesWithoutEntry(ledger: LedgerDatabase, repo: RepoRef, args: VerifyArgs, io: CliIO, deps: LedgerDeps): Promise<number | null> {
  const repository = `${repo.owner}/${repo.repo}`;
  const merged = new Set<string>();
  let firstRecorded: string | null = null;
  for await (const entry of entriesWhere(ledger, { repository })) {
    firstRecorded ??= entry.recorded_at;
    if (entry.kind === "merge") merged.add(entry.subject);
  }
  // Merges from before the ledger's first entry of this repository cannot be expected in it.
  const since = args.since ? parseAuditDate(args.since, "start") : firstRecorded ? new Date(firstRecorded) : null;
  if (!since) {
    io.out(`No ledger entries for ${repository}: nothing to compare with GitHub (pass --since DATE to list every merge since then).`);
    return 0;
  }
  const until = (deps.now ?? (() => new Date()))();
  io.err(`Listing pull requests of ${repository} merged ${isoUtc(since)} – ${isoUtc(until)}…`);
  const octokit = await githubClient(io, repo, args.token, deps);
  const appId = Number(io.env.APP_ID);
  const pulls = await listMergedPulls(octokit, { ...repo, since, until, ...(Number.isInteger(appId) && appId > 0 ? { appId } : {}), progress: (m) => io.err(m) });
  let missing = 0;
  for (const { snapshot } of pulls) {
    if (merged.has(subjects.pull(snapshot.number))) continue;
    missing += 1;
    io.out(`${repository}#${snapshot.number} merged ${snapshot.mergedAt ?? "(unknown time)"}${snapshot.mergedBy ? ` by @${snapshot.mergedBy}` : ""} has no merge entry in the ledger`);
  }
  io.out(
    missing === 0
      ? `Every one of the ${pulls.length} pull requests merged since ${isoUtc(since)} has a merge entry.`
      : `${missing} of ${pulls.length} pull requests merged since ${isoUtc(since)} have no merge entry.`,
  );
  return missing;
}

export interface ExportArgs {
  since?: string;
  until?: string;
  repo?: string;
  kind?: string[];
}

export async function runLedgerExport(args: ExportArgs, io: CliIO): Promise<number> {
  let ledger: LedgerDatabase | undefined;
  try {
    const since = args.since ? parseAuditDate(args.since, "start") : undefined;
    // --until names the last day included: everything before the next second.
    const until = args.until ? new Date(parseAuditDate(args.until, "end").getTime() + 1000) : undefined;
    if (since && until && since >= until) throw new Error(`--since (${isoUtc(since)}) is after --until`);
    const kinds = args.kind?.length ? args.kind : undefined;
    for (const kind of kinds ?? []) if (!(LEDGER_KINDS as readonly string[]).includes(kind)) throw new Error(`--kind must be one of ${LEDGER_KINDS.join(", ")}, not "${kind}"`);
    const repository = args.repo ? (parseRepo(args.repo), args.repo.trim()) : undefined;
    ledger = await openFromEnv(io);
    let count = 0;
    for await (const entry of entriesWhere(ledger, { since, until, repository, ...(kinds ? { kinds: kinds as LedgerKind[] } : {}) })) {
      io.out(JSON.stringify(entry));
      count += 1;
    }
    io.err(`exported ${count} entries`);
    return EXIT.ok;
  } catch (error) {
    return fail(io, error);
  } finally {
    await ledger?.close();
  }
}

export interface ShowArgs {
  format: "text" | "json";
}

/** OWNER/REPO#N */
export function parsePullReference(text: string): RepoRef & { number: number } {
  const match = /^([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})#(\d{1,9})$/.exec(text.trim());
  if (!match) throw new Error(`name the pull request as OWNER/REPO#NUMBER (e.g. acme/api#12), not "${text.slice(0, 100)}"`);
  return { owner: match[1]!, repo: match[2]!, number: Number(match[3]) };
}

export async function runLedgerShow(reference: string, args: ShowArgs, io: CliIO): Promise<number> {
  let ledger: LedgerDatabase | undefined;
  try {
    const pull = parsePullReference(reference);
    ledger = await openFromEnv(io);
    let count = 0;
    for await (const entry of entriesWhere(ledger, { repository: `${pull.owner}/${pull.repo}`, subject: subjects.pull(pull.number) })) {
      io.out(args.format === "json" ? JSON.stringify(entry) : describeEntry(entry));
      count += 1;
    }
    if (count === 0) io.out(`No ledger entries for ${pull.owner}/${pull.repo}#${pull.number}.`);
    return EXIT.ok;
  } catch (error) {
    return fail(io, error);
  } finally {
    await ledger?.close();
  }
}

/** One line per entry: seq, time, kind, and what it says. */
export function describeEntry(entry: LedgerEntry): string {
  const b = (entry.body ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === "string" ? v : v === null || v === undefined ? "" : JSON.stringify(v));
  let what: string;
  switch (entry.kind) {
    case "check":
      what = `${text(b.conclusion)} on ${text(b.head_sha).slice(0, 7)}: ${text(b.title)}`;
      break;
    case "merge":
      what = `merged ${text(b.merge_commit_sha).slice(0, 7) || "?"} by ${b.merged_by ? `@${text(b.merged_by)}` : "?"}; ${text(b.class)} change, check ${text(b.check_conclusion) || "none"}; approvers ${Array.isArray(b.approvers) && b.approvers.length ? b.approvers.map((a) => `@${text(a)}`).join(", ") : "none"}; description sha256 ${text(b.description_sha256).slice(0, 12)}…`;
      break;
    case "follow_up":
      what = `${text(b.event)} ${text(b.issue)} (due ${text(b.due_at)})`;
      break;
    case "incident":
      what = `${text(b.type)} incident ${text(b.issue)}: ${text(b.reason)}`;
      break;
    case "deployment":
      what = `${text(b.decision)} deployment to ${text(b.environment)} of ${text(b.sha).slice(0, 7)}`;
      break;
    default:
      what = JSON.stringify(entry.body).slice(0, 200);
  }
  return `${entry.seq}\t${entry.recorded_at}\t${entry.kind}\t${what}`;
}

export interface PruneArgs {
  before: string;
}

export async function runLedgerPrune(args: PruneArgs, io: CliIO, deps: LedgerDeps = {}): Promise<number> {
  let ledger: LedgerDatabase | undefined;
  try {
    const settings = readLedgerSettings(io.env, io.cwd);
    const before = parseAuditDate(args.before, "start");
    const now = (deps.now ?? (() => new Date()))();
    ledger = await openFromEnv(io);
    io.err("Verifying the ledger before pruning…");
    const result = await pruneLedger(ledger, { before, retentionDays: settings.retentionDays, now });
    if (!result.checkpoint) {
      io.out(`Nothing to prune: no entry was recorded before ${isoUtc(before)}.`);
    } else {
      const extent = await ledgerExtent(ledger);
      io.out(
        `Pruned ${plural(result.pruned, "entry", "entries")} (up to ${result.throughSeq}) recorded before ${isoUtc(before)}; checkpoint entry ${result.checkpoint.seq} holds the last pruned hash ${result.checkpoint.body.through_hash}. ${extent.count} entries remain.`,
      );
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof PruneRefusedError) {
      io.err(`refused: ${error.message}`);
      return error.verification ? EXIT.failed : EXIT.error;
    }
    return fail(io, error);
  } finally {
    await ledger?.close();
  }
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerLedgerCommand(program: Command, io: CliIO = processIO, deps: LedgerDeps = {}): void {
  const ledger = program
    .command("ledger")
    .description("the evidence ledger (DATABASE_URL, or the SQLite file in DATA_DIR): verify its hash chain, export, show, prune");
  ledger
    .command("verify")
    .description("walk the hash chain (and the anchors of LEDGER_ANCHOR_REPOSITORY); exit 0 intact, 1 with the first bad entry, 2 cannot run")
    .option("--against-github", "also list pull requests merged on GitHub that have no merge entry (needs --repo)")
    .option("--repo <owner/repo>", "repository for --against-github")
    .option("--since <date>", "with --against-github: merges from this day (default: the repository's first ledger entry)")
    .option("--no-anchors", "do not read the anchors from GitHub")
    .option("--token <token>", "GitHub token (default: GITHUB_TOKEN; otherwise the app's credentials)")
    .action(async (options: VerifyArgs) => {
      io.exit(await runLedgerVerify(options, io, deps));
    });
  ledger
    .command("export")
    .description("print entries as JSON lines, oldest first")
    .option("--since <date>", "first day (YYYY-MM-DD, UTC) or an ISO 8601 time with a zone")
    .option("--until <date>", "last day, included (YYYY-MM-DD, UTC) or an ISO 8601 time with a zone")
    .option("--repo <owner/repo>", "only this repository's entries")
    .option("--kind <kind>", `only entries of this kind (repeatable): ${LEDGER_KINDS.join(", ")}`, collect)
    .action(async (options: ExportArgs) => {
      io.exit(await runLedgerExport(options, io));
    });
  ledger
    .command("show")
    .description("every entry of one pull request, oldest first")
    .argument("<pull>", "OWNER/REPO#NUMBER")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .action(async (pull: string, options: ShowArgs) => {
      io.exit(await runLedgerShow(pull, options, io));
    });
  ledger
    .command("prune")
    .description("delete entries recorded before a date older than LEDGER_RETENTION_DAYS (default 400), after writing a checkpoint")
    .requiredOption("--before <date>", "prune entries recorded before this day (YYYY-MM-DD, UTC) or ISO 8601 time")
    .action(async (options: PruneArgs) => {
      io.exit(await runLedgerPrune(options, io, deps));
    });
}
