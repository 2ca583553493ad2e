// A CliIO that keeps what a command printed, for asserting exact output lines.
import type { CliIO } from "../../src/cli/io.js";

export type MemoryIO = CliIO & { stdout: string[]; stderr: string[]; code: number | undefined };

export function memoryIO(overrides: Partial<Pick<CliIO, "env" | "cwd">> = {}): MemoryIO {
  const io: MemoryIO = {
    stdout: [],
    stderr: [],
    code: undefined,
    env: overrides.env ?? {},
    cwd: overrides.cwd ?? process.cwd(),
    out: (line) => void io.stdout.push(...line.split("\n")),
    err: (line) => void io.stderr.push(...line.split("\n")),
    exit: (code) => {
      io.code = code;
    },
  };
  return io;
}
