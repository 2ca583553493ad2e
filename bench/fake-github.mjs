// A local GitHub-compatible API (loopback, GHE_HOST) for the benchmark and for end-to-end tests of
// the real server process: the endpoints an evaluation uses, ETags and 304s as GitHub gives them
// (GitHub does not count a 304 against the rate limit; `notModified` counts those), and a fault
// plan that makes chosen requests fail the way GitHub does: 502, no answer at all (a hung
// connection), or 429 with retry-after. Moved out of bench/run.mjs so that tests reuse it.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";

export const HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const DEFAULT_BODY = "## Description\nUpgrade the HTTP client.\n\n## Impact analysis\nOutbound requests only.\n\n## Rollback plan\nRevert and redeploy.\n";
const DEFAULT_CONFIG = readFileSync(new URL("../examples/change-policy.yml", import.meta.url), "utf8");

// Scenario by repository name: typical (5 files, 2 reviews), files3000, reviews300.
const scenario = (repo) => (repo.startsWith("files3000") ? { files: 3000, reviews: 2 } : repo.startsWith("reviews300") ? { files: 5, reviews: 300 } : { files: 5, reviews: 2 });

/**
 * @typedef {{ status: number, headers?: Record<string, string>, body?: unknown } | { hang: true }} FaultAnswer
 * @typedef {{ method?: string, path: string | RegExp, times?: number, answer: FaultAnswer & { applied?: boolean } }} Fault
 */

/**
 * @param {{ config?: string, body?: string }} [options]
 */
export async function startFakeGitHub(options = {}) {
  const config = options.config ?? DEFAULT_CONFIG;
  const prBody = options.body ?? DEFAULT_BODY;
  /** @type {Fault[]} */
  const faults = [];
  const hung = new Set(); // responses never answered, ended on close()
  const fake = {
    /** `${repo}#${pr}` → the check run as GitHub would return it in the PR query. */
    checks: new Map(),
    /** "METHOD /path" of every request since the last reset. */
    requests: [],
    notModified: 0,
    lastRequestAt: performance.now(),
    /** repo → resolve() of whoever waits for that repo's next check write. */
    writeWaiters: new Map(),
    /** repo → PR number (one PR per repository in the benchmark). */
    currentPr: new Map(),
    /** What each fault did: { request, answer }. */
    faultLog: [],
    /**
     * PRs of their own (bench/load.mjs): `${repo}#${number}` → { head, reviews } (GraphQL review
     * nodes). Their check writes are found by head SHA (create) and run id (update), not currentPr.
     */
    pulls: new Map(),
    /** Every check write of a registered PR: { key, method, id, headSha, conclusion, title, at, answered }. */
    checkWrites: [],
    /**
     * Faults at random: each request no planned fault took fails with probability `rate`, its
     * answer picked from `answers` ({ status, applied: true } on a check write: written, then failed).
     * @type {null | { rate: number, answers: (FaultAnswer & { applied?: boolean })[], random: () => number }}
     */
    randomFaults: null,
    port: 0,
    /** Chosen requests fail: `times` matching requests (default 1) get `answer` instead (a check write with `applied: true` is made first). */
    fail(/** @type {Fault} */ fault) {
      faults.push({ times: 1, ...fault });
      return fake;
    },
    /** Requests that are hanging right now (their client has not given up yet). */
    hanging: () => hung.size,
    async close() {
      for (const res of hung) res.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };

  function json(res, status, data, extra = {}) {
    const text = JSON.stringify(data);
    const etag = `"${createHash("sha1").update(text).digest("hex")}"`;
    if (res.req.method === "GET" && status === 200 && res.req.headers["if-none-match"] === etag) {
      fake.notModified += 1;
      res.writeHead(304, { etag, "x-ratelimit-remaining": "4999", "x-ratelimit-resource": "core", ...extra });
      return res.end();
    }
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-ratelimit-remaining": "4999", "x-ratelimit-resource": "core", ...(res.req.method === "GET" ? { etag } : {}), ...extra });
    res.end(text);
  }

  function pullData({ repo, number, ...variables }) {
    const s = scenario(repo);
    const own = fake.pulls.get(`${repo}#${number}`);
    const head = own?.head ?? HEAD;
    const check = fake.checks.get(`${repo}#${number}`);
    const review = (i) => ({ author: { login: `reviewer${i % 10}`, __typename: "User" }, authorCanPushToRepository: true, state: i % 3 === 0 ? "COMMENTED" : "APPROVED", submittedAt: "2026-11-24T11:00:00Z", commit: { oid: HEAD } });
    return {
      // The teams the policy's groups use, asked for in the same query (t0, t1, …): nobody in them here.
      ...Object.fromEntries(Object.keys(variables).filter((k) => /^o\d+$/.test(k)).map((k) => [`t${k.slice(1)}`, { team: { members: { pageInfo: { hasNextPage: false }, nodes: [] } } }])),
      repository: {
        isPrivate: true,
        defaultBranchRef: { name: "main" },
        pullRequest: {
          number, title: "Upgrade the HTTP client", body: prBody, isDraft: false, state: "OPEN", merged: false, mergedAt: null, mergedBy: null,
          author: { login: "author", __typename: "User" }, headRefOid: head, baseRefName: "main", changedFiles: s.files,
          assignees: { nodes: [] }, labels: { nodes: [] }, timelineItems: { nodes: [] },
          files: { pageInfo: { hasNextPage: s.files > 100 }, nodes: Array.from({ length: Math.min(100, s.files) }, (_, i) => ({ path: `src/module${i}/file.ts`, changeType: "MODIFIED" })) },
          reviews: own ? { pageInfo: { hasNextPage: false }, nodes: own.reviews } : { pageInfo: { hasNextPage: s.reviews > 100 }, nodes: Array.from({ length: Math.min(100, s.reviews) }, (_, i) => review(i)) },
          commits: { nodes: [{ commit: { oid: head, checkSuites: { nodes: check ? [{ checkRuns: { nodes: [check] } }] : [] } } }] },
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

  /** Answers with the first matching fault; true when it did. */
  function injectFault(req, res, path) {
    let fault = faults.find((f) => f.times > 0 && (!f.method || f.method === req.method) && (typeof f.path === "string" ? f.path === path : f.path.test(path)));
    const random = fake.randomFaults;
    if (!fault && random && random.random() < random.rate) {
      const answer = random.answers[Math.floor(random.random() * random.answers.length)];
      // Written, then failed: only a check write can be, the others fail before any effect.
      if ("applied" in answer && answer.applied && req.method !== "GET" && /\/check-runs(\/\d+)?$/.test(path)) {
        fake.faultLog.push({ request: `${req.method} ${path}`, answer: `${answer.status} after writing` });
        return answer;
      }
      fault = { times: 1, answer: "applied" in answer ? { status: answer.status, headers: answer.headers } : answer };
    }
    if (!fault) return false;
    fault.times -= 1;
    if (fault.answer.applied && req.method !== "GET" && /\/check-runs(\/\d+)?$/.test(path)) {
      fake.faultLog.push({ request: `${req.method} ${path}`, answer: `${fault.answer.status} after writing` });
      return fault.answer;
    }
    fake.faultLog.push({ request: `${req.method} ${path}`, answer: "hang" in fault.answer ? "hang" : fault.answer.status });
    if ("hang" in fault.answer) {
      hung.add(res);
      res.on("close", () => hung.delete(res));
      return true;
    }
    json(res, fault.answer.status, fault.answer.body ?? { message: `fake GitHub: injected ${fault.answer.status}` }, fault.answer.headers ?? {});
    return true;
  }

  const ownCheckIds = new Map(); // check run id → key of a registered PR
  /** The registered PR a check write is for: by run id (update) or by head SHA (create). */
  function ownCheckKey(repo, id, data) {
    if (id) return ownCheckIds.get(Number(id));
    for (const [key, pull] of fake.pulls) if (key.startsWith(`${repo}#`) && pull.head === data.head_sha) return key;
    return undefined;
  }

  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const url = new URL(req.url, `http://${req.headers.host}`);
      const path = url.pathname.replace(/^\/api\/v3/, "");
      fake.requests.push(`${req.method} ${path}`);
      fake.lastRequestAt = performance.now();
      const injected = injectFault(req, res, path);
      if (injected === true) return;
      let m;
      if (req.method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(path))
        return json(res, 201, { token: `ghs_${"b".repeat(36)}`, expires_at: new Date(Date.now() + 3600e3).toISOString(), permissions: {}, repository_selection: "all" });
      if (req.method === "POST" && path === "/api/graphql") {
        const { variables } = JSON.parse(body);
        return json(res, 200, { data: pullData(variables) });
      }
      if (/^\/repos\/[^/]+\/[^/]+\/contents\//.test(path)) {
        const etag = `"${createHash("sha1").update(config).digest("hex")}"`;
        if (req.headers["if-none-match"] === etag) {
          fake.notModified += 1;
          res.writeHead(304, { etag, "x-ratelimit-remaining": "4999" });
          return res.end();
        }
        res.writeHead(200, { "content-type": "application/vnd.github.raw; charset=utf-8", "x-ratelimit-remaining": "4999", etag });
        return res.end(config);
      }
      if ((m = /^\/repos\/[^/]+\/([^/]+)\/pulls\/(\d+)\/files$/.exec(path)))
        return page(res, url, scenario(m[1]).files, (i) => ({ filename: `src/module${i}/file.ts`, status: "modified" }));
      if ((m = /^\/repos\/[^/]+\/([^/]+)\/pulls\/(\d+)\/reviews$/.exec(path)))
        return page(res, url, scenario(m[1]).reviews, (i) => ({ id: i, user: { login: `reviewer${i % 10}`, type: "User" }, state: i % 3 === 0 ? "COMMENTED" : "APPROVED", submitted_at: "2026-11-24T11:00:00Z", commit_id: HEAD }));
      if ((m = /^\/repos\/[^/]+\/[^/]+\/collaborators\/([^/]+)\/permission$/.exec(path)))
        return json(res, 200, { permission: "write", role_name: "write", user: { login: m[1] } });
      if (/^\/orgs\/[^/]+\/teams\/[^/]+\/members$/.test(path)) return json(res, 200, []);
      // Our run on a commit (looked up before a fail-closed write): the one the PR query would show.
      if (req.method === "GET" && (m = /^\/repos\/[^/]+\/([^/]+)\/commits\/([0-9a-f]+)\/check-runs$/.exec(path))) {
        let key;
        for (const [k, pull] of fake.pulls) if (k.startsWith(`${m[1]}#`) && pull.head === m[2]) key = k;
        if (!key && m[2] === HEAD) key = `${m[1]}#${fake.currentPr.get(m[1])}`;
        const check = key ? fake.checks.get(key) : undefined;
        const appId = Number(url.searchParams.get("app_id") ?? 1);
        const runs = check && (!url.searchParams.has("check_name") || url.searchParams.get("check_name") === "Change Policy") ? [check] : [];
        return json(res, 200, {
          total_count: runs.length,
          check_runs: runs.map((c) => ({ id: c.databaseId, name: "Change Policy", head_sha: m[2], status: c.status.toLowerCase(), conclusion: c.conclusion?.toLowerCase() ?? null, output: { title: c.title, summary: c.summary, text: null, annotations_count: 0 }, app: { id: appId } })),
        });
      }
      if ((m = /^\/repos\/[^/]+\/([^/]+)\/check-runs(?:\/(\d+))?$/.exec(path))) {
        const data = JSON.parse(body);
        const own = ownCheckKey(m[1], m[2], data);
        const key = own ?? `${m[1]}#${data.__pr ?? fake.currentPr.get(m[1])}`;
        const id = m[2] ? Number(m[2]) : own ? 1_000_000 + fake.checkWrites.length : fake.checks.size + 1;
        fake.checks.set(key, { databaseId: id, status: "COMPLETED", conclusion: data.conclusion.toUpperCase(), title: data.output.title, summary: data.output.summary });
        if (own) {
          if (!m[2]) ownCheckIds.set(id, own);
          fake.checkWrites.push({ key, method: req.method, id, headSha: fake.pulls.get(own).head, conclusion: data.conclusion, title: data.output.title, at: performance.now(), answered: injected ? injected.status : m[2] ? 200 : 201 });
        }
        if (injected) json(res, injected.status, { message: `fake GitHub: injected ${injected.status} after writing` }, injected.headers ?? {});
        else json(res, m[2] ? 200 : 201, { id });
        fake.writeWaiters.get(m[1])?.();
        fake.writeWaiters.delete(m[1]);
        return;
      }
      json(res, 404, { message: `fake GitHub: nothing for ${req.method} ${path}` });
    });
  });
  fake.port = await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
  return fake;
}
