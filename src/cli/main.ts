#!/usr/bin/env node
// The `change-policy` command (package.json "bin"). This file only wires commander: each command
// lives in its own module as `run<Name>(args, io)` (testable, returns the exit status) plus
// `register<Name>Command(program, io)`.
//
// To add a command: import its register function below and call it in buildProgram (one import,
// one call). Nothing else here needs to change.
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { EXIT, processIO, type CliIO } from "./io.js";
import { registerValidateCommand } from "./validate.js";
import { registerExplainCommand } from "./explain.js";
import { registerSweepCommand } from "./sweep.js";
import { registerAuditCommand } from "./audit.js";
import { registerLedgerCommand } from "./ledger.js";

export function buildProgram(io: CliIO = processIO): Command {
  const program = new Command("change-policy")
    .description("Change Management Policy for pull requests: check policy files, try them offline, audit the trail")
    .version(packageVersion(), "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    // Errors and help go through io (tests read them); commander's own process.exit is replaced.
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, "")), writeErr: (s) => io.err(s.replace(/\n$/, "")) })
    .exitOverride();
  // Settings above are inherited by commands registered after them.
  registerValidateCommand(program, io);
  registerExplainCommand(program, io);
  registerSweepCommand(program, io);
  registerAuditCommand(program, io);
  registerLedgerCommand(program, io);
  return program;
}

/** Runs the command line; usage errors exit 2, like every other "could not do the job" error. */
export async function runCli(argv: string[], io: CliIO = processIO): Promise<void> {
  try {
    await buildProgram(io).parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      io.exit(error.exitCode === 0 ? EXIT.ok : EXIT.error);
      return;
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    io.exit(EXIT.error);
  }
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** True when node runs this file (directly or through the npm bin symlink), not when a test imports it. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // `change-policy explain ... | head`: a reader that closes the pipe early is not an error.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
  // exitCode, not process.exit(): output still buffered for a pipe must not be cut off.
  await runCli(process.argv.slice(2));
}
