// The evidence ledger: append latency on SQLite (synchronous=FULL, as the app opens it) and on
// PostgreSQL (a throwaway local cluster with fsync on; skipped when PostgreSQL is not installed), and
// `ledger verify` time for 100,000 entries (target ≤ 5 s).
// Run: npm run build && node bench/ledger.mjs   (also part of `npm run bench`)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { openLedgerDatabase } from "../dist/ledger/database.js";
import { appendEntries, appendEntry } from "../dist/ledger/append.js";
import { verifyLedger } from "../dist/ledger/verify.js";
import { postgresInstalled, startPostgres } from "../test/helpers/postgres-cluster.mjs";

const APPENDS = Number(process.env.BENCH_LEDGER_APPENDS ?? 2000);
const VERIFY_ENTRIES = Number(process.env.BENCH_LEDGER_VERIFY_ENTRIES ?? 100_000);
const VERIFY_TARGET_MS = 5000;

// A `merge` entry of realistic size (~1.5 KB of JSON: sections, approvals, requirements).
function entry(i) {
  return {
    kind: "merge", repository: "bench/repo", subject: `#${i}`,
    body: {
      pull_number: i, title: "Upgrade the HTTP client", base_ref: "main", head_sha: "a".repeat(40), merge_commit_sha: "b".repeat(40),
      merged_at: "2026-12-02T14:03:33Z", merged_by: "alice", author: "bob", check_conclusion: "success", class: "normal",
      approvers: ["carol", "dave"], approvals: [{ reviewer: "carol", commit_sha: "a".repeat(40), counted: true, groups: ["cab"], reason: null }],
      description_sha256: "c".repeat(64),
      sections: [{ heading: "description", text: "Upgrade the HTTP client library to the latest minor version. ".repeat(4) }, { heading: "impact analysis", text: "Affects every outbound request of the API service. ".repeat(4) }, { heading: "rollback plan", text: "Revert and redeploy the previous image. ".repeat(3) }],
      fields: { owner: "bob", "target date": "2026-12-01" }, checked: ["tested in staging"], labels: ["normal"], policy_blob_sha: "d".repeat(40),
      requirements: [{ kind: "section", name: "Impact analysis", met: true, detail: "present (180 characters)", source: "normal change" }],
    },
  };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(2);

async function appendLatency(ledger) {
  for (let i = 0; i < 50; i++) await appendEntry(ledger, entry(i)); // warm up
  const times = [];
  for (let i = 0; i < APPENDS; i++) {
    const started = performance.now();
    await appendEntry(ledger, entry(i));
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: pct(times, 0.5), p99: pct(times, 0.99) };
}

async function verifyTime(ledger) {
  const have = (await verifyLedger(ledger)).count;
  for (let i = have; i < VERIFY_ENTRIES; i += 1000) await appendEntries(ledger, Array.from({ length: Math.min(1000, VERIFY_ENTRIES - i) }, (_, j) => entry(i + j)));
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await verifyLedger(ledger);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (!result.ok) throw new Error(`bench ledger does not verify: ${result.problems[0]?.what}`);
  return { count: result.count, ms, cpuMs: (used.user + used.system) / 1000 };
}

export async function runLedgerBench(log = console.log) {
  const rows = [];
  const missed = [];
  const dir = mkdtempSync(path.join(tmpdir(), "change-policy-bench-ledger-"));
  try {
    const sqlite = await openLedgerDatabase({ dataDir: dir });
    const latency = await appendLatency(sqlite);
    const verified = await verifyTime(sqlite);
    await sqlite.close();
    rows.push({ database: `SQLite (${dir.startsWith("/tmp") ? "temp dir" : dir}, WAL, synchronous=FULL)`, "append p50 (ms)": latency.p50, "append p99 (ms)": latency.p99, [`verify ${verified.count} entries (s)`]: (verified.ms / 1000).toFixed(2), "verify CPU of the command (s)": (verified.cpuMs / 1000).toFixed(2) });
    if (verified.ms > VERIFY_TARGET_MS) missed.push(`SQLite verify of ${verified.count} entries took ${(verified.ms / 1000).toFixed(2)} s (target ≤ 5 s)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!postgresInstalled()) {
    log("PostgreSQL: skipped (not installed; `apt-get install postgresql` to measure it)");
  } else {
    const cluster = await startPostgres({ durable: true });
    try {
      const pg = await openLedgerDatabase({ databaseUrl: cluster.url, dataDir: "unused" });
      const latency = await appendLatency(pg);
      const verified = await verifyTime(pg);
      await pg.close();
      rows.push({ database: "PostgreSQL (local cluster, fsync on)", "append p50 (ms)": latency.p50, "append p99 (ms)": latency.p99, [`verify ${verified.count} entries (s)`]: (verified.ms / 1000).toFixed(2), "verify CPU of the command (s)": (verified.cpuMs / 1000).toFixed(2) });
      if (verified.ms > VERIFY_TARGET_MS) missed.push(`PostgreSQL verify of ${verified.count} entries took ${(verified.ms / 1000).toFixed(2)} s (target ≤ 5 s)`);
    } finally {
      await cluster.stop();
    }
  }
  return { rows, missed };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { rows, missed } = await runLedgerBench();
  console.table(rows);
  if (missed.length) {
    console.error(`ledger targets missed:\n- ${missed.join("\n- ")}`);
    process.exitCode = 1;
  }
}
