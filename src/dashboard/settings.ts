// The compliance dashboard's settings (SPEC §11) come from src/settings.ts, which parses the whole
// environment once: the dashboard is off unless DASHBOARD_TEAMS or DASHBOARD_SESSION_SECRET is set, and
// once it is asked for every setting must be present and valid, or the server refuses to start.
import { parseSettings, type DashboardSettings, type DashboardTeam } from "../settings.js";

export { MIN_SESSION_SECRET_LENGTH, type DashboardSettings, type DashboardTeam } from "../settings.js";

/** The dashboard's part of the environment; null when it is not asked for. Throws SettingsError naming every bad variable. */
export function dashboardSettingsFromEnv(env: Record<string, string | undefined>): DashboardSettings | null {
  return parseSettings(env).dashboard;
}

export function teamName(team: DashboardTeam): string {
  return `${team.org}/${team.slug}`;
}
