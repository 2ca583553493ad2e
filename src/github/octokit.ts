// The one way this app builds its GitHub client class, shared by the server and every command:
// Probot's Octokit (auth, retries, throttling) plus our request metrics, with the rate limiter keyed
// per installation and, when several replicas run, shared through Redis.
import Bottleneck from "bottleneck";
import { ProbotOctokit } from "probot";
import { instrumentOctokit } from "../metrics.js";
import { withResilience, type ResilienceOptions } from "./resilience.js";
import { sharedThrottleGroups } from "./shared-throttle.js";

export interface OctokitClassOptions {
  /** Bottleneck's Redis connection: all replicas then share GitHub's rate limits. */
  throttleConnection?: InstanceType<typeof Bottleneck.IORedisConnection>;
  /** Replaces the throttle's callbacks (the CLI reports waits on stderr and gives up after a few). */
  throttle?: Record<string, unknown>;
  /** The class to extend; tests pass one with retries and throttling off. */
  base?: typeof ProbotOctokit;
  /** Timeouts, safe retries and bounded rate-limit waits (src/github/resilience.ts); none when absent. */
  resilience?: Partial<ResilienceOptions>;
}

export function octokitClass(options: OctokitClassOptions = {}): typeof ProbotOctokit {
  const base = options.base ?? ProbotOctokit;
  // Shared through Redis while it answers, this process's own limits while it does not (shared-throttle.ts).
  const groups = options.throttleConnection ? sharedThrottleGroups(options.throttleConnection) : undefined;
  const built = base.plugin(instrumentOctokit).defaults((instance: Record<string, unknown>) => {
    // GitHub's limits are per installation, but Probot gives the clients it makes for webhook
    // events one shared limiter id, which spaces ALL writes of the process 1 s apart. Key the
    // limiter by installation instead (and share it across replicas through Redis when set).
    const installationId = (instance.auth as { installationId?: number } | undefined)?.installationId;
    // Probot merges its own throttle defaults under whatever is given here.
    const throttle = (instance.throttle ?? {}) as Record<string, unknown>;
    if (throttle.enabled === false) return instance;
    return {
      ...instance,
      throttle: {
        ...throttle,
        ...options.throttle,
        id: installationId ? `installation-${installationId}` : (throttle.id ?? "change-policy-app"),
        // `clustering` keeps the plugin's expiry of jobs queued in Redis (a job never waits forever there).
        ...(groups ? { Bottleneck, clustering: true, ...groups } : {}),
      },
    };
  }) as typeof ProbotOctokit;
  // Outermost: the request metrics then count every attempt it makes.
  return options.resilience ? withResilience(built, options.resilience) : built;
}
