// `change-policy sweep`: one sweep of open post-implementation reviews (reminders, overdue
// escalation), for an external scheduler such as a Kubernetes CronJob. Safe to run as often as
// you like and next to the server's own timer: every comment is written at most once (markers).
//
// Credentials (src/cli/github-client.ts): a token (--token / GITHUB_TOKEN) sweeps the --repo
// repositories; the app (APP_ID + PRIVATE_KEY / PRIVATE_KEY_PATH) sweeps the --repo repositories
// through their installation, or without --repo every repository of every installation.
// GHE_HOST / GHE_PROTOCOL point it at GitHub Enterprise Server.
import type { Command } from "commander";
import { ProbotOctokit } from "probot";
import type { GitHubClient } from "../github/client.js";
import type { RepoRef } from "../github/issues.js";
import { installationRepositories } from "../github/repositories.js";
import { sweepInstallation, type SweepOutcome } from "../services/sweep.js";
import { parseSettings } from "../settings.js";
import { createAppClient, createGitHubClient, CredentialsError } from "./github-client.js";
import { EXIT, processIO, type CliIO } from "./io.js";

/** Where a sweep gets its clients: one per installation (app auth), or one token for given repos. */
export interface SweepClients {
  /** Each client with the repositories it should sweep (undefined: all it can see). */
  targets(repos: RepoRef[]): Promise<{ octokit: GitHubClient; repositories?: RepoRef[] }[]>;
}

export interface SweepArgs {
  repo: string[];
  label: string[];
  json?: boolean;
  token?: string;
}

export interface SweepDeps {
  /** Tests pass clients against nock; by default they come from the credentials. */
  clients?: SweepClients;
  now?: () => Date;
  Octokit?: typeof ProbotOctokit;
}

/** One sweep; prints one line per reminder or escalation and a total. Exit 2 when anything failed. */
export async function runSweep(args: SweepArgs, io: CliIO, deps: SweepDeps = {}): Promise<number> {
  let repos: RepoRef[];
  const outcomes: SweepOutcome[] = [];
  try {
    repos = args.repo.map(parseRepo);
    const clients = deps.clients ?? clientsFromEnv(io, args, deps.Octokit);
    const labels = args.label.length > 0 ? args.label : parseSettings(io.env).sweepLabels;
    const now = (deps.now ?? (() => new Date()))();
    for (const target of await clients.targets(repos)) {
      outcomes.push(...(await sweepInstallation(target.octokit, { now, labels, ...(target.repositories ? { repositories: target.repositories } : {}) })));
    }
  } catch (error) {
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    if (!(error instanceof CredentialsError) && outcomes.length === 0) io.err("No follow-up issue was changed.");
    return EXIT.error;
  }
  const errors = outcomes.filter((o) => o.result === "error");
  if (args.json) {
    io.out(JSON.stringify({ outcomes }, null, 2));
  } else {
    for (const o of outcomes) {
      if (o.result === "not-due") continue;
      const line = `${o.repository}${o.issue ? `#${o.issue}` : ""}: ${o.result}${o.message ? ` (${o.message})` : ""}`;
      if (o.result === "error") io.err(line);
      else io.out(line);
    }
    const count = (r: SweepOutcome["result"]) => outcomes.filter((o) => o.result === r).length;
    io.out(
      `Swept ${outcomes.filter((o) => o.issue !== null).length} open follow-up issue(s): ${count("reminded")} reminded, ${count("escalated")} escalated as overdue, ${count("already-done")} already notified, ${count("not-due")} not due yet, ${errors.length} error(s).`,
    );
  }
  return errors.length > 0 ? EXIT.error : EXIT.ok;
}

export function parseRepo(text: string): RepoRef {
  const match = /^([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})$/.exec(text.trim());
  if (!match) throw new Error(`--repo must be OWNER/REPO, not "${text}"`);
  return { owner: match[1]!, repo: match[2]! };
}

/** Clients from the credentials (see the header). */
export function clientsFromEnv(io: CliIO, args: Pick<SweepArgs, "token">, Octokit: typeof ProbotOctokit = ProbotOctokit): SweepClients {
  const token = args.token ?? io.env.GITHUB_TOKEN;
  return {
    targets: async (repos) => {
      if (token) {
        if (repos.length === 0) throw new CredentialsError("with a token, name the repositories to sweep with --repo OWNER/REPO (repeatable)");
        return [{ octokit: await createGitHubClient(io, { token, Octokit }), repositories: repos }];
      }
      if (repos.length > 0) {
        // The app, as the installation of each named repository.
        const targets = [];
        for (const r of repos) targets.push({ octokit: await createGitHubClient(io, { owner: r.owner, repo: r.repo, Octokit }), repositories: [r] });
        return targets;
      }
      if (!io.env.APP_ID) {
        throw new CredentialsError("No GitHub credentials: set APP_ID and PRIVATE_KEY / PRIVATE_KEY_PATH to sweep every installation, or give --token and --repo.");
      }
      return installationTargets(await createAppClient(io, { Octokit }), [], Octokit);
    },
  };
}

/** One client per installation; with --repo, only installations (and repositories) that were named. */
export async function installationTargets(appOctokit: GitHubClient, repos: RepoRef[], Octokit: typeof ProbotOctokit = ProbotOctokit): Promise<{ octokit: GitHubClient; repositories?: RepoRef[] }[]> {
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
      factory: (auth: Record<string, unknown>) => new Octokit({ baseUrl, auth: { ...auth, installationId: installation.id } }),
    })) as GitHubClient;
    targets.push({ octokit, repositories: wanted.length > 0 ? wanted : await installationRepositories(octokit) });
  }
  return targets;
}

export function registerSweepCommand(program: Command, io: CliIO = processIO, deps: SweepDeps = {}): void {
  program
    .command("sweep")
    .description("one sweep of emergency follow-up issues: a reminder before the due time, the `overdue` label and an escalation when late (each once)")
    .option("--repo <owner/repo>", "repository to sweep (repeatable; default with app credentials: every repository of every installation)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--label <label>", "label that marks follow-up issues (repeatable; default: SWEEP_LABELS or post-implementation-review)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--token <token>", "GitHub token (default: GITHUB_TOKEN; otherwise the app's credentials)")
    .option("--json", "print the outcome of every follow-up issue as JSON")
    .action(async (options: SweepArgs) => {
      io.exit(await runSweep(options, io, deps));
    });
}
