// A process killed with SIGKILL while it records and runs pending work loses none of it: every job it
// reported recorded is in the database, and the ones it held (claimed, mid-run) are taken over by
// another process once their lease has run out — on SQLite and on PostgreSQL.
import { describe, expect, jest, test } from "@jest/globals";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { DurableWork } from "../../src/infra/durable-work.js";
import { openLedgerDatabase } from "../../src/ledger/database.js";
import { transpiledSources } from "../helpers/transpile.js";
import { useLedgerTargets } from "../ledger/targets.js";

jest.setTimeout(120_000);
const { targets } = useLedgerTargets();

// Records jobs as deliveries would, claims every third one as if running it, and reports each step.
const CHILD = `
import { openLedgerDatabase } from "./ledger/database.js";
import { DurableWork } from "./infra/durable-work.js";
const handle = await openLedgerDatabase(JSON.parse(process.argv[2]));
const work = new DurableWork(handle, { owner: "doomed", leaseMs: 60_000, graceMs: 0 });
for (let n = 1; ; n++) {
  const key = "evaluate:2:acme/api#" + n;
  await work.record({ kind: "evaluate", key, payload: { number: n } });
  process.stdout.write("recorded " + key + "\\n");
  if (n % 3 === 0 && (await work.claim(key))) process.stdout.write("claimed " + key + "\\n");
}
`;

describe.each(targets)("$name", (target) => {
  test("SIGKILL while recording and running: every reported job is pending, and the held ones are taken over", async () => {
    const dir = transpiledSources();
    const script = path.join(dir, `durable-work-child-${process.pid}-${target.name}.mjs`);
    fs.writeFileSync(script, CHILD);
    const options = await target.fresh();
    const handle = await openLedgerDatabase(options);
    try {
      const child = spawn(process.execPath, [script, JSON.stringify(options)], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const recorded = new Set<string>();
      const claimed = new Set<string>();
      let buffer = "";
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          buffer += d.toString();
          const lines = buffer.split("\n");
          buffer = lines.pop()!;
          for (const line of lines) {
            const [what, key] = line.split(" ");
            (what === "recorded" ? recorded : claimed).add(key!);
          }
          if (recorded.size >= 60) resolve();
        });
        void exited.then(() => reject(new Error(`the child exited early:\n${stderr}`)));
      });
      child.kill("SIGKILL");
      expect(await exited).toBe("SIGKILL");

      // The restarted process, after the dead one's leases ran out.
      const later = new DurableWork(handle, { owner: "restarted", now: () => new Date(Date.now() + 61_000) });
      const jobs = [];
      for (let batch = await later.claimDue(50); batch.length > 0; batch = await later.claimDue(50)) jobs.push(...batch);
      const keys = new Set(jobs.map((j) => j.key));
      for (const key of recorded) expect(keys).toContain(key);
      expect(claimed.size).toBeGreaterThan(0);
      for (const job of jobs.filter((j) => claimed.has(j.key))) expect(job.attempts).toBe(2); // the dead run, and this one
      for (const job of jobs) expect(await later.complete(job)).toBe("done");
      expect(await later.pending()).toEqual([]);
    } finally {
      await handle.close();
      fs.rmSync(script, { force: true });
    }
  });
});
