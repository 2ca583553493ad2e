// Change freezes (`freezes`, SPEC §9): while one is active, only the classes it does not list (by
// default: emergency changes) may merge or deploy. A freeze is active from `from` (inclusive) until
// `until` (exclusive). Times are instants (ISO 8601 with a zone), shown in UTC.
import { CHANGE_CLASSES, type ChangeClass, type Config, type FreezeConfig } from "../config/schema.js";
import { isoUtc } from "./time.js";

export interface ActiveFreeze {
  name: string;
  /** ISO 8601 UTC, e.g. 2026-12-20T00:00:00Z. */
  from: string;
  until: string;
  classes: ChangeClass[];
  /** Undefined: every environment the deployment gate guards. */
  environments?: string[];
}

export interface FreezeScope {
  /** Only freezes that stop this class. */
  changeClass?: ChangeClass;
  /** Only freezes that stop deployments to this environment (names compare case-insensitively, as on GitHub). */
  environment?: string;
}

/** The freezes active at `now` that apply to the scope, the one that ends last first. */
export function activeFreezes(config: Pick<Config, "freezes">, now: Date, scope: FreezeScope = {}): ActiveFreeze[] {
  const at = now.getTime();
  return config.freezes
    .filter((f) => Date.parse(f.from) <= at && at < Date.parse(f.until))
    .filter((f) => scope.changeClass === undefined || f.classes.includes(scope.changeClass))
    .filter((f) => scope.environment === undefined || coversEnvironment(f, scope.environment))
    .map(toActive)
    .sort((a, b) => Date.parse(b.until) - Date.parse(a.until) || a.name.localeCompare(b.name));
}

export interface FreezeBoundary {
  /** The instant a freeze starts or ends. */
  at: Date;
  freeze: string;
  edge: "start" | "end";
}

/**
 * The next instant after `now` at which a freeze starts or ends, for a timer that re-evaluates open
 * pull requests at that moment; null when no freeze has an edge in the future.
 */
export function nextFreezeBoundary(config: Pick<Config, "freezes">, now: Date): FreezeBoundary | null {
  let next: FreezeBoundary | null = null;
  for (const f of config.freezes) {
    for (const [edge, time] of [["start", f.from], ["end", f.until]] as const) {
      const at = Date.parse(time);
      if (at > now.getTime() && (next === null || at < next.at.getTime())) next = { at: new Date(at), freeze: f.name, edge };
    }
  }
  return next;
}

/** "only emergency changes may merge" (or "no change may merge" when a freeze stops every class). */
export function whoMayMerge(freeze: Pick<ActiveFreeze, "classes">): string {
  const allowed = CHANGE_CLASSES.filter((c) => !freeze.classes.includes(c));
  return allowed.length === 0 ? "no change may merge" : `only ${allowed.join(" and ")} changes may merge`;
}

function coversEnvironment(freeze: FreezeConfig, environment: string): boolean {
  return freeze.environments === undefined || freeze.environments.some((e) => e.toLowerCase() === environment.toLowerCase());
}

function toActive(f: FreezeConfig): ActiveFreeze {
  return {
    name: f.name,
    from: isoUtc(new Date(f.from)),
    until: isoUtc(new Date(f.until)),
    classes: [...f.classes],
    ...(f.environments ? { environments: [...f.environments] } : {}),
  };
}
