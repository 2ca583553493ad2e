// `change-policy sweep`: one sweep of open post-implementation reviews (reminders, overdue
// escalation), for an external scheduler such as a Kubernetes CronJob. Safe to run as often as
// you like and next to the server's own timer: every comment is written at most once (markers).
//
// Credentials, in order:
//   GITHUB_TOKEN (a token that can write issues)       → sweeps the repositories given with --repo;
//   APP_ID + PRIVATE_KEY / PRIVATE_KEY_PATH (the app)  → sweeps every installation, or only --repo ones.
// GHE_HOST / GHE_PROTOCOL point it at GitHub Enterprise Server.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { ProbotOctokit } from "probot";
import type { GitHubClient } from "../github/client.js";
import type { RepoRef } from "../github/issues.js";
import {
  installationRepositories,
  sweepInstallation,
  sweepLabelsFromEnv,
  type SweepOutcome,
} from "../handlers/post-review-sweep.js";

/** Where a sweep gets its clients: one per installation (app auth), or one token for given repos. */
export interface SweepClients {
  /** Each client with the repositories it should sweep (undefined: all it can see). */
  targets(repos: RepoRef[]): Promise<{ octokit: GitHubClient; repositories?: RepoRef[] }[]>;
}

export interface SweepRun {
  clients: SweepClients;
  repos: RepoRef[];
  labels: string[];
  now: Date;
  write: (line: string) => void;
  json?: boolean;
}

/** Runs one sweep and prints what it did; the exit code is 1 when anything failed. */
export async function runSweep(run: SweepRun): Promise<{ exitCode: number; outcomes: SweepOutcome[] }> {
  const outcomes: SweepOutcome[] = [];
  for (const target of await run.clients.targets(run.repos)) {
    outcomes.push(...(await sweepInstallation(target.octokit, { now: run.now, labels: run.labels, ...(target.repositories ? { repositories: target.repositories } : {}) })));
  }
  const errors = outcomes.filter((o) => o.result === "error");
  if (run.json) {
    run.write(JSON.stringify({ outcomes }, null, 2));
  } else {
    for (const o of outcomes) {
      if (o.result === "not-due") continue;
      run.write(`${o.repository}${o.issue ? `#${o.issue}` : ""}: ${o.result}${o.message ? ` (${o.message})` : ""}`);
    }
    const count = (r: SweepOutcome["result"]) => outcomes.filter((o) => o.result === r).length;
    run.write(
      `Swept ${outcomes.filter((o) => o.issue !== null).length} open follow-up issue(s): ${count("reminded")} reminded, ${count("escalated")} escalated as overdue, ${count("already-done")} already notified, ${count("not-due")} not due yet, ${errors.length} error(s).`,
    );
  }
  return { exitCode: errors.length > 0 ? 1 : 0, outcomes };
}

export function parseRepo(text: string): RepoRef {
  const match = /^([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})$/.exec(text.trim());
  if (!match) throw new Error(`--repo must be OWNER/REPO, not "${text}"`);
  return { owner: match[1]!, repo: match[2]! };
}

function baseUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.GHE_HOST) return undefined;
  return `${env.GHE_PROTOCOL ?? "https"}://${env.GHE_HOST}/api/v3`;
}

/** Clients from the environment (see the header). */
export function clientsFromEnv(env: NodeJS.ProcessEnv = process.env): SweepClients {
  const url = baseUrl(env);
  if (env.GITHUB_TOKEN) {
    const octokit = new ProbotOctokit({ auth: { token: env.GITHUB_TOKEN }, ...(url ? { baseUrl: url } : {}) }) as GitHubClient;
    return {
      targets: async (repos) => {
        if (repos.length === 0) throw new Error("with GITHUB_TOKEN, name the repositories to sweep with --repo OWNER/REPO (repeatable)");
        return [{ octokit, repositories: repos }];
      },
    };
  }
  const privateKey = env.PRIVATE_KEY ?? (env.PRIVATE_KEY_PATH ? readFileSync(env.PRIVATE_KEY_PATH, "utf8") : undefined);
  if (!env.APP_ID || !privateKey) {
    throw new Error("no credentials: set GITHUB_TOKEN, or APP_ID with PRIVATE_KEY or PRIVATE_KEY_PATH");
  }
  const appOctokit = new ProbotOctokit({ auth: { appId: Number(env.APP_ID), privateKey }, ...(url ? { baseUrl: url } : {}) }) as GitHubClient;
  return { targets: (repos) => installationTargets(appOctokit, repos) };
}

/** One client per installation; with --repo, only installations (and repositories) that were named. */
export async function installationTargets(appOctokit: GitHubClient, repos: RepoRef[]): Promise<{ octokit: GitHubClient; repositories?: RepoRef[] }[]> {
  const installations = await appOctokit.paginate("GET /app/installations", { per_page: 100 });
  const targets: { octokit: GitHubClient; repositories?: RepoRef[] }[] = [];
  for (const installation of installations) {
    const account = (installation.account && "login" in installation.account ? installation.account.login : "").toLowerCase();
    const wanted = repos.filter((r) => r.owner.toLowerCase() === account);
    if (repos.length > 0 && wanted.length === 0) continue;
    // Probot's auth strategy hands the factory the app's auth options plus the installation id;
    // a client built from them authenticates as that installation (as Probot does for events).
    const baseUrl = appOctokit.request.endpoint.DEFAULTS.baseUrl;
    const octokit = (await appOctokit.auth({
      type: "installation",
      installationId: installation.id,
      factory: (auth: Record<string, unknown>) => new ProbotOctokit({ baseUrl, auth: { ...auth, installationId: installation.id } }),
    })) as GitHubClient;
    targets.push({ octokit, repositories: wanted.length > 0 ? wanted : await installationRepositories(octokit) });
  }
  return targets;
}

export function registerSweepCommand(program: Command, clients: () => SweepClients = () => clientsFromEnv()): void {
  program
    .command("sweep")
    .description("one sweep of emergency follow-up issues: a reminder before the due time, the `overdue` label and an escalation when late (each once)")
    .option("--repo <owner/repo>", "repository to sweep (repeatable; default: every repository of every installation)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--label <label>", "label that marks follow-up issues (repeatable; default: SWEEP_LABELS or post-implementation-review)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--json", "print the outcome of every follow-up issue as JSON")
    .action(async (options: { repo: string[]; label: string[]; json?: boolean }) => {
      try {
        const { exitCode } = await runSweep({
          clients: clients(),
          repos: options.repo.map(parseRepo),
          labels: options.label.length > 0 ? options.label : sweepLabelsFromEnv(),
          now: new Date(),
          write: (line) => process.stdout.write(`${line}\n`),
          ...(options.json ? { json: true } : {}),
        });
        process.exitCode = exitCode;
      } catch (error) {
        process.stderr.write(`change-policy sweep: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      }
    });
}
