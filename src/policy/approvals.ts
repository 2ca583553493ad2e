// Which reviews count as approvals, and whether an approval requirement ({count, from}) is met.
import type { ApprovalRequirement, Config } from "../config/schema.js";
import { isMember } from "./classify.js";
import { contributorsOf, independenceProblem } from "./independence.js";
import type { Permission, PullSnapshot, Review } from "./snapshot.js";

const WRITE_PERMISSIONS: ReadonlySet<Permission> = new Set(["admin", "maintain", "write"]);
/** Reviews that change a reviewer's standing; a plain comment does not. */
const STATE_CHANGING = new Set(["APPROVED", "CHANGES_REQUESTED", "DISMISSED"]);

export interface ReviewerStanding {
  login: string;
  state: "APPROVED" | "CHANGES_REQUESTED" | "DISMISSED";
  commitId: string | null;
  /** Why this reviewer's review cannot count at all; null when it can. */
  ineligible: string | null;
  /** For an approval: why it does not count (e.g. stale); null when it counts. */
  notCounting: string | null;
}

/** Every reviewer's latest state-changing review, with whether and why it counts. */
export function reviewerStandings(config: Config, pr: PullSnapshot): ReviewerStanding[] {
  const latest = new Map<string, Review>();
  for (const review of [...pr.reviews].sort(bySubmission)) {
    if (review.author === null || !STATE_CHANGING.has(review.state)) continue;
    latest.set(review.author.toLowerCase(), review);
  }
  const contributors = contributorsOf(pr);
  return [...latest.entries()].map(([login, review]) => {
    const ineligible = ineligibility(pr, login, review);
    const stale = config.approvals.stale === "dismiss" && review.commitId !== pr.headSha;
    // Not independent (SPEC §9): only the approval stops counting; a request for changes still blocks.
    const notIndependent = review.state === "APPROVED" ? independenceProblem(config, contributors, login) : null;
    const notCounting =
      ineligible ??
      (review.state !== "APPROVED"
        ? null
        : (notIndependent ??
          (stale ? `given on an older commit${review.commitId ? ` (${review.commitId.slice(0, 7)})` : ""}; approvals must be on the head commit` : null)));
    return { login, state: review.state as ReviewerStanding["state"], commitId: review.commitId, ineligible, notCounting };
  });
}

function ineligibility(pr: PullSnapshot, login: string, review: Review): string | null {
  if (review.authorIsBot || login.endsWith("[bot]")) return "is a bot";
  if (login === pr.author.toLowerCase()) return "is the author of the pull request";
  const permission = pr.permissions[login] ?? "none";
  if (!WRITE_PERMISSIONS.has(permission)) return `has no write access to the repository (permission: ${permission})`;
  return null;
}

export interface ApprovalResult {
  met: boolean;
  approvers: string[];
  blockers: string[];
  /** Members of the group, for telling the author who may approve; null when anyone with write access may. */
  eligible: string[] | null;
}

export function evaluateApproval(
  requirement: ApprovalRequirement,
  standings: ReviewerStanding[],
  pr: PullSnapshot,
): ApprovalResult {
  const inScope = (login: string) => requirement.from === undefined || isMember(pr, requirement.from, login);
  const approvers = standings
    .filter((s) => s.state === "APPROVED" && s.notCounting === null && inScope(s.login))
    .map((s) => s.login);
  const blockers = standings
    .filter((s) => s.state === "CHANGES_REQUESTED" && s.ineligible === null && inScope(s.login))
    .map((s) => s.login);
  return {
    met: blockers.length === 0 && approvers.length >= requirement.count,
    approvers,
    blockers,
    eligible: requirement.from === undefined ? null : (pr.groups[requirement.from] ?? []).filter((l) => l !== pr.author),
  };
}

function bySubmission(a: Review, b: Review): number {
  return (a.submittedAt ?? "").localeCompare(b.submittedAt ?? "");
}
