// What an evaluation needs to know beyond the pull request itself, derived from the policy, so
// that src/github fetches exactly that, once: the members of the teams of the groups the policy
// uses. Expanding a group (its users plus its teams' members) is written here, once.
import type { Config } from "../config/schema.js";

export interface Lookups {
  /** `org/team-slug`, lower case, each once. */
  teams: string[];
}

/** The groups an evaluation consults: approval sources (classes and rules) and emergency declarers. */
export function groupsUsed(config: Config): string[] {
  const used = new Set<string>(["emergency-declarers"]);
  for (const c of Object.values(config.classes)) for (const a of c.approvals) if (a.from) used.add(a.from);
  for (const rule of config.rules) for (const a of rule.approvals) if (a.from) used.add(a.from);
  return [...used].filter((name) => config.groups[name] !== undefined);
}

/** The lookups an evaluation under `config` needs. */
export function lookupsFor(config: Config, groups: string[] = groupsUsed(config)): Lookups {
  const teams = new Set<string>();
  for (const name of groups) for (const team of config.groups[name]?.teams ?? []) teams.add(team.toLowerCase());
  return { teams: [...teams].sort() };
}

/**
 * Members (lower-case logins) of each group: its users plus the members of its teams. A team that
 * was not looked up (or does not exist) adds nobody; the check then names the group.
 */
export function expandGroups(config: Config, teamMembers: Record<string, string[]>, groups: string[] = Object.keys(config.groups)): Record<string, string[]> {
  const expanded: Record<string, string[]> = {};
  for (const name of groups) {
    const group = config.groups[name];
    if (!group) continue;
    const members = new Set(group.users.map((u) => u.toLowerCase()));
    for (const team of group.teams) for (const m of teamMembers[team.toLowerCase()] ?? []) members.add(m.toLowerCase());
    expanded[name] = [...members];
  }
  return expanded;
}
