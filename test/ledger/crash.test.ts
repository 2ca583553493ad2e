// A process killed (SIGKILL) in the middle of appending, while another process appends too, leaves a
// valid chain without gaps, and every entry it reported written is there (SPEC §10: an entry the app
// reported written survives a crash).
import { describe, expect, jest, test } from "@jest/globals";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { appendEntry } from "../../src/ledger/append.js";
import { openLedgerDatabase } from "../../src/ledger/database.js";
import { entryAt } from "../../src/ledger/read.js";
import { verifyLedger } from "../../src/ledger/verify.js";
import { transpiledSources } from "../helpers/transpile.js";
import { sampleEntry, useLedgerTargets } from "./targets.js";

jest.setTimeout(120_000);
const { targets } = useLedgerTargets();

const CHILD = `
import { openLedgerDatabase } from "./ledger/database.js";
import { appendEntry } from "./ledger/append.js";
const ledger = await openLedgerDatabase(JSON.parse(process.argv[2]));
for (let i = 0; ; i++) {
  const body = { pull_number: 1, head_sha: "c".repeat(40), check_run_id: i, class: "normal", conclusion: "success", title: "child " + i, requirements: [], approvals: [], rules: [], policy_blob_sha: null };
  const entry = await appendEntry(ledger, { kind: "check", repository: "acme/child", subject: "#1", body });
  process.stdout.write(entry.seq + " " + entry.hash + "\\n");
}
`;

describe.each(targets)("$name", (target) => {
  test("SIGKILL during appends, with another process appending at the same time", async () => {
    const dir = transpiledSources();
    const script = path.join(dir, `crash-child-${process.pid}-${target.name}.mjs`);
    fs.writeFileSync(script, CHILD);
    const options = await target.fresh();
    const parent = await openLedgerDatabase(options);
    try {
      const child = spawn(process.execPath, [script, JSON.stringify(options)], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const reported: { seq: number; hash: string }[] = [];
      let buffer = "";
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
      const enough = new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          buffer += d.toString();
          const lines = buffer.split("\n");
          buffer = lines.pop()!;
          for (const line of lines) {
            const [seq, hash] = line.split(" ");
            reported.push({ seq: Number(seq), hash: hash! });
          }
          if (reported.length >= 150) resolve();
        });
        void exited.then(() => reject(new Error(`the child exited early:\n${stderr}`)));
      });
      // Appends from this process interleave with the child's.
      let mine = 0;
      let stop = false;
      const appending = (async () => {
        while (!stop) {
          await appendEntry(parent, sampleEntry(mine++));
          // SQLite appends never wait on I/O: let the child's output (and the kill) be handled.
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      await enough;
      child.kill("SIGKILL");
      expect(await exited).toBe("SIGKILL");
      stop = true;
      await appending;
      // Whatever lock the child held is gone with it: appends go on.
      for (let i = 0; i < 5; i++) await appendEntry(parent, sampleEntry(1000 + i));

      const result = await verifyLedger(parent);
      expect(result).toMatchObject({ ok: true, firstSeq: 1, problems: [] });
      expect(result.count).toBeGreaterThanOrEqual(reported.length + mine + 5);
      expect(mine).toBeGreaterThan(0);
      for (const r of reported) expect((await entryAt(parent, r.seq))?.hash).toBe(r.hash);
    } finally {
      await parent.close();
      fs.rmSync(script, { force: true });
    }
  });
});

test("the SQLite file of a killed writer opens again (WAL recovered) and verifies", async () => {
  const options = await targets[0]!.fresh();
  const dir = transpiledSources();
  const script = path.join(dir, `crash-child-${process.pid}-reopen.mjs`);
  fs.writeFileSync(script, CHILD);
  try {
    const child = spawn(process.execPath, [script, JSON.stringify(options)], { stdio: ["ignore", "pipe", "inherit"] });
    let lines = 0;
    await new Promise<void>((resolve) =>
      child.stdout.on("data", (d: Buffer) => {
        lines += d.toString().split("\n").length - 1;
        if (lines >= 50) resolve();
      }),
    );
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const reopened = await openLedgerDatabase(options);
    try {
      expect((await verifyLedger(reopened)).ok).toBe(true);
    } finally {
      await reopened.close();
    }
  } finally {
    fs.rmSync(script, { force: true });
  }
});
