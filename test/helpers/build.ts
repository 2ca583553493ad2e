// The tests that run the server as the image does (`node dist/server.js`) need dist/ built from this
// source. Built once per jest run: parallel workers would otherwise run tsc at the same moment and
// rewrite dist/ under a server another worker just started. A directory is the lock (mkdir is atomic);
// dist/.built-for names the run that built it (an id the global setup gives each run).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const LOCK = ".build-lock";
const STAMP = "dist/.built-for";

export async function buildOnce(): Promise<void> {
  const run = process.env.CHANGE_POLICY_TEST_RUN ?? `pid-${process.pid}`;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock left by a killed run is older than any build takes.
      if (Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 120_000) rmSync(LOCK, { recursive: true, force: true });
      await sleep(200);
    }
  }
  try {
    if (stampOf() === run) return;
    execFileSync("npm", ["run", "build"], { stdio: "pipe" });
    writeFileSync(STAMP, run);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function stampOf(): string | null {
  try {
    return readFileSync(STAMP, "utf8");
  } catch {
    return null;
  }
}
