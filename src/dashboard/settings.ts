// The compliance dashboard's settings (SPEC §11), read from the environment in one place with zod.
// The dashboard is off unless DASHBOARD_TEAMS or DASHBOARD_SESSION_SECRET is set (GITHUB_CLIENT_ID and
// GITHUB_CLIENT_SECRET alone do not turn it on: Probot's set-up flow writes them for every install).
// Once it is asked for, every setting must be present and valid, or the server refuses to start.
import { z } from "zod";

export interface DashboardTeam {
  org: string;
  slug: string;
}

export interface DashboardSettings {
  clientId: string;
  clientSecret: string;
  sessionSecret: string;
  teams: DashboardTeam[];
  /** How long a membership check holds before it is asked again (MEMBERSHIP_CACHE_SECONDS). */
  membershipCacheSeconds: number;
  /** Where people sign in: https://github.com, or https://HOST on GitHub Enterprise Server. */
  webBaseUrl: string;
  /** The REST API: https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server. */
  apiBaseUrl: string;
}

/** Shorter than this and a session secret could be guessed from signed cookies. */
export const MIN_SESSION_SECRET_LENGTH = 32;

const team = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9_.-]{1,100}$/, "must be written as org/team-slug")
  .transform((text): DashboardTeam => {
    const [org, slug] = text.toLowerCase().split("/") as [string, string];
    return { org, slug };
  });

const schema = z.object({
  GITHUB_CLIENT_ID: z.string({ error: "is not set" }).trim().min(1, "is not set").max(100, "is too long"),
  GITHUB_CLIENT_SECRET: z.string({ error: "is not set" }).trim().min(1, "is not set").max(200, "is too long"),
  DASHBOARD_SESSION_SECRET: z
    .string({ error: "is not set" })
    .min(MIN_SESSION_SECRET_LENGTH, `must be at least ${MIN_SESSION_SECRET_LENGTH} characters (generate one with \`openssl rand -hex 32\`)`)
    .max(1000, "is too long"),
  DASHBOARD_TEAMS: z
    .string({ error: "is not set" })
    .max(5000, "is too long")
    .transform((text) => text.split(",").map((t) => t.trim()).filter(Boolean))
    .pipe(z.array(team).min(1, "must name at least one team, e.g. acme/security-leads,acme/auditors").max(50, "names more than 50 teams")),
  MEMBERSHIP_CACHE_SECONDS: z
    .string()
    .regex(/^\d{1,6}$/, "must be a whole number of seconds, e.g. 300")
    .transform(Number)
    .pipe(z.number().max(8 * 3600, "must be at most 28800 (8 hours, the session's own lifetime)"))
    .default(300),
  GHE_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,253}(?::\d{1,5})?$/, "must be a host name (with an optional port), e.g. github.example.com")
    .optional(),
  GHE_PROTOCOL: z.enum(["https", "http"], { error: "must be https or http" }).default("https"),
});

/** Turns the environment into dashboard settings; null when the dashboard is not asked for. Throws one message naming every bad variable. */
export function dashboardSettingsFromEnv(env: Record<string, string | undefined>): DashboardSettings | null {
  const value = (name: string) => (env[name] === undefined || env[name] === "" ? undefined : env[name]);
  if (value("DASHBOARD_TEAMS") === undefined && value("DASHBOARD_SESSION_SECRET") === undefined) return null;
  const names = Object.keys(schema.shape);
  const parsed = schema.safeParse(Object.fromEntries(names.map((name) => [name, value(name)])));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${String(issue.path[0] ?? "")} ${issue.message}`);
    throw new Error(
      `The compliance dashboard is not started: ${[...new Set(problems)].join("; ")}. ` +
        "It needs GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (the GitHub App's OAuth client), DASHBOARD_TEAMS and DASHBOARD_SESSION_SECRET; " +
        "unset DASHBOARD_TEAMS and DASHBOARD_SESSION_SECRET to run without it.",
    );
  }
  const s = parsed.data;
  const web = s.GHE_HOST ? `${s.GHE_PROTOCOL}://${s.GHE_HOST}` : "https://github.com";
  return {
    clientId: s.GITHUB_CLIENT_ID,
    clientSecret: s.GITHUB_CLIENT_SECRET,
    sessionSecret: s.DASHBOARD_SESSION_SECRET,
    teams: s.DASHBOARD_TEAMS,
    membershipCacheSeconds: s.MEMBERSHIP_CACHE_SECONDS,
    webBaseUrl: web,
    apiBaseUrl: s.GHE_HOST ? `${web}/api/v3` : "https://api.github.com",
  };
}

export function teamName(team: DashboardTeam): string {
  return `${team.org}/${team.slug}`;
}
