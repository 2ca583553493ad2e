// Starts a real, throwaway redis-server for a test file (no persistence, random port) and stops it.
// If redis-server is not installed the tests FAIL with a message saying how to install it: a
// multi-replica test that silently passes without Redis would prove nothing.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { freePort } from "./net.js";

export interface RedisProcess {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Kills the server (SIGKILL: Redis goes away as in a crash); restart() brings it back on the same port. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (empty: persistence is off), after kill() or stop(). */
  restart(): Promise<void>;
}

function spawnRedis(port: number): Promise<ChildProcess> {
  const child: ChildProcess = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise<ChildProcess>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}):\n${output}`));
    });
  });
}

function ended(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

export async function startRedis(): Promise<RedisProcess> {
  if (spawnSync("redis-server", ["--version"]).error) {
    throw new Error("redis-server is not installed: run `apt-get update && apt-get install -y redis-server` (.ci/run does this)");
  }
  const port = await freePort();
  let child = await spawnRedis(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => ended(child, "SIGTERM"),
    kill: () => ended(child, "SIGKILL"),
    async restart() {
      await ended(child, "SIGTERM");
      child = await spawnRedis(port);
    },
  };
}
