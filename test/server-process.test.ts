// The server as the container runs it: `npm run build`, then `node dist/server.js` (the image's CMD).
import { spawn, type ChildProcess } from "node:child_process";
import { buildOnce } from "./helpers/build.js";
import { PRIVATE_KEY, WEBHOOK_SECRET, freePort, get, waitFor } from "./server-fixtures.js";

import { jest } from "@jest/globals";

jest.setTimeout(90_000);

function startProcess(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(APP_ID|PRIVATE_KEY|PRIVATE_KEY_PATH|WEBHOOK_SECRET|NODE_ENV|REDIS_URL|GHE_HOST|HOST|PORT)$/.test(k)));
  const child = spawn("node", ["dist/server.js"], { env: { ...clean, ...env } as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function answers(port: number, path: string, status: number): Promise<boolean> {
  try {
    return (await get(port, path)).status === status;
  } catch {
    return false;
  }
}

beforeAll(buildOnce);

it("starts from the image's command, is healthy, logs JSON, and exits 0 on SIGTERM", async () => {
  const port = await freePort();
  const server = startProcess({ APP_ID: "1", PRIVATE_KEY, WEBHOOK_SECRET, PORT: String(port), NODE_ENV: "production" });
  try {
    await waitFor(() => answers(port, "/healthz", 200), 20_000);
    expect(await get(port, "/readyz")).toMatchObject({ status: 200 });
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    const lines = server.output().split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(server.output()).toContain("shutting down");
    expect(server.output()).toContain('"clean":true');
    expect(server.output()).not.toContain(WEBHOOK_SECRET);
  } finally {
    server.child.kill("SIGKILL");
  }
});

it("without credentials serves Probot's set-up page that registers the app from app.yml", async () => {
  const port = await freePort();
  const server = startProcess({ PORT: String(port), NO_SMEE_SETUP: "true" });
  try {
    await waitFor(() => answers(port, "/probot", 200), 20_000);
    const page = await get(port, "/probot");
    expect(page.text).toContain("change-policy");
    expect(page.text).toContain("checks"); // the manifest's permissions are in the form GitHub receives
  } finally {
    server.child.kill("SIGKILL");
    await server.exited;
  }
});

it("refuses to start in production without credentials, saying which variable is missing", async () => {
  const server = startProcess({ PORT: String(await freePort()), NODE_ENV: "production" });
  expect(await server.exited).toBe(1);
  expect(server.output()).toContain("APP_ID");
});
