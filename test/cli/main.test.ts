import { readFileSync } from "node:fs";
import { runCli } from "../../src/cli/main.js";
import { memoryIO } from "./memory-io.js";

const run = async (...argv: string[]) => {
  const io = memoryIO();
  await runCli(argv, io);
  return io;
};

describe("change-policy command line", () => {
  it("prints the package version", async () => {
    const io = await run("--version");
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    expect(io.stdout).toEqual([version]);
    expect(io.code).toBe(0);
  });

  it("lists the commands in --help", async () => {
    const io = await run("--help");
    expect(io.code).toBe(0);
    expect(io.stdout.join("\n")).toMatch(/validate \[file\]/);
    expect(io.stdout.join("\n")).toMatch(/explain \[options\]/);
  });

  it("documents the snapshot format in explain --help", async () => {
    const io = await run("explain", "--help");
    expect(io.code).toBe(0);
    const help = io.stdout.join("\n");
    expect(help).toContain("--event <file>");
    expect(help).toContain('"label_events": [{"label", "actor", "created_at"}]');
  });

  it("exits 2 on usage errors, with the reason on stderr", async () => {
    const io = await run("explain");
    expect(io.code).toBe(2);
    expect(io.stderr[0]).toBe("error: required option '--event <file>' not specified");
    const unknown = await run("frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr[0]).toBe("error: unknown command 'frobnicate'");
  });

  it("runs a command and passes on its exit status", async () => {
    const io = await run("validate", "examples/change-policy.yml");
    expect(io.code).toBe(0);
    expect(io.stdout[0]).toBe("examples/change-policy.yml: valid");
    const failing = await run("explain", "--event", "examples/normal-change-missing.json", "--exit-code");
    expect(failing.code).toBe(1);
  });
});
