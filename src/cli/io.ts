// What a command may touch outside itself: where its output goes, the environment, the working
// directory and how it reports its exit status. Commands receive a CliIO instead of using `process`
// so that tests can run them in-process and read exactly what a user would see.
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";

export interface CliIO {
  /** Writes one line (a newline is added) to standard output: the command's result. */
  out(line: string): void;
  /** Writes one line to standard error: progress, warnings and errors. */
  err(line: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Records the exit status (process.exitCode, so buffered output to a pipe is not cut off). */
  exit(code: number): void;
}

/** Exit statuses shared by every command. */
export const EXIT = {
  ok: 0,
  /** The thing checked is not compliant (invalid config; failing check with --exit-code). */
  failed: 1,
  /** The command could not do its job: bad usage, unreadable or malformed input, API errors. */
  error: 2,
} as const;

export const processIO: CliIO = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
  exit: (code) => {
    process.exitCode = code;
  },
};


const MAX_INPUT_BYTES = 10 * 1024 * 1024;

/** Reads a file named on the command line, relative to the working directory; never throws. */
export async function readInputFile(io: CliIO, file: string): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
  const path = resolve(io.cwd, file);
  try {
    const info = await stat(path);
    if (info.isDirectory()) return { ok: false, message: `${file} is a directory, not a file` };
    if (info.size > MAX_INPUT_BYTES) return { ok: false, message: `${file} is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB` };
    return { ok: true, text: await readFile(path, "utf8") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { ok: false, message: `${file}: no such file` };
    if (code === "EACCES") return { ok: false, message: `${file}: permission denied` };
    return { ok: false, message: `${file}: cannot be read (${(error as Error).message})` };
  }
}
