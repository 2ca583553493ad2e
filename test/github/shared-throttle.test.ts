// The rate limiters shared through Redis, against a real redis-server that is killed and restarted
// empty: a request goes through exactly once whatever Redis does, and the shared limiter comes back.
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import Bottleneck from "bottleneck";
import { Redis } from "ioredis";
import { redisAnswers, sharedThrottleGroups } from "../../src/github/shared-throttle.js";
import { startRedis, type RedisProcess } from "../helpers/redis.js";
import { waitFor } from "../server-fixtures.js";

let redis: RedisProcess;
let client: Redis;
let connection: InstanceType<typeof Bottleneck.IORedisConnection>;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  client.on("error", () => undefined);
  connection = new Bottleneck.IORedisConnection({ client: client as never });
  connection.on("error", () => undefined);
  await waitFor(() => redisAnswers(connection), 10_000);
});
afterAll(async () => {
  await connection.disconnect(false).catch(() => undefined);
  client.disconnect();
  await redis.stop();
});

const settingsKey = (id: string) => `b_octokit-global-${id}_settings`;

test("a request that fails on its own (GitHub's answer) is not sent again", async () => {
  const groups = sharedThrottleGroups(connection);
  let sent = 0;
  await expect(
    groups.global.key("failing").schedule({}, async () => {
      sent += 1;
      throw new Error("502 from GitHub");
    }),
  ).rejects.toThrow("502 from GitHub");
  expect(sent).toBe(1);
  expect(await client.exists(settingsKey("failing"))).toBe(1); // it went through Redis
});

test("Redis restarted empty: the next request is sent once, in-process; the one after is shared through Redis again", async () => {
  const groups = sharedThrottleGroups(connection);
  const send = () => groups.global.key("restarted").schedule({}, async (...args: unknown[]) => args.join(","), "a", "b");
  expect(await send()).toBe("a,b");
  expect(await client.exists(settingsKey("restarted"))).toBe(1);

  await redis.restart();
  await waitFor(() => redisAnswers(connection), 10_000);
  expect(await client.exists(settingsKey("restarted"))).toBe(0);
  let sent = 0;
  expect(await groups.global.key("restarted").schedule({}, async () => ++sent)).toBe(1);
  expect(sent).toBe(1);
  expect(await send()).toBe("a,b");
  expect(await client.exists(settingsKey("restarted"))).toBe(1);
});

test("Redis away: requests go through this process's own limiter, without waiting for Redis", async () => {
  const groups = sharedThrottleGroups(connection);
  await redis.kill();
  await waitFor(() => !redisAnswers(connection), 5_000);
  const results = await Promise.all([1, 2, 3].map((n) => groups.global.key("away").schedule({}, async () => n)));
  expect(results).toEqual([1, 2, 3]);
  await redis.restart();
});
