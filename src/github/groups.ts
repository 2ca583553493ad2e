// Who belongs to the policy's groups, read from GitHub (REST, cached briefly) for the callers that
// are not an evaluation (an evaluation gets its teams inside its one GraphQL query): closing a
// follow-up, the audit, the deployment gate. Expanding a group is src/policy/lookups.ts's.
import type { Config } from "../config/schema.js";
import { expandGroups, lookupsFor } from "../policy/lookups.js";
import { statusOf, type GitHubClient } from "./client.js";
import { memberCache } from "./membership.js";

/** Members of each of `groups` (default: all groups of the policy), teams expanded. */
export async function readGroupMembers(octokit: GitHubClient, config: Config, groups: string[] = Object.keys(config.groups), installationId?: number): Promise<Record<string, string[]>> {
  const members: Record<string, string[]> = {};
  for (const team of lookupsFor(config, groups).teams) members[team] = await teamMembers(octokit, team, installationId);
  return expandGroups(config, members, groups);
}

/** Whether `login` is in the policy's group `group`. */
export async function isGroupMember(octokit: GitHubClient, config: Config, group: string, login: string, installationId?: number): Promise<boolean> {
  const listed = config.groups[group];
  if (!listed) return false;
  // A listed user needs no team read (which could fail).
  if (listed.users.some((u) => u.toLowerCase() === login.toLowerCase())) return true;
  return ((await readGroupMembers(octokit, config, [group], installationId))[group] ?? []).includes(login.toLowerCase());
}

export async function teamMembers(octokit: GitHubClient, team: string, installationId?: number): Promise<string[]> {
  const key = `${installationId ?? "-"}:${team}`;
  const cached = memberCache.get(key);
  if (cached) return cached;
  const [org, slug] = team.split("/") as [string, string];
  let members: string[];
  try {
    const list = await octokit.paginate("GET /orgs/{org}/teams/{team_slug}/members", { org, team_slug: slug, per_page: 100 });
    members = list.map((m) => m.login.toLowerCase());
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
    // A missing team has no members; the check names the group so an admin can fix it.
    members = [];
  }
  memberCache.set(key, members);
  return members;
}

