// Starts a real, throwaway PostgreSQL cluster (initdb in a temp dir, a free loopback port, no fsync) and
// removes it on stop. Plain JavaScript so that both the tests (through postgres.ts) and `npm run bench`
// use this one implementation. PostgreSQL refuses to run as root, so as root the cluster is made and
// run by the `postgres` user (Debian's package creates it).
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

const INSTALL_HINT = "run `apt-get update && apt-get install -y postgresql` (.ci/run does this)";

/** The directory of initdb/pg_ctl: Debian's /usr/lib/postgresql/<version>/bin (newest first), else PATH. */
export function findPostgresBin() {
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(path.join(root, v, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return path.join(root, versions[0], "bin");
  }
  const found = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  if (found.status === 0 && found.stdout.trim()) return path.dirname(found.stdout.trim());
  return null;
}

export function postgresInstalled() {
  return findPostgresBin() !== null;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Runs a PostgreSQL binary, as the postgres user when we are root. */
function run(bin, args, asUser) {
  const [file, argv] = asUser ? ["runuser", ["-u", asUser, "--", bin, ...args]] : [bin, args];
  try {
    return execFileSync(file, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    throw new Error(`${path.basename(bin)} ${args.join(" ")} failed: ${error.stderr || error.message}`, { cause: error });
  }
}

/**
 * @param {{ durable?: boolean }} [options] durable: keep fsync on (the benchmark measures real commits;
 *   tests skip it, a throwaway cluster need not survive a power loss)
 * @returns {Promise<{ url: string, port: number, dataDir: string, stop(): Promise<void>, kill(): void, restart(): Promise<void>, pause(): void }>}
 */
export async function startPostgres(options = {}) {
  const bin = findPostgresBin();
  if (!bin) throw new Error(`PostgreSQL is not installed: ${INSTALL_HINT}`);
  const asUser = process.getuid?.() === 0 ? "postgres" : null;
  const dir = mkdtempSync(path.join(tmpdir(), "change-policy-pg-"));
  const dataDir = path.join(dir, "data");
  if (asUser) {
    const uid = Number(execFileSync("id", ["-u", asUser], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", asUser], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  run(path.join(bin, "initdb"), ["-D", dataDir, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"], asUser);
  const port = await freePort();
  // Socket in the temp dir (the default /var/run/postgresql may not exist); TCP on loopback only.
  const durability = options.durable ? "" : " -c fsync=off -c full_page_writes=off";
  const serverOptions = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}${durability} -c max_connections=50`;
  const start = () => run(path.join(bin, "pg_ctl"), ["-D", dataDir, "-o", serverOptions, "-l", path.join(dir, "log"), "-w", "-t", "30", "start"], asUser);
  const stopServer = (mode) => run(path.join(bin, "pg_ctl"), ["-D", dataDir, "-m", mode, "-w", "-t", "30", "stop"], asUser);
  start();
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    /** Stops the server (fast shutdown), keeping the cluster, e.g. to test a database that goes away. */
    pause() {
      if (running) stopServer("fast");
      running = false;
    },
    async restart() {
      if (!running) start();
      running = true;
    },
    kill() {
      if (running) stopServer("immediate");
      running = false;
    },
    async stop() {
      try {
        if (running) stopServer("immediate");
      } finally {
        running = false;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
