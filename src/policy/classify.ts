// Decides whether a pull request is a standard, normal or emergency change, and says why.
import picomatch from "picomatch";
import type { ChangeClass, Config } from "../config/schema.js";
import { CONFIG_PATH } from "../config/load.js";
import type { PullSnapshot } from "./snapshot.js";

export interface Classification {
  changeClass: ChangeClass;
  /** Plain-language reasons, e.g. "label `emergency` (added by @alice)". */
  reasons: string[];
  /** Emergency labels that were ignored because their author may not declare emergencies. */
  ignoredEmergencyLabels: { label: string; actor: string | null }[];
  /** Who declared the emergency (added the label that counted), when it is one. */
  declaredBy: string | null;
}

const MAX_LISTED_PATHS = 5;
const matcherCache = new Map<string, (path: string) => boolean>();

/** Compiled once per pattern list: configs are few, evaluations many. */
export function pathMatcher(patterns: string[]): (path: string) => boolean {
  const key = JSON.stringify(patterns);
  let matcher = matcherCache.get(key);
  if (!matcher) {
    matcher = patterns.length === 0 ? () => false : picomatch(patterns, { dot: true });
    if (matcherCache.size > 500) matcherCache.clear();
    matcherCache.set(key, matcher);
  }
  return matcher;
}

export function isMember(snapshot: Pick<PullSnapshot, "groups">, group: string, login: string | null): boolean {
  return login !== null && (snapshot.groups[group] ?? []).includes(login.toLowerCase());
}

export function classifyChange(config: Config, pr: PullSnapshot): Classification {
  const c = config.classification;
  const labels = new Set(pr.labels.map((l) => l.toLowerCase()));
  const hasLabel = (candidates: string[]) => candidates.filter((l) => labels.has(l.toLowerCase()));
  const ignoredEmergencyLabels: Classification["ignoredEmergencyLabels"] = [];

  const declarers = config.groups["emergency-declarers"];
  const declarersSet = (declarers?.users.length ?? 0) + (declarers?.teams.length ?? 0) > 0;
  for (const label of hasLabel(c.emergency.labels)) {
    const actor = whoAdded(pr, label);
    if (!declarersSet || isMember(pr, "emergency-declarers", actor)) {
      return {
        changeClass: "emergency",
        reasons: [`label \`${label}\`${actor ? ` (added by @${actor})` : ""}`],
        ignoredEmergencyLabels,
        declaredBy: actor,
      };
    }
    ignoredEmergencyLabels.push({ label, actor });
  }
  const base = { ignoredEmergencyLabels, declaredBy: null };

  const reasons: string[] = [];
  // Unseen files could match normal paths, so an incomplete list can never make a change standard.
  if (pr.filesIncomplete) reasons.push(`GitHub listed only ${pr.files.length} of the changed files, so the change is treated as at least normal`);
  if (pr.files.includes(CONFIG_PATH)) reasons.push(`changes the policy file \`${CONFIG_PATH}\` (always at least normal)`);
  for (const label of hasLabel(c.normal.labels)) reasons.push(`label \`${label}\``);
  const normalPaths = pr.files.filter(pathMatcher(c.normal.paths));
  if (normalPaths.length > 0) reasons.push(`changed paths matching \`classification.normal.paths\`: ${listPaths(normalPaths)}`);
  if (reasons.length > 0) return { changeClass: "normal", reasons, ...base };

  const standardLabels = hasLabel(c.standard.labels);
  if (standardLabels.length > 0) {
    return { changeClass: "standard", reasons: standardLabels.map((l) => `label \`${l}\``), ...base };
  }
  const isStandardPath = pathMatcher(c.standard.paths);
  if (pr.files.length > 0 && pr.files.every(isStandardPath)) {
    return {
      changeClass: "standard",
      reasons: [`every changed file matches \`classification.standard.paths\` (${pr.files.length} file${pr.files.length === 1 ? "" : "s"})`],
      ...base,
    };
  }
  return { changeClass: c.default, reasons: [`no label or path decided, so the default class applies (\`classification.default: ${c.default}\`)`], ...base };
}

/** The newest "labeled" event for a label tells who put it on the PR. */
function whoAdded(pr: PullSnapshot, label: string): string | null {
  const wanted = label.toLowerCase();
  for (let i = pr.labelEvents.length - 1; i >= 0; i--) {
    const e = pr.labelEvents[i]!;
    if (e.label.toLowerCase() === wanted) return e.actor;
  }
  return null;
}

export function listPaths(paths: string[]): string {
  const shown = paths.slice(0, MAX_LISTED_PATHS).map((p) => `\`${p}\``).join(", ");
  return paths.length > MAX_LISTED_PATHS ? `${shown} and ${paths.length - MAX_LISTED_PATHS} more` : shown;
}
