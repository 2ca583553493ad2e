/* global performance, structuredClone -- Node 20 globals */
// Deployment gate and merge queue benchmark: GitHub requests per decision. The real app (Probot with
// its webhook HTTP handler, signed deliveries) against a local GitHub-compatible server that answers
// what a decision reads (policy file with ETags, GraphQL, compare, team members, the review) and
// counts every request, the ones GitHub would count against the rate limit (not 304s) and GraphQL
// queries. Run after `npm run build`:  node bench/deployment.mjs  (or `npm run bench`).
// Target (issue 11): a deployment decision costs "a handful" of requests: the deployments list (with
// tags), compare, one GraphQL query per 100 commits, the review.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { createNodeMiddleware } from "probot";
import { benchProbot, deliver, listen } from "./in-process-app.mjs";
import { createApp } from "../dist/app.js";
import { ApiBudget } from "../dist/github/budget.js";
import { BackgroundWork } from "../dist/infra/background.js";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples");
const MERGE_GROUP = examples.find((e) => e.name === "merge_group").examples[0];
const FIXTURE = JSON.parse(readFileSync(new URL("../test/fixtures/deployment_protection_rule.requested.json", import.meta.url), "utf8"));

const INSTALLATION = 9;
const S = FIXTURE.deployment.sha;
const PREVIOUS = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c";
const sha = (i) => i.toString(16).padStart(40, "0");
/** The commit of the pull request a merge group adds (distinct from the deployed history). */
const QUEUED = "104".padEnd(40, "f");

/** Per scenario: the policy, the commits since the previous deployment and who is in the deployers team. */
const world = { policy: "", commits: 3, tagOnS: true };

function fakeGitHub() {
  const stats = { requests: 0, counted: 0, notModified: 0, graphql: 0, reviews: 0, checks: 0, last: "" };
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const url = new URL(req.url, "http://localhost");
      const path = url.pathname;
      const reply = (status, body, headers = {}) => {
        stats.requests += 1;
        if (status === 304) stats.notModified += 1;
        else stats.counted += 1;
        res.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4000", "x-ratelimit-resource": "core", ...headers });
        res.end(status === 304 || status === 204 ? undefined : typeof body === "string" ? body : JSON.stringify(body));
      };
      const withEtag = (text, headers = {}) => {
        const etag = `"${createHash("sha1").update(text).digest("hex")}"`;
        if (req.headers["if-none-match"] === etag) return reply(304, "", { etag });
        return reply(200, text, { etag, ...headers });
      };
      if (req.method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
        res.writeHead(201, { "content-type": "application/json" });
        return res.end(JSON.stringify({ token: "ghs_bench", expires_at: new Date(Date.now() + 3600_000).toISOString() }));
      }
      if (req.method === "GET" && path === "/repos/octo-org/octo-repo/contents/.github%2Fchange-policy.yml") {
        return withEtag(world.policy, { "content-type": "application/vnd.github.raw; charset=utf-8" });
      }
      if (req.method === "POST" && path === "/graphql") {
        stats.graphql += 1;
        const { query, variables } = JSON.parse(raw);
        if (query.includes("DeploymentHistory")) return reply(200, history());
        if (query.includes("CommitDetails")) return reply(200, commitDetails(variables));
        if (query.includes("PullSnapshot")) return reply(200, pull(variables.number));
      }
      if (req.method === "GET" && path.startsWith("/repos/octo-org/octo-repo/compare/")) {
        const [base] = decodeURIComponent(path.split("/compare/")[1]).split("...");
        // The merge group's base: the group carries one commit, of the queued PR #104.
        if (base === MERGE_GROUP.merge_group.base_sha) return reply(200, { status: "ahead", ahead_by: 1, behind_by: 0, total_commits: 1, commits: [{ sha: QUEUED }], files: [] });
        if (base !== PREVIOUS) return reply(200, { status: "behind", ahead_by: 0, behind_by: 2, total_commits: 0, commits: [], files: [] });
        const perPage = Number(url.searchParams.get("per_page") ?? 250);
        const page = Number(url.searchParams.get("page") ?? 1);
        const all = Array.from({ length: world.commits }, (_, i) => ({ sha: i === world.commits - 1 ? S : sha(i + 1) }));
        return reply(200, { status: "ahead", ahead_by: world.commits, behind_by: 0, total_commits: world.commits, commits: all.slice((page - 1) * perPage, page * perPage), files: [] });
      }
      if (req.method === "GET" && path === "/orgs/octo-org/teams/releasers/members") return withEtag(JSON.stringify([{ login: "dora" }]));
      if (req.method === "GET" && /^\/repos\/octo-org\/octo-repo\/collaborators\/[^/]+\/permission$/.test(path)) return reply(200, { permission: "write", role_name: "write" });
      if (req.method === "POST" && path === "/repos/octo-org/octo-repo/actions/runs/7001/deployment_protection_rule") {
        stats.reviews += 1;
        stats.last = JSON.parse(raw).state;
        return reply(204, "");
      }
      if (req.method === "POST" && path === "/repos/octo-org/octo-repo/check-runs") {
        stats.checks += 1;
        stats.last = `check ${JSON.parse(raw).conclusion}`;
        return reply(201, { id: 1 });
      }
      reply(404, { message: `bench GitHub does not know ${req.method} ${path}` });
    });
  });
  return { server, stats };
}

function history() {
  return {
    data: {
      repository: {
        deployments: {
          pageInfo: { hasNextPage: false, endCursor: null },
          nodes: [
            { databaseId: 1, commitOid: S, statuses: { nodes: [{ state: "WAITING" }] } },
            { databaseId: 2, commitOid: PREVIOUS, statuses: { nodes: [{ state: "IN_PROGRESS" }, { state: "SUCCESS" }] } },
          ],
        },
        refs: { nodes: world.tagOnS ? [{ name: "v1.4.0", target: { oid: S } }] : [] },
      },
    },
  };
}

/** Every commit belongs to a merged, compliant PR; two commits per PR. */
function commitDetails(variables) {
  const repository = {};
  for (const [key, oid] of Object.entries(variables)) {
    if (!/^c\d+$/.test(key)) continue;
    const queued = oid === QUEUED;
    const number = queued ? 104 : 100 + Math.floor(Number(key.slice(1)) / 2);
    repository[key] = {
      oid,
      messageHeadline: "A change",
      author: { name: "Alice", user: { login: "alice" } },
      associatedPullRequests: {
        nodes: [{
          number, merged: !queued, state: queued ? "OPEN" : "MERGED", title: `Change ${number}`, baseRefName: "main", headRefOid: oid, mergeCommit: queued ? null : { oid },
          commits: { nodes: [{ commit: { oid, checkSuites: { nodes: [{ checkRuns: { nodes: [{ databaseId: number, status: "COMPLETED", conclusion: "SUCCESS", title: "Normal change: all requirements met" }] } }] } } }] },
        }],
      },
    };
  }
  return { data: { repository } };
}

function pull(number) {
  return {
    data: {
      repository: {
        isPrivate: true,
        pullRequest: {
          number, title: "Document the configuration", body: "## Description\nExplain how to configure the service.", isDraft: false, state: "OPEN", merged: false,
          mergedAt: null, mergedBy: null, author: { login: "Codertocat", __typename: "User" }, headRefOid: sha(number), baseRefName: "main",
          changedFiles: 1, assignees: { nodes: [] }, labels: { nodes: [] }, timelineItems: { nodes: [] },
          files: { pageInfo: { hasNextPage: false }, nodes: [{ path: "docs/guide.md", changeType: "MODIFIED" }] },
          reviews: { pageInfo: { hasNextPage: false }, nodes: [{ author: { login: "bob", __typename: "User" }, authorCanPushToRepository: true, state: "APPROVED", submittedAt: "2026-11-24T11:00:00Z", commit: { oid: sha(number) } }] },
          commits: { nodes: [{ commit: { oid: sha(number), checkSuites: { nodes: [] } } }] },
        },
      },
    },
  };
}

export async function runDeploymentBench() {
  const github = fakeGitHub();
  const githubUrl = await listen(github.server);
  const probot = benchProbot(githubUrl);
  const background = new BackgroundWork({ windowMs: 0, maxWaitMs: 0, spacingMs: 0, maxPauseMs: 60_000 }, new ApiBudget());
  const app = createApp({ now: () => new Date(), appId: 1, background });
  const middleware = await createNodeMiddleware(app, { probot });
  const webhooks = createServer((req, res) => middleware(req, res, () => res.writeHead(404).end()));
  const webhookUrl = `${await listen(webhooks)}/api/github/webhooks`;

  const rows = [];
  let n = 0;
  async function scenario(name, setup, send) {
    Object.assign(world, setup);
    const before = { ...github.stats };
    const started = performance.now();
    await send();
    await background.idle();
    const d = (k) => github.stats[k] - before[k];
    const written = d("reviews") + d("checks");
    rows.push({ scenario: name, result: written > 0 ? github.stats.last : "-", "API requests": d("requests"), "counted (not 304)": d("counted"), "GraphQL": d("graphql"), "reviews / checks written": written, ms: Math.round(performance.now() - started) });
  }
  const deployment = (id) => {
    const payload = structuredClone(FIXTURE);
    payload.deployment.id = id;
    payload.installation = { id: INSTALLATION };
    return payload;
  };
  const teamPolicy = "groups:\n  release-managers: { teams: [octo-org/releasers] }\ndeployments:\n  deployers: release-managers\n  require_tag: true\n";
  try {
    await scenario("deployment: 3 commits, 2 PRs (cold)", { policy: "", commits: 3 }, () => deliver(webhookUrl, "deployment_protection_rule", deployment(++n), `d-${n}`));
    await scenario("deployment: same, warm (policy 304)", { policy: "", commits: 3 }, () => deliver(webhookUrl, "deployment_protection_rule", deployment(++n), `d-${n}`));
    await scenario("deployment: require_tag + deployers team (cold team)", { policy: teamPolicy, commits: 3 }, () => deliver(webhookUrl, "deployment_protection_rule", deployment(++n), `d-${n}`));
    await scenario("deployment: 250 commits, 125 PRs", { policy: "", commits: 250 }, () => deliver(webhookUrl, "deployment_protection_rule", deployment(++n), `d-${n}`));
    const again = deployment(++n);
    await deliver(webhookUrl, "deployment_protection_rule", again, `d-${n}`);
    await scenario("deployment: redelivery of a decided request", { policy: "", commits: 3 }, () => deliver(webhookUrl, "deployment_protection_rule", again, `d-${n}`));
    const group = structuredClone(MERGE_GROUP);
    group.installation = { id: INSTALLATION };
    world.commits = 1;
    await scenario("merge group: 1 PR", { policy: "" }, () => deliver(webhookUrl, "merge_group", group, `mg-${++n}`));
  } finally {
    await app.drain();
    await new Promise((resolve) => webhooks.close(resolve));
    await new Promise((resolve) => github.server.close(resolve));
  }
  return rows;
}

/** Issue 11's budget: a handful of requests for an ordinary decision, none for a redelivery. */
export function deploymentTargetsMissed(rows) {
  const missed = [];
  const [cold, warm, , big, redelivery] = rows;
  for (const row of rows.slice(0, 4)) if (row.result !== "approved") missed.push(`${row.scenario}: ${row.result} (expected approved: every change is compliant)`);
  if (cold["counted (not 304)"] > 6) missed.push(`cold deployment decision: ${cold["counted (not 304)"]} counted requests (target ≤ 6)`);
  if (warm["counted (not 304)"] > 5) missed.push(`warm deployment decision: ${warm["counted (not 304)"]} counted requests (target ≤ 5)`);
  if (big.GraphQL > 4) missed.push(`250-commit deployment: ${big.GraphQL} GraphQL queries (target: 1 for the history + 1 per 100 commits)`);
  if (redelivery["API requests"] !== 0) missed.push(`redelivery made ${redelivery["API requests"]} requests (target 0)`);
  return missed;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const rows = await runDeploymentBench();
  console.table(rows);
  const missed = deploymentTargetsMissed(rows);
  if (missed.length > 0) {
    console.error(`targets missed:\n- ${missed.join("\n- ")}`);
    process.exitCode = 1;
  } else {
    console.log("all deployment gate targets met");
  }
}
