// `change-policy validate [FILE]`: checks a policy file offline, the same way the app does, so
// admins can run it in their own CI before a bad file reaches the base branch.
import type { Command } from "commander";
import { CONFIG_PATH, formatProblem, parseConfigFile, resolveConfig } from "../config/load.js";
import { CHANGE_CLASSES, postReviewOf, type Config } from "../config/schema.js";
import { isoUtc } from "../policy/time.js";
import { approvalName } from "../policy/evaluate.js";
import { EXIT, processIO, readInputFile, type CliIO } from "./io.js";

export interface ValidateArgs {
  file: string;
}

/**
 * Exit 0 and "FILE: valid" plus what each class requires; exit 1 with one `FILE:LINE: key.path: message`
 * line per problem on stdout; exit 2 when the file cannot be read.
 */
export async function runValidate(args: ValidateArgs, io: CliIO): Promise<number> {
  const input = await readInputFile(io, args.file);
  if (!input.ok) {
    io.err(`error: ${input.message}`);
    io.err(`Give the path of a change-policy file (default: ${CONFIG_PATH}).`);
    return EXIT.error;
  }
  const parsed = parseConfigFile(input.text, args.file);
  const resolved = parsed.ok ? resolveConfig([parsed.value]) : parsed;
  if (!resolved.ok) {
    for (const problem of resolved.problems) io.out(formatProblem(problem));
    const n = resolved.problems.length;
    io.err(`${args.file}: invalid (${n} problem${n === 1 ? "" : "s"}); the app would fail the check of every pull request until it is fixed.`);
    return EXIT.failed;
  }
  if (parsed.ok && typeof parsed.value.raw._extends === "string") {
    io.err(
      `note: ${args.file} extends "${parsed.value.raw._extends}", which is not fetched offline; only this file was checked, on top of the defaults.`,
    );
  }
  io.out(`${args.file}: valid`);
  for (const line of describeConfig(resolved.value)) io.out(`  ${line}`);
  for (const warning of emptyGroupWarnings(resolved.value)) io.err(`warning: ${warning}`);
  return EXIT.ok;
}

/** One line per class (and per rule) saying what it requires. */
export function describeConfig(config: Config): string[] {
  const lines = CHANGE_CLASSES.map((cls) => {
    const c = config.classes[cls];
    const parts = [
      c.require.length ? `requires ${c.require.join(", ")}` : "requires no sections",
      ...c.checked.map((box) => `ticked "${box}"`),
      ...c.checks.map((name) => `check "${name}"`),
      ...c.approvals.map(approvalName),
    ];
    if (config.register.required.includes(cls)) parts.push("a linked change request");
    const post = postReviewOf(config, cls);
    if (post) parts.push(`post-implementation review by ${post.from} within ${post.within_hours} h`);
    return `${cls}: ${parts.join("; ")}`;
  });
  for (const rule of config.rules) {
    const adds = [
      ...rule.require,
      ...rule.checked.map((box) => `ticked "${box}"`),
      ...rule.checks.map((name) => `check "${name}"`),
      ...rule.approvals.map(approvalName),
    ];
    lines.push(`rule "${rule.name}": adds ${adds.length ? adds.join("; ") : "nothing"}`);
  }
  for (const freeze of config.freezes) {
    const where = freeze.environments ? `deployments to ${freeze.environments.join(", ")}` : "deployments to every guarded environment";
    lines.push(`freeze "${freeze.name}": ${isoUtc(new Date(freeze.from))} until ${isoUtc(new Date(freeze.until))}, stops ${freeze.classes.join(", ")} changes and ${where}`);
  }
  const register = config.register;
  if (register.repository || register.required.length > 0) {
    lines.push(`register: issues of ${register.repository || "the pull request's repository"} labelled ${register.labels.join(" or ")}; required for ${register.required.length ? register.required.join(", ") : "no class"}`);
  }
  if (!config.approvals.independent) lines.push("approvals: not independent: people who wrote commits of a pull request may approve it (approvals.independent: false)");
  return lines;
}

/** Groups that an approval needs but that have nobody in them: such a requirement can never be met. */
function emptyGroupWarnings(config: Config): string[] {
  const needed = new Map<string, string[]>();
  const need = (group: string | undefined, where: string) => {
    if (group === undefined) return;
    const g = config.groups[group];
    if (g && g.users.length + g.teams.length === 0) needed.set(group, [...(needed.get(group) ?? []), where]);
  };
  for (const cls of CHANGE_CLASSES) config.classes[cls].approvals.forEach((a) => need(a.from, `${cls} changes`));
  for (const cls of CHANGE_CLASSES) {
    const post = postReviewOf(config, cls);
    if (post) need(post.from, `${cls} post-implementation reviews`);
  }
  config.rules.forEach((rule) => rule.approvals.forEach((a) => need(a.from, `rule "${rule.name}"`)));
  return [...needed].map(
    ([group, uses]) => `groups.${group} has no users or teams, so ${[...new Set(uses)].join(", ")} can never get its approval`,
  );
}

export function registerValidateCommand(program: Command, io: CliIO = processIO): void {
  program
    .command("validate")
    .description("check a policy file offline, printing every problem with its key path and line")
    .argument("[file]", "the policy file", CONFIG_PATH)
    .addHelpText(
      "after",
      `
Exit status: 0 valid, 1 invalid (one "FILE:LINE: key.path: message" line per problem on stdout),
2 the file cannot be read. An "_extends" target is not fetched: only the given file is checked.`,
    )
    .action(async (file: string) => io.exit(await runValidate({ file }, io)));
}
