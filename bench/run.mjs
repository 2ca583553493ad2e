// `npm run bench`: drives the built server (`node dist/server.js`, as in the image) over HTTP with
// signed webhooks, against a local GitHub-compatible API (GHE_HOST), and prints API requests per
// evaluation, evaluations per second, webhook→check latency and the server's CPU and peak memory.
import { spawn } from "node:child_process";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";
/* global fetch */

const SECRET = "bench-webhook-secret";
// The production coalescing window: a lone event is evaluated at once whatever it is (see
// bench/burst.mjs for bursts), so the latency below is what a user sees.
const WINDOW_MS = process.env.COALESCE_WINDOW_MS ?? "2000";
const KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
// The GitHub it talks to: loopback, ETag-honouring, counting requests (bench/fake-github.mjs).
const { HEAD, startFakeGitHub } = await import("./fake-github.mjs");

// The app's own CPU (evaluation and check text, no I/O), before the whole-server figures below.
const { runCoreBench } = await import("./evaluate-core.mjs");
console.log("App CPU per evaluation (policy core + check text, no I/O)");
console.table(runCoreBench());

// Parsers of untrusted input (issue 14): worst time over generated inputs of up to 64 KB.
const { fuzzTargetsMissed, runFuzzBench } = await import("./fuzz.mjs");
const fuzzRows = runFuzzBench();
console.log("\nParsers of untrusted input: worst time over generated inputs of up to 64 KB (best of 3 runs each)");
console.table(fuzzRows);
const fuzzMissed = fuzzTargetsMissed(fuzzRows);
if (fuzzMissed.length > 0) {
  console.error(`fuzz targets missed:\n- ${fuzzMissed.join("\n- ")}`);
  process.exitCode = 1;
}

// The evidence ledger: append latency per database and `ledger verify` of 100,000 entries.
const { runLedgerBench } = await import("./ledger.mjs");
console.log("\nEvidence ledger (append latency, verify time)");
const ledgerBench = await runLedgerBench();
console.table(ledgerBench.rows);
if (ledgerBench.missed.length) console.error(`ledger targets missed:\n- ${ledgerBench.missed.join("\n- ")}`);

const listen = (server) => new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
const github = await startFakeGitHub();
const githubPort = github.port;
const probe = createServer();
const appPort = await listen(probe);
await new Promise((r) => probe.close(r));

const child = spawn("node", ["dist/server.js"], {
  env: { ...process.env, APP_ID: "1", PRIVATE_KEY: KEY, WEBHOOK_SECRET: SECRET, PORT: String(appPort), HOST: "127.0.0.1", GHE_HOST: `127.0.0.1:${githubPort}`, GHE_PROTOCOL: "http", LOG_LEVEL: "warn", COALESCE_WINDOW_MS: WINDOW_MS, SWEEP_INTERVAL_MINUTES: "0", NODE_ENV: "production", REDIS_URL: "", NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? "--max-old-space-size=128 --max-semi-space-size=4" }, // as the image
  stdio: ["ignore", "inherit", "inherit"],
});
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`http://127.0.0.1:${appPort}/healthz`)).ok) break;
  } catch {
    // not listening yet
  }
  if (i > 200) throw new Error("server did not start");
  await new Promise((r) => setTimeout(r, 50));
}

let delivery = 0;
const payloadTemplate = JSON.parse(JSON.stringify((await import("@octokit/webhooks-examples", { with: { type: "json" } }).catch(() => null))?.default ?? []));
async function deliver(repo, number, installation) {
  github.currentPr.set(repo, number);
  const base = payloadTemplate.find((e) => e.name === "pull_request")?.examples.find((e) => e.action === "synchronize");
  const payload = { ...base, action: "synchronize", number, installation: { id: installation }, repository: { ...base.repository, name: repo, full_name: `bench/${repo}`, owner: { ...base.repository.owner, login: "bench" } }, pull_request: { ...base.pull_request, number, state: "open", head: { ...base.pull_request.head, sha: HEAD }, base: { ...base.pull_request.base, ref: "main" } } };
  const text = JSON.stringify(payload);
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${appPort}/api/github/webhooks`, {
    method: "POST", body: text,
    headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": `bench-${++delivery}`, "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(text).digest("hex")}` },
  });
  await res.text();
  if (res.status !== 200) throw new Error(`delivery answered ${res.status}`);
  return performance.now() - started;
}
const cpuMs = () => { const f = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" "); return (Number(f[11]) + Number(f[12])) * 10; };
const peakRss = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))[1]) / 1024;

/** Delivers one event and waits until the server has gone quiet (the evaluation runs after the answer). */
async function evaluate(repo, number, installation) {
  await deliver(repo, number, installation);
  github.lastRequestAt = performance.now();
  // Probot spaces an installation's writes 1 s apart (the GraphQL read counts as one), so an
  // evaluation can be silent for a second between its read and its check write.
  const quietMs = Number(WINDOW_MS) + 1500;
  while (performance.now() - github.lastRequestAt < quietMs) await new Promise((r) => setTimeout(r, 25));
}

async function count(label, repo, installation) {
  const counted = (list, free) => `${String(list.length).padStart(3)} (${String(list.length - free).padStart(2)} counted)`;
  github.requests = [];
  github.notModified = 0;
  await evaluate(repo, 1, installation);
  const first = counted(github.requests, github.notModified);
  github.requests = [];
  github.notModified = 0;
  github.checks.delete(`${repo}#1`); // the verdict must be written again (a new head commit)
  await evaluate(repo, 1, installation);
  const againList = github.requests;
  const again = counted(github.requests, github.notModified);
  github.requests = [];
  github.notModified = 0;
  await evaluate(repo, 1, installation); // nothing changed: no write
  const unchanged = counted(github.requests, github.notModified);
  console.log(`${label.padEnd(22)} first ${first}  re-evaluation ${again}  unchanged ${unchanged}   (${againList.join(", ").slice(0, 120)})`);
}

console.log("GitHub API requests per evaluation (target: 1 GraphQL query + the policy file, a 304 when unchanged, + at most 1 check write)");
await count("typical PR", "typical", 1);
await count("3,000-file PR", "files3000", 2);
await count("PR with 300 reviews", "reviews300", 3);

// Throughput and latency: typical re-evaluations that write their check, spread over 200
// installations. Probot spaces an installation's writes (GraphQL counts as one) 1 s apart, so one
// evaluation takes at least ~1 s end to end whatever the app's own cost; throughput comes from
// handling many installations at once.
const N = Number(process.env.BENCH_EVALUATIONS ?? 400);
const REPOS = 200;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
async function pool(count, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) await fn(next++);
  }));
}
/** Webhook sent → that repository's check written, in ms. */
async function deliverAndWaitForCheck(repo, installation) {
  const written = new Promise((resolve) => github.writeWaiters.set(repo, resolve));
  const started = performance.now();
  await deliver(repo, 1, installation);
  await written;
  return performance.now() - started;
}
await pool(REPOS, (i) => deliverAndWaitForCheck(`warm${i}`, 100 + i)); // installation tokens and caches warm
const latencies = [];
const cpuBefore = cpuMs();
const started = performance.now();
await pool(N, async (i) => {
  github.checks.delete(`warm${i % REPOS}#1`);
  latencies.push(await deliverAndWaitForCheck(`warm${i % REPOS}`, 100 + (i % REPOS)));
});
const seconds = (performance.now() - started) / 1000;
const cpu = cpuMs() - cpuBefore;
latencies.sort((a, b) => a - b);
const pct = (list, p) => list[Math.min(list.length - 1, Math.floor(p * list.length))].toFixed(1);
console.log(`\n${N} evaluations, ${CONCURRENCY} at a time: ${(N / seconds).toFixed(0)} evaluations/s; server CPU ${(cpu / N).toFixed(2)} ms per evaluation`);
console.log(`webhook → check written under that load: median ${pct(latencies, 0.5)} ms, p99 ${pct(latencies, 0.99)} ms`);
// A lone event, one at a time (what a developer sees after a push): no window is waited for.
const lone = [];
for (let i = 0; i < 20; i++) {
  github.checks.delete(`warm${i}#1`);
  lone.push(await deliverAndWaitForCheck(`warm${i}`, 100 + i));
}
lone.sort((a, b) => a - b);
console.log(`webhook → check written, lone events (coalescing window ${WINDOW_MS} ms, not waited for): median ${pct(lone, 0.5)} ms (target ≤ 1500), p99 ${pct(lone, 0.99)} ms`);
if (Number(pct(lone, 0.5)) > 1500) {
  console.error("lone-event latency target missed");
  process.exitCode = 1;
}

// Idle means idle (issue 9): CPU the server burns with no webhook arriving, after V8's start-up work.
// (After the load: GC and Bottleneck's bookkeeping settle for a while, so it waits 30 s first.)
await new Promise((r) => setTimeout(r, 30_000));
const idleBefore = cpuMs();
await new Promise((r) => setTimeout(r, 10_000));
console.log(`idle server CPU: ${((cpuMs() - idleBefore) / 10).toFixed(1)} ms per second (target ~0)`);
console.log(`server peak RSS: ${peakRss().toFixed(0)} MB`);
child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
await github.close();

// Bursts (issue 6): deliveries, evaluations, API requests and check writes per scenario.
const { burstTargetsMissed, runBurstBench } = await import("./burst.mjs");
const rows = await runBurstBench({ windowMs: Number(process.env.BURST_WINDOW_MS ?? 300) });
console.log("\nBurst benchmark (coalescing, conditional requests, skipped writes)");
console.table(rows);
const missed = burstTargetsMissed(rows);
if (missed.length > 0) {
  console.error(`burst targets missed:\n- ${missed.join("\n- ")}`);
  process.exitCode = 1;
}

// Deployment gate and merge queue (issue 11): GitHub requests per decision.
const { deploymentTargetsMissed, runDeploymentBench } = await import("./deployment.mjs");
const deploymentRows = await runDeploymentBench();
console.log("\nDeployment gate and merge queue: GitHub requests per decision");
console.table(deploymentRows);
const deploymentMissed = deploymentTargetsMissed(deploymentRows);
if (deploymentMissed.length > 0) {
  console.error(`deployment gate targets missed:\n- ${deploymentMissed.join("\n- ")}`);
  process.exitCode = 1;
}

// The compliance dashboard (SPEC §11): server time per page with 100,000 ledger entries, no GitHub request.
const { runDashboardBench } = await import("./dashboard.mjs");
const dashboardMissed = await runDashboardBench();
if (dashboardMissed.length > 0) {
  console.error(`dashboard targets missed:\n- ${dashboardMissed.join("\n- ")}`);
  process.exitCode = 1;
}

// Load with GitHub failing (issue 14): 1,000 deliveries over 100 PRs on 10 installations within 60 s.
const { reportLoad, runLoadBench } = await import("./load.mjs");
console.log("\nLoad: 1,000 deliveries, 100 PRs, 10 installations, 5 % of GitHub answers failing");
const loadMissed = reportLoad(await runLoadBench());
if (loadMissed.length > 0) {
  console.error(`load targets missed:\n- ${loadMissed.join("\n- ")}`);
  process.exitCode = 1;
}
