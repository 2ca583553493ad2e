// Several replicas: with REDIS_URL the server's readiness depends on Redis, its GitHub client is
// throttled through Redis (shared by replicas), and its periodic jobs run on one replica at a time.
import type { Probot } from "probot";
import { registry } from "../src/metrics.js";
import type { PeriodicJob } from "../src/infra/periodic-job.js";
import { startServer, type RunningServer } from "../src/server.js";
import { startRedis, type RedisProcess } from "./helpers/redis.js";
import { PRIVATE_KEY, WEBHOOK_SECRET, captureLogs, freePort, get, waitFor } from "./server-fixtures.js";

let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** A GitHub stand-in for the app's own requests (JWT-authenticated `GET /app`). */
const githubRequests: string[] = [];
const fakeGitHub = (async (input: string | URL | Request) => {
  githubRequests.push(String(input));
  return new Response(JSON.stringify({ id: 1, slug: "change-policy" }), {
    status: 200,
    headers: { "content-type": "application/json", "x-ratelimit-remaining": "4321", "x-ratelimit-resource": "core" },
  });
}) as typeof fetch;

async function replica(app: (probot: Probot) => void, jobs: PeriodicJob[]) {
  const env = { APP_ID: "1", PRIVATE_KEY, WEBHOOK_SECRET, HOST: "127.0.0.1", PORT: String(await freePort()), REDIS_URL: redis.url };
  return (await startServer({ env, app, jobs, logDestination: captureLogs().stream, request: { fetch: fakeGitHub } })) as RunningServer;
}

it("is ready while Redis answers, shares throttling through it, and counts GitHub requests by route and status", async () => {
  let appClient: Awaited<ReturnType<Probot["auth"]>> | undefined;
  const server = await replica(async (probot) => {
    appClient = await probot.auth();
  }, []);
  try {
    expect(await get(server.port, "/readyz")).toMatchObject({ status: 200, text: "ready\n" });
    await appClient!.request("GET /app"); // through Bottleneck's Redis connection
    expect(githubRequests).toEqual(["https://api.github.com/app"]);
    const metrics = await registry.metrics();
    expect(metrics).toContain('change_policy_github_requests_total{method="GET",route="/app",status="200"} 1');
    expect(metrics).toContain('change_policy_github_rate_limit_remaining{resource="core"} 4321');
  } finally {
    await server.shutdown("test over");
  }
});

it("runs a periodic job on only one of two replicas at a time", async () => {
  let running = 0;
  let maxConcurrent = 0;
  let runs = 0;
  const job = {
    name: "test-sweep",
    intervalMs: 50,
    lockTtlMs: 10_000,
    run: async () => {
      running += 1;
      runs += 1;
      maxConcurrent = Math.max(maxConcurrent, running);
      await new Promise((r) => setTimeout(r, 120));
      running -= 1;
    },
  };
  const replicas = [await replica(() => undefined, [job]), await replica(() => undefined, [job])];
  try {
    await waitFor(() => runs >= 3, 5000);
  } finally {
    await Promise.all(replicas.map((r) => r.shutdown("test over")));
  }
  expect(maxConcurrent).toBe(1);
});

it("is not ready when Redis is unreachable", async () => {
  const server = await replica(() => undefined, []);
  try {
    await redis.stop();
    const res = await get(server.port, "/readyz");
    expect(res.status).toBe(503);
    expect(res.text).toContain("Redis unreachable");
    expect(await get(server.port, "/healthz")).toMatchObject({ status: 200 }); // alive: do not restart it
  } finally {
    await server.shutdown("test over");
  }
});
