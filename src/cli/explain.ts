// `change-policy explain --event FILE [--config FILE]`: evaluates a pull request snapshot offline and
// prints what the `Change Policy` check would say, for trying a policy before rolling it out.
import type { Command } from "commander";
import { parseConfigText, type ConfigProblem } from "../config/load.js";
import { defaultConfig, type Config } from "../config/schema.js";
import { snapshotFromFile } from "../github/payload-snapshot.js";
import { evaluatePull } from "../policy/evaluate.js";
import { registerIssueToRead } from "../policy/register.js";
import { requiredCheckNames } from "../policy/verification.js";
import type { PullSnapshot } from "../policy/snapshot.js";
import { renderConfigProblems, renderVerdict, type CheckOutput } from "../render/check-output.js";
import { EXIT, processIO, readInputFile, type CliIO } from "./io.js";

export interface ExplainArgs {
  event: string;
  config?: string;
  /** Exit 1 when the check would fail (default: exit 0 whatever the conclusion). */
  exitCode?: boolean;
  /** Evaluate as at this moment (ISO 8601 with a zone), e.g. to see a change freeze; default: now. */
  at?: string;
}

export const SNAPSHOT_FORMAT_HELP = `
Snapshot file (--event): a JSON \`pull_request\` webhook payload (or a REST \`pulls/{n}\` object under
the key "pull_request"), plus optional keys that the app would otherwise read from the API:
  "files":        ["path", ...] or REST pulls/{n}/files objects ({"filename", "previous_filename"})
  "reviews":      REST pulls/{n}/reviews objects ({"user": {"login", "type"}, "state", "commit_id",
                  "submitted_at"})
  "permissions":  {"login": "admin"|"maintain"|"write"|"triage"|"read"|"none"}; a reviewer not
                  listed has no write access, so their approval does not count
  "groups":       {"group-name": ["login", ...]}: members of the group's teams (the group's
                  configured users always count)
  "label_events": [{"label", "actor", "created_at"}]: who added each label (for emergency-declarers);
                  a "labeled" payload's label and sender are used when this key is absent
  "commits":      REST pulls/{n}/commits objects ({"sha", "author": {"login"}, "committer": {"login"},
                  "parents": [{"sha"}]}) plus "co_authors": ["login"]: who wrote the change
                  (approvals.independent); without it only the author is excluded
  "checks":       REST check runs ({"name", "status", "conclusion", "app": {"slug"}}) and commit
                  statuses ({"context", "state"}) on the head commit (classes/rules "checks")
  "register_issue": the REST issue that "Change request: ..." links ({"number", "html_url",
                  "repository_url", "state", "state_reason", "labels", "body"})
Without --config the built-in defaults (the policy) apply. --at evaluates as at another moment
(change freezes), e.g. --at 2026-12-24T09:00:00Z.
Exit status: 0 whatever the conclusion (1 with --exit-code when the check would fail), 2 bad input.`;

export async function runExplain(args: ExplainArgs, io: CliIO): Promise<number> {
  const now = args.at === undefined ? new Date() : parseInstant(args.at);
  if (now === null) return inputError(io, `--at ${args.at} is not an ISO 8601 time with a zone, such as 2026-12-24T09:00:00Z`);
  const event = await readInputFile(io, args.event);
  if (!event.ok) return inputError(io, event.message);
  let data: unknown;
  try {
    data = JSON.parse(event.text);
  } catch (error) {
    return inputError(io, `${args.event} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = snapshotFromFile(data);
  if (!parsed.ok) {
    for (const problem of parsed.problems) io.err(`${args.event}: ${problem}`);
    return inputError(io, `${args.event} is not a pull request snapshot (see \`change-policy explain --help\` for the format)`);
  }

  let config: Config = defaultConfig();
  let configProblems: ConfigProblem[] = [];
  let configLabel = "built-in defaults (no --config given)";
  if (args.config !== undefined) {
    const file = await readInputFile(io, args.config);
    if (!file.ok) return inputError(io, file.message);
    configLabel = args.config;
    const result = parseConfigText(file.text, args.config);
    // An invalid policy makes the check fail with its problems listed: show exactly that.
    if (result.ok) config = result.value;
    else configProblems = result.problems;
  }

  const snapshot = parsed.snapshot;
  let output: CheckOutput;
  if (configProblems.length > 0) {
    output = renderConfigProblems(configProblems);
  } else {
    for (const warning of snapshotWarnings(config, snapshot)) io.err(`warning: ${warning}`);
    output = renderVerdict(evaluatePull(config, { ...snapshot, groups: groupMembers(config, snapshot) }, { now }));
  }

  io.out(`Config: ${configLabel}`);
  io.out(`Pull request: ${snapshot.repository.owner}/${snapshot.repository.name}#${snapshot.number} "${snapshot.title}"`);
  io.out(`Conclusion: ${output.conclusion}`);
  io.out(`Title: ${output.title}`);
  io.out("");
  io.out(output.summary);
  return args.exitCode && output.conclusion !== "success" ? EXIT.failed : EXIT.ok;
}

/** A group's members: its configured users plus the team members the snapshot lists for it. */
export function groupMembers(config: Config, snapshot: PullSnapshot): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  for (const [name, group] of Object.entries(config.groups)) {
    groups[name] = [...new Set([...group.users, ...(snapshot.groups[name] ?? [])])];
  }
  return groups;
}

/** What the file leaves unknown that the app would have read from GitHub. */
function snapshotWarnings(config: Config, snapshot: PullSnapshot): string[] {
  const warnings: string[] = [];
  for (const [name, group] of Object.entries(config.groups)) {
    if (group.teams.length > 0 && snapshot.groups[name] === undefined) {
      warnings.push(
        `groups.${name} lists teams (${group.teams.join(", ")}) but the snapshot has no "groups": {"${name}": [...]}; only its users count here`,
      );
    }
  }
  if (snapshot.checks === undefined && requiredCheckNames(config).length > 0) {
    warnings.push(`the snapshot has no "checks"; the required checks (${requiredCheckNames(config).join(", ")}) count as not reported`);
  }
  if (snapshot.registerIssue === undefined && registerIssueToRead(config, snapshot)) {
    warnings.push('the description links a register issue but the snapshot has no "register_issue"; the link counts as not verified');
  }
  if (snapshot.commits === undefined && config.approvals.independent && snapshot.reviews.some((r) => r.state === "APPROVED")) {
    warnings.push('the snapshot has no "commits"; only the author is excluded from approving (approvals.independent)');
  }
  const reviewers = new Set(snapshot.reviews.filter((r) => r.state === "APPROVED" || r.state === "CHANGES_REQUESTED").flatMap((r) => (r.author ? [r.author] : [])));
  for (const login of reviewers) {
    if (snapshot.permissions[login] === undefined && login !== snapshot.author) {
      warnings.push(`the snapshot has no "permissions" entry for reviewer @${login}; treated as no write access`);
    }
  }
  return warnings;
}

function parseInstant(text: string): Date | null {
  // A zone is required: "2026-12-24T09:00" would mean a different instant on every machine.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/.test(text)) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

function inputError(io: CliIO, message: string): number {
  io.err(`error: ${message}`);
  return EXIT.error;
}

export function registerExplainCommand(program: Command, io: CliIO = processIO): void {
  program
    .command("explain")
    .description("evaluate a pull request snapshot offline and print what the Change Policy check would say")
    .requiredOption("--event <file>", "the pull request snapshot (JSON; format below)")
    .option("--config <file>", "the policy file to apply (default: the built-in defaults)")
    .option("--exit-code", "exit 1 when the check would fail")
    .option("--at <time>", "evaluate as at this moment (ISO 8601 with a zone; default: now)")
    .addHelpText("after", SNAPSHOT_FORMAT_HELP)
    .action(async (opts: { event: string; config?: string; exitCode?: boolean; at?: string }) => io.exit(await runExplain(opts, io)));
}
