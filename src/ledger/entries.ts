// What each kind of ledger entry holds (SPEC §10), so every writer records the same shape and the
// audit, the dashboard and `ledger show` can read it back. Bodies are plain JSON: snake_case keys,
// ISO 8601 UTC times, lower-case logins, full commit shas, integers only.
import { createHash } from "node:crypto";
import type { JsonValue } from "./hash.js";
import type { Config } from "../config/schema.js";
import { reviewerStandings } from "../policy/approvals.js";
import { isMember } from "../policy/classify.js";
import { readRequestForChange } from "../policy/request-for-change.js";
import type { RequirementResult, Verdict } from "../policy/evaluate.js";
import type { PullSnapshot } from "../policy/snapshot.js";

export const LEDGER_KINDS = ["check", "merge", "follow_up", "incident", "deployment", "merge_group", "checkpoint"] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/** One requirement of the checklist, as the check showed it. */
export interface RequirementRecord {
  kind: RequirementResult["kind"];
  name: string;
  met: boolean;
  detail: string;
  source: string;
}

/** One reviewer's approval: whether it counted, and the groups it counted for. */
export interface ApprovalRecord {
  reviewer: string;
  /** The head commit the approval was given on. */
  commit_sha: string | null;
  counted: boolean;
  /** The configured groups the reviewer belongs to ([] = peer approval only). */
  groups: string[];
  /** Why it does not count, when it does not. */
  reason: string | null;
}

/**
 * `check`: every verdict published as the Change Policy check run — and, once a pull request is
 * merged, the verdict its description and labels would get after an edit (`after_merge: true`, no
 * check run: what differs on GitHub now, for auditors and the dashboard). Subject `#N`.
 */
export interface CheckBody {
  pull_number: number;
  head_sha: string;
  check_run_id: number | null;
  class: string;
  conclusion: "success" | "failure" | "neutral" | "action_required";
  title: string;
  requirements: RequirementRecord[];
  approvals: ApprovalRecord[];
  rules: string[];
  /** Blob sha of .github/change-policy.yml as read; null when there was none. */
  policy_blob_sha: string | null;
  /** SHA-256 of the description and the labels as read (compared with the `merge` entry's). */
  description_sha256?: string;
  labels?: string[];
  /** Recorded after the merge, from an edit of the merged pull request; no check run was written. */
  after_merge?: true;
}

/** One section of the Request for Change as read at merge (normalised heading → its text). */
export interface SectionRecord {
  heading: string;
  text: string;
}

/** `merge`: a pull request merged, with what was true at that moment. Subject `#N`. */
export interface MergeBody {
  pull_number: number;
  title: string;
  base_ref: string;
  head_sha: string;
  merge_commit_sha: string | null;
  merged_at: string;
  merged_by: string | null;
  author: string;
  /** The Change Policy check's conclusion on the head commit at merge; null when it had none. */
  check_conclusion: string | null;
  class: string;
  approvers: string[];
  approvals: ApprovalRecord[];
  /** SHA-256 (hex) of the description exactly as GitHub returned it ("" when empty). */
  description_sha256: string;
  sections: SectionRecord[];
  /** Single-line fields (normalised name → value), e.g. owner, rollback date. */
  fields: Record<string, string>;
  checked: string[];
  labels: string[];
  policy_blob_sha: string | null;
  requirements: RequirementRecord[];
}

export type FollowUpEvent = "opened" | "reminded" | "overdue" | "completed" | "reopened";

/** `follow_up`: the post-implementation review's lifecycle. Subject `#N` (the merged pull request). */
export interface FollowUpBody {
  event: FollowUpEvent;
  pull_number: number;
  /** The follow-up issue, `owner/repo#N`. */
  issue: string;
  due_at: string;
  /** For `completed`: whether it was closed by the deadline, and how late otherwise. */
  on_time?: boolean;
  late_by_minutes?: number;
  actor?: string | null;
}

/** `incident`: an unauthorized change (SPEC §4). Subject `push <sha7>` or `#N` for a bypass merge. */
export interface IncidentBody {
  type: "push" | "bypass";
  /** The incident issue, `owner/repo#N`; null when it could not be opened. */
  issue: string | null;
  branch: string;
  pusher: string | null;
  /** For a push: the after sha; for a bypass: the merge commit. */
  sha: string;
  commits: { sha: string; author: string | null; message: string }[];
  pull_number?: number;
  reason: string;
}

/** `deployment`: a decision of the deployment gate (SPEC §8). Subject `deployment <id>`. */
export interface DeploymentBody {
  deployment_id: number;
  environment: string;
  sha: string;
  ref: string;
  creator: string | null;
  decision: "approved" | "rejected";
  reasons: string[];
  /** The commits this deployment brings, and what accounts for each (`#12 Normal change`, or null). */
  commits: { sha: string; pull_number: number | null; class: string | null; accounted: boolean }[];
  comment: string;
}

/** `merge_group`: the check published on a merge group (SPEC §7). Subject `merge group <sha7>`. */
export interface MergeGroupBody {
  head_sha: string;
  head_ref: string;
  base_sha: string;
  conclusion: "success" | "failure";
  title: string;
  pulls: { pull_number: number; conclusion: "success" | "failure"; missing: string[] }[];
}

/** `checkpoint`: written by `ledger prune` before it deletes entries 1..through_seq. Subject `checkpoint`. */
export interface CheckpointBody {
  /** The last pruned entry. */
  through_seq: number;
  /** That entry's hash: the next remaining entry's prev_hash. */
  through_hash: string;
  /** The prune date given (entries recorded before it were pruned). */
  before: string;
  pruned_count: number;
  retention_days: number;
}

export interface LedgerBodies {
  check: CheckBody;
  merge: MergeBody;
  follow_up: FollowUpBody;
  incident: IncidentBody;
  deployment: DeploymentBody;
  merge_group: MergeGroupBody;
  checkpoint: CheckpointBody;
}

/** An entry as stored (and as `ledger export` prints it). */
export interface LedgerEntry<K extends string = string> {
  seq: number;
  recorded_at: string;
  kind: K;
  repository: string;
  subject: string;
  body: K extends LedgerKind ? LedgerBodies[K] : JsonValue;
  prev_hash: string;
  hash: string;
}

/** Subjects, written one way everywhere (`ledger show` and the dashboard look them up). */
export const subjects = {
  pull: (number: number) => `#${number}`,
  push: (sha: string) => `push ${sha.slice(0, 7)}`,
  deployment: (id: number) => `deployment ${id}`,
  mergeGroup: (headSha: string) => `merge group ${headSha.slice(0, 7)}`,
  checkpoint: () => "checkpoint",
} as const;

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The Request for Change as read from a description, in the shape `merge` entries hold. */
export function requestForChangeRecord(description: string | null | undefined): Pick<MergeBody, "description_sha256" | "sections" | "fields" | "checked"> {
  const rfc = readRequestForChange(description);
  return {
    description_sha256: sha256Hex(description ?? ""),
    sections: [...rfc.sections.entries()].map(([heading, texts]) => ({ heading, text: texts.join("\n\n") })),
    fields: Object.fromEntries(rfc.fields),
    checked: [...rfc.checked],
  };
}

/** The checklist of a verdict, as `check` and `merge` entries hold it. */
export function requirementRecords(verdict: Pick<Verdict, "requirements">): RequirementRecord[] {
  return verdict.requirements.map((r) => ({ kind: r.kind, name: r.name, met: r.met, detail: r.detail, source: r.source }));
}

/** `owner/repo`, lower-cased as GitHub treats names case-insensitively. */
export function repositoryKey(owner: string, repo: string): string {
  return `${owner}/${repo}`.toLowerCase();
}

/** Every approval of the pull request: whether it counted (and why not), and the reviewer's groups. */
export function approvalRecords(config: Config, pr: PullSnapshot): ApprovalRecord[] {
  return reviewerStandings(config, pr)
    .filter((s) => s.state === "APPROVED")
    .map((s) => ({
      reviewer: s.login,
      commit_sha: s.commitId,
      counted: s.notCounting === null,
      groups: Object.keys(config.groups).filter((g) => isMember(pr, g, s.login)),
      reason: s.notCounting,
    }));
}

export interface CheckEntryInput {
  config: Config;
  pr: PullSnapshot;
  verdict: Verdict;
  /** As published (the check's conclusion and title). */
  conclusion: CheckBody["conclusion"];
  title: string;
  checkRunId: number | null;
  policyBlobSha: string | null;
  afterMerge?: boolean;
}

/** The body of a `check` entry for a published verdict (subject: subjects.pull(pr.number)). */
export function checkEntryBody(input: CheckEntryInput): CheckBody {
  return {
    pull_number: input.pr.number,
    head_sha: input.pr.headSha,
    check_run_id: input.checkRunId,
    class: input.verdict.changeClass,
    conclusion: input.conclusion,
    title: input.title,
    requirements: requirementRecords(input.verdict),
    approvals: approvalRecords(input.config, input.pr),
    rules: [...input.verdict.rules],
    policy_blob_sha: input.policyBlobSha,
    description_sha256: sha256Hex(input.pr.body ?? ""),
    labels: [...input.pr.labels],
    ...(input.afterMerge ? { after_merge: true as const } : {}),
  };
}

export interface MergeEntryInput {
  config: Config;
  /** The merged pull request as read at merge (body, labels, reviews). */
  pr: PullSnapshot;
  /** The verdict on it at merge. */
  verdict: Verdict;
  /** The Change Policy check's conclusion on the head commit at merge; null when there was none. */
  checkConclusion: string | null;
  mergeCommitSha: string | null;
  policyBlobSha: string | null;
}

/** The body of a `merge` entry (subject: subjects.pull(pr.number)). */
export function mergeEntryBody(input: MergeEntryInput): MergeBody {
  const { pr } = input;
  return {
    pull_number: pr.number,
    title: pr.title,
    base_ref: pr.baseRef,
    head_sha: pr.headSha,
    merge_commit_sha: input.mergeCommitSha,
    merged_at: pr.mergedAt ?? "",
    merged_by: pr.mergedBy ?? null,
    author: pr.author,
    check_conclusion: input.checkConclusion,
    class: input.verdict.changeClass,
    approvers: [...input.verdict.approvers],
    approvals: approvalRecords(input.config, pr),
    ...requestForChangeRecord(pr.body),
    labels: [...pr.labels],
    policy_blob_sha: input.policyBlobSha,
    requirements: requirementRecords(input.verdict),
  };
}
