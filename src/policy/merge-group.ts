// Merge queues (SPEC §7) as pure decisions: which pull request a merge group's ref names, and the
// group's verdict from the verdicts of the pull requests it adds.
import { missingRequirements, type RequirementResult, type Verdict } from "./evaluate.js";

const QUEUE_PREFIX = "refs/heads/gh-readonly-queue/";
/** A git ref is far shorter in practice; a longer one is not GitHub's and is not parsed. */
const MAX_REF_LENGTH = 1024;
// The last segment only, anchored, with no nested quantifiers: linear on any input.
const ENTRY = /^pr-([1-9][0-9]{0,9})-([0-9a-f]{40}|[0-9a-f]{64})$/;

export interface MergeGroupRef {
  /** The branch the group merges into (may contain slashes: `release/1.4`). */
  base: string;
  /** The pull request this queue entry adds. */
  number: number;
  /** The parent commit the entry was built on. */
  parentSha: string;
}

/** `refs/heads/gh-readonly-queue/<base>/pr-<N>-<sha>` → its parts; null for anything else. */
export function parseMergeGroupRef(headRef: string): MergeGroupRef | null {
  if (typeof headRef !== "string" || headRef.length > MAX_REF_LENGTH || !headRef.startsWith(QUEUE_PREFIX)) return null;
  const rest = headRef.slice(QUEUE_PREFIX.length);
  const slash = rest.lastIndexOf("/");
  if (slash <= 0) return null;
  const base = rest.slice(0, slash);
  const match = ENTRY.exec(rest.slice(slash + 1));
  if (!match || base.split("/").some((part) => part === "")) return null;
  const number = Number(match[1]);
  return Number.isSafeInteger(number) ? { base, number, parentSha: match[2]! } : null;
}

/** What became of one pull request of the group. */
export type MemberOutcome =
  | { kind: "verdict"; verdict: Verdict }
  /** It could not be evaluated (GitHub error, invalid policy, not found): it fails, saying why. */
  | { kind: "error"; reason: string };

export interface MergeGroupMember {
  number: number;
  title: string | null;
  outcome: MemberOutcome;
}

export interface MemberResult {
  number: number;
  title: string | null;
  passed: boolean;
  /** The PR's own check title ("Normal change: 2 of 7 requirements missing") or why it could not be evaluated. */
  verdict: Verdict | null;
  missing: RequirementResult[];
  error: string | null;
}

export interface MergeGroupResult {
  conclusion: "success" | "failure";
  members: MemberResult[];
  failing: number[];
}

/** `success` only when the group adds at least one pull request and every one of them passes. */
export function combineMergeGroup(members: MergeGroupMember[]): MergeGroupResult {
  const results: MemberResult[] = [...members]
    .sort((a, b) => a.number - b.number)
    .map((m) =>
      m.outcome.kind === "verdict"
        ? {
            number: m.number,
            title: m.title,
            passed: m.outcome.verdict.conclusion === "success",
            verdict: m.outcome.verdict,
            missing: missingRequirements(m.outcome.verdict),
            error: null,
          }
        : { number: m.number, title: m.title, passed: false, verdict: null, missing: [], error: m.outcome.reason },
    );
  const failing = results.filter((r) => !r.passed).map((r) => r.number);
  return { conclusion: results.length > 0 && failing.length === 0 ? "success" : "failure", members: results, failing };
}
