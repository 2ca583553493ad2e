// `npm run bench`: drives the built server (`node dist/server.js`, as in the image) over HTTP with
// signed webhooks, against a local GitHub-compatible API (GHE_HOST), and prints API requests per
// evaluation, evaluations per second, webhook→check latency and the server's CPU and peak memory.
import { spawn } from "node:child_process";
import { createHash, createHmac, generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";
/* global fetch */

const SECRET = "bench-webhook-secret";
// Deliveries are answered at once and evaluated after the coalescing window (see bench/burst.mjs for
// bursts); a short window here measures the evaluation itself.
const WINDOW_MS = process.env.COALESCE_WINDOW_MS ?? "20";
const KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const CONFIG = readFileSync(new URL("../examples/change-policy.yml", import.meta.url), "utf8");
const HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const BODY = "## Description\nUpgrade the HTTP client.\n\n## Impact analysis\nOutbound requests only.\n\n## Rollback plan\nRevert and redeploy.\n";

// Scenario by repository name: typical (5 files, 2 reviews), files3000, reviews300.
const scenario = (repo) => (repo.startsWith("files3000") ? { files: 3000, reviews: 2 } : repo.startsWith("reviews300") ? { files: 5, reviews: 300 } : { files: 5, reviews: 2 });
const checks = new Map(); // `${repo}#${pr}` → the check run we were given
let requests = [];
let lastRequestAt = performance.now();
const writeWaiters = new Map(); // repo → resolve() of whoever waits for that repo's next check write

// Like GitHub, GET answers carry an ETag and a matching If-None-Match gets a 304, which GitHub does
// not count against the rate limit; `notModified` counts those so the figures can separate them.
let notModified = 0;
function json(res, status, data, extra = {}) {
  const text = JSON.stringify(data);
  const etag = `"${createHash("sha1").update(text).digest("hex")}"`;
  if (res.req.method === "GET" && status === 200 && res.req.headers["if-none-match"] === etag) {
    notModified += 1;
    res.writeHead(304, { etag, "x-ratelimit-remaining": "4999", "x-ratelimit-resource": "core", ...extra });
    return res.end();
  }
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-ratelimit-remaining": "4999", "x-ratelimit-resource": "core", ...(res.req.method === "GET" ? { etag } : {}), ...extra });
  res.end(text);
}

function pullData(owner, repo, number) {
  const s = scenario(repo);
  const check = checks.get(`${repo}#${number}`);
  const review = (i) => ({ author: { login: `reviewer${i % 10}`, __typename: "User" }, state: i % 3 === 0 ? "COMMENTED" : "APPROVED", submittedAt: "2026-11-24T11:00:00Z", commit: { oid: HEAD } });
  return {
    repository: {
      isPrivate: true,
      pullRequest: {
        number, title: "Upgrade the HTTP client", body: BODY, isDraft: false, state: "OPEN", merged: false, mergedAt: null, mergedBy: null,
        author: { login: "author", __typename: "User" }, headRefOid: HEAD, baseRefName: "main", changedFiles: s.files,
        assignees: { nodes: [] }, labels: { nodes: [] }, timelineItems: { nodes: [] },
        files: { pageInfo: { hasNextPage: s.files > 100 }, nodes: Array.from({ length: Math.min(100, s.files) }, (_, i) => ({ path: `src/module${i}/file.ts`, changeType: "MODIFIED" })) },
        reviews: { pageInfo: { hasNextPage: s.reviews > 100 }, nodes: Array.from({ length: Math.min(100, s.reviews) }, (_, i) => review(i)) },
        commits: { nodes: [{ commit: { oid: HEAD, checkSuites: { nodes: check ? [{ checkRuns: { nodes: [check] } }] : [] } } }] },
      },
    },
  };
}

function page(res, url, total, make) {
  const perPage = Number(url.searchParams.get("per_page") ?? 30);
  const pageNo = Number(url.searchParams.get("page") ?? 1);
  const items = Array.from({ length: Math.max(0, Math.min(perPage, total - (pageNo - 1) * perPage)) }, (_, i) => make((pageNo - 1) * perPage + i));
  const last = Math.ceil(total / perPage);
  const next = new URL(url);
  next.searchParams.set("page", String(pageNo + 1));
  json(res, 200, items, pageNo < last ? { link: `<http://${res.req.headers.host}${next.pathname}${next.search}>; rel="next"` } : {});
}

const github = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    const path = url.pathname.replace(/^\/api\/v3/, "");
    requests.push(`${req.method} ${path}`);
    lastRequestAt = performance.now();
    let m;
    if (req.method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(path))
      return json(res, 201, { token: `ghs_${"b".repeat(36)}`, expires_at: new Date(Date.now() + 3600e3).toISOString(), permissions: {}, repository_selection: "all" });
    if (req.method === "POST" && path === "/api/graphql") {
      const { variables } = JSON.parse(body);
      return json(res, 200, { data: pullData(variables.owner, variables.repo, variables.number) });
    }
    if (/^\/repos\/[^/]+\/[^/]+\/contents\//.test(path)) {
      const etag = `"${createHash("sha1").update(CONFIG).digest("hex")}"`;
      if (req.headers["if-none-match"] === etag) {
        notModified += 1;
        res.writeHead(304, { etag, "x-ratelimit-remaining": "4999" });
        return res.end();
      }
      res.writeHead(200, { "content-type": "application/vnd.github.raw; charset=utf-8", "x-ratelimit-remaining": "4999", etag });
      return res.end(CONFIG);
    }
    if ((m = /^\/repos\/[^/]+\/([^/]+)\/pulls\/(\d+)\/files$/.exec(path)))
      return page(res, url, scenario(m[1]).files, (i) => ({ filename: `src/module${i}/file.ts`, status: "modified" }));
    if ((m = /^\/repos\/[^/]+\/([^/]+)\/pulls\/(\d+)\/reviews$/.exec(path)))
      return page(res, url, scenario(m[1]).reviews, (i) => ({ id: i, user: { login: `reviewer${i % 10}`, type: "User" }, state: i % 3 === 0 ? "COMMENTED" : "APPROVED", submitted_at: "2026-11-24T11:00:00Z", commit_id: HEAD }));
    if ((m = /^\/repos\/[^/]+\/[^/]+\/collaborators\/([^/]+)\/permission$/.exec(path)))
      return json(res, 200, { permission: "write", role_name: "write", user: { login: m[1] } });
    if (/^\/orgs\/[^/]+\/teams\/[^/]+\/members$/.test(path)) return json(res, 200, []);
    if ((m = /^\/repos\/[^/]+\/([^/]+)\/check-runs(?:\/(\d+))?$/.exec(path))) {
      const data = JSON.parse(body);
      const key = `${m[1]}#${data.__pr ?? currentPr.get(m[1])}`;
      const id = m[2] ? Number(m[2]) : checks.size + 1;
      checks.set(key, { databaseId: id, status: "COMPLETED", conclusion: data.conclusion.toUpperCase(), title: data.output.title, summary: data.output.summary });
      json(res, m[2] ? 200 : 201, { id });
      writeWaiters.get(m[1])?.();
      writeWaiters.delete(m[1]);
      return;
    }
    json(res, 404, { message: `bench: no fake for ${req.method} ${path}` });
  });
});
const currentPr = new Map(); // repo → PR number (one PR per repository in this benchmark)

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
const githubPort = await listen(github);
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
  currentPr.set(repo, number);
  const base = payloadTemplate.find((e) => e.name === "pull_request")?.examples.find((e) => e.action === "synchronize");
  const payload = { ...base, action: "synchronize", number, installation: { id: installation }, repository: { ...base.repository, name: repo, full_name: `bench/${repo}`, owner: { ...base.repository.owner, login: "bench" } }, pull_request: { ...base.pull_request, number, state: "open", head: { ...base.pull_request.head, sha: HEAD } } };
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
  lastRequestAt = performance.now();
  // Probot spaces an installation's writes 1 s apart (the GraphQL read counts as one), so an
  // evaluation can be silent for a second between its read and its check write.
  const quietMs = Number(WINDOW_MS) + 1500;
  while (performance.now() - lastRequestAt < quietMs) await new Promise((r) => setTimeout(r, 25));
}

async function count(label, repo, installation) {
  const counted = (list, free) => `${String(list.length).padStart(3)} (${String(list.length - free).padStart(2)} counted)`;
  requests = [];
  notModified = 0;
  await evaluate(repo, 1, installation);
  const first = counted(requests, notModified);
  requests = [];
  notModified = 0;
  checks.delete(`${repo}#1`); // the verdict must be written again (a new head commit)
  await evaluate(repo, 1, installation);
  const againList = requests;
  const again = counted(requests, notModified);
  requests = [];
  notModified = 0;
  await evaluate(repo, 1, installation); // nothing changed: no write
  const unchanged = counted(requests, notModified);
  console.log(`${label.padEnd(22)} first ${first}  re-evaluation ${again}  unchanged ${unchanged}   (${againList.join(", ").slice(0, 120)})`);
}

console.log("GitHub API requests per evaluation");
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
  const written = new Promise((resolve) => writeWaiters.set(repo, resolve));
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
  checks.delete(`warm${i % REPOS}#1`);
  latencies.push(await deliverAndWaitForCheck(`warm${i % REPOS}`, 100 + (i % REPOS)));
});
const seconds = (performance.now() - started) / 1000;
const cpu = cpuMs() - cpuBefore;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
console.log(`\n${N} evaluations, ${CONCURRENCY} at a time: ${(N / seconds).toFixed(0)} evaluations/s; server CPU ${(cpu / N).toFixed(2)} ms per evaluation`);
console.log(`webhook → check written (coalescing window ${WINDOW_MS} ms included): median ${pct(0.5)} ms, p99 ${pct(0.99)} ms`);
console.log(`server peak RSS: ${peakRss().toFixed(0)} MB`);
child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
github.close();

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
