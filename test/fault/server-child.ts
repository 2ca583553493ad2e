// The real server as child processes (`node dist/server.js`, built once by the test file) against
// the loopback GitHub of github-with-issues.ts, each on a DATA_DIR a test chooses, killed by afterEach.
import { afterEach, expect } from "@jest/globals";
import Database from "better-sqlite3";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PRIVATE_KEY, WEBHOOK_SECRET, examplePayload, freePort, get, waitFor } from "../server-fixtures.js";
import { startGitHubWithIssues, type GitHubWithIssues } from "./github-with-issues.js";

export const INSTALLATION = 4242;
export const REPO = "Codertocat/Hello-World";
export const PR = 2; // the example payloads' PR

export interface Child {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<NodeJS.Signals | number | null>;
}

const children: Child[] = [];
const cleanups: (() => Promise<void> | void)[] = [];



export async function startChild(github: GitHubWithIssues, dataDir: string, env: Record<string, string> = {}): Promise<Child> {
  const port = await freePort();
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(APP_ID|PRIVATE_KEY|PRIVATE_KEY_PATH|WEBHOOK_SECRET|NODE_ENV|REDIS_URL|DATABASE_URL|GHE_HOST|GHE_PROTOCOL|HOST|PORT|DATA_DIR|COALESCE_.*|PENDING_WORK_.*)$/.test(k)));
  const child = spawn("node", ["dist/server.js"], {
    env: {
      ...clean,
      APP_ID: "1",
      PRIVATE_KEY,
      WEBHOOK_SECRET,
      PORT: String(port),
      HOST: "127.0.0.1",
      GHE_HOST: `127.0.0.1:${github.port}`,
      GHE_PROTOCOL: "http",
      DATA_DIR: dataDir,
      SWEEP_INTERVAL_MINUTES: "0",
      // The evaluation waits a minute in its window: the kill always lands before it runs.
      COALESCE_WINDOW_MS: "60000",
      COALESCE_MAX_WAIT_MS: "60000",
      // A recorded job is due to any other process 200 ms after it was recorded (default 30 s), so
      // the restarted server's start-up look finds it.
      PENDING_WORK_GRACE_MS: "200",
      ...env,
    } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));
  const started: Child = { child, port, output: () => output, exited };
  children.push(started);
  // Ready, with its database open (work is recorded durably only once it is).
  await waitFor(async () => {
    try {
      return (await get(port, "/readyz")).text.includes("ledger: ok");
    } catch {
      return false;
    }
  }, 30_000).catch(() => {
    throw new Error(`the server did not become ready:\n${output}`);
  });
  return started;
}

export async function kill(c: Child): Promise<void> {
  c.child.kill("SIGKILL");
  expect(await c.exited).toBe("SIGKILL");
}

export function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "nothing-lost-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function github(options: { config?: string } = {}): Promise<GitHubWithIssues> {
  const started = await startGitHubWithIssues(options);
  started.base.currentPr.set("Hello-World", PR); // where the fake files the check writes
  cleanups.push(() => started.close());
  return started;
}

/** The pending work rows of the server's SQLite database, read directly (the server is dead). */
export function pendingWorkRows(dataDir: string): { key: string; kind: string; attempts: number; outcome: string | null; done_at: string | null }[] {
  const file = readdirSync(dataDir).find((f) => f.endsWith(".db") || f.endsWith(".sqlite"));
  if (!file) throw new Error(`no SQLite database in ${dataDir}: ${readdirSync(dataDir).join(", ")}`);
  const db = new Database(join(dataDir, file), { readonly: true });
  try {
    return db.prepare("select key, kind, attempts, outcome, done_at from pending_work order by id").all() as never;
  } finally {
    db.close();
  }
}

export const checkWrites = (g: GitHubWithIssues) => g.requests.filter((r) => /^\/repos\/Codertocat\/Hello-World\/check-runs(\/\d+)?$/.test(r.path) && r.method !== "GET");
export const writes = (g: GitHubWithIssues, method: string, path: RegExp) => g.requests.filter((r) => r.method === method && path.test(r.path));

// The fake's PR (a description, five source files) is a standard change: one approval passes it.
export const STANDARD_POLICY = "classification:\n  default: standard\n";
// Anyone's `emergency` label counts only when the declarers are named; here they are.
export const EMERGENCY_POLICY = "groups:\n  emergency-declarers:\n    users: [oncall]\n";
export const MERGED_EMERGENCY = {
  state: "MERGED",
  merged: true,
  mergedAt: "2026-11-24T12:00:00Z",
  mergedBy: { login: "oncall" },
  labels: { nodes: [{ name: "emergency" }] },
  timelineItems: { nodes: [{ createdAt: "2026-11-24T11:30:00Z", actor: { login: "oncall" }, label: { name: "emergency" } }] },
};

export function mergeDelivery(id: string) {
  const payload = examplePayload("pull_request", "closed") as { pull_request: Record<string, unknown>; installation?: unknown };
  payload.installation = { id: INSTALLATION };
  Object.assign(payload.pull_request, { merged: true, merged_at: "2026-11-24T12:00:00Z", merge_commit_sha: "c".repeat(40), labels: [{ id: 1, node_id: "L", url: "", name: "emergency", color: "d73a4a", default: false, description: null }] });
  return { name: "pull_request", id, payload };
}

afterEach(async () => {
  for (const c of children.splice(0)) {
    c.child.kill("SIGKILL");
    await c.exited;
  }
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
