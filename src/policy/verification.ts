// Verification that follows the change (`classes.<class>.checks`, `rules[].checks`, SPEC §9, policy
// §5.2 and §5.5): named check runs or commit statuses must have passed on the head commit. A name
// is matched exactly as GitHub shows it, whichever app or workflow reported it.
import type { Config } from "../config/schema.js";
import type { HeadCheck } from "./snapshot.js";

/** Conclusions that let a check pass, as GitHub's required status checks treat them. */
const PASSING = new Set(["success", "neutral", "skipped"]);

export type CheckVerdict = "passed" | "pending" | "failed" | "missing";

export interface RequiredCheckState {
  name: string;
  verdict: CheckVerdict;
  /** Words for the checklist: "success (github-actions)", "in progress", "failure (codeql)". */
  detail: string;
}

/**
 * Every check name some class or rule requires, so that check_run/check_suite/status events for
 * other names (other apps' traffic) can be dropped without reading anything.
 */
export function requiredCheckNames(config: Pick<Config, "classes" | "rules">): string[] {
  const names = new Set<string>();
  for (const klass of Object.values(config.classes)) for (const name of klass.checks) names.add(name);
  for (const rule of config.rules) for (const name of rule.checks) names.add(name);
  return [...names];
}

/** The state of one required check on the head commit. */
export function requiredCheckState(name: string, checks: HeadCheck[] | undefined, incomplete = false, unreadable?: string): RequiredCheckState {
  if (unreadable !== undefined) {
    return {
      name,
      verdict: "missing",
      detail: `the app cannot read the head commit's checks and statuses (GitHub: ${unreadable}); an organisation owner must accept the app's "Commit statuses: read" permission`,
    };
  }
  const matching = (checks ?? []).filter((c) => c.name === name);
  if (matching.length === 0) {
    const similar = (checks ?? []).find((c) => c.name.toLowerCase() === name.toLowerCase());
    const hint = similar ? ` (a check named \`${similar.name}\` did: names must match exactly)` : "";
    const partial = incomplete ? "; GitHub listed only part of the head commit's checks" : "";
    return { name, verdict: "missing", detail: `has not reported on the head commit${hint}${partial}; it must run and pass` };
  }
  // Several reports under one name (a re-run, two workflows, a status and a check): all must pass.
  const states = matching.map(stateOf);
  const failed = states.find((s) => s.verdict === "failed");
  const pending = states.find((s) => s.verdict === "pending");
  const chosen = failed ?? pending ?? states[0]!;
  return { name, verdict: chosen.verdict, detail: states.length > 1 ? `${chosen.detail} (${states.length} reports with this name)` : chosen.detail };
}

function stateOf(check: HeadCheck): { verdict: CheckVerdict; detail: string } {
  const source = check.kind === "status" ? "commit status" : check.app ? check.app : "check run";
  if (check.conclusion === null || check.status !== "completed") {
    const progress = check.status === "pending" ? "" : `: ${check.status.replace(/_/g, " ")}`;
    return { verdict: "pending", detail: `pending${progress} (${source}); the check re-evaluates when it completes` };
  }
  if (PASSING.has(check.conclusion)) return { verdict: "passed", detail: `${check.conclusion} (${source})` };
  return { verdict: "failed", detail: `${check.conclusion.replace(/_/g, " ")} (${source}); fix it and run it again` };
}
