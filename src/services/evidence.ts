// What the services write to the evidence ledger (SPEC §10), in one place: each function turns one
// decision into one entry. Writing never blocks or changes a decision: the recorder queues, retries
// and counts failures (src/ledger/recorder.ts); without a ledger these do nothing.
import type { Config } from "../config/schema.js";
import type { LedgerRecorder } from "../ledger/recorder.js";
import {
  checkEntryBody,
  mergeEntryBody,
  repositoryKey,
  subjects,
  type FollowUpBody,
  type IncidentBody,
} from "../ledger/entries.js";
import type { Verdict } from "../policy/evaluate.js";
import type { PullSnapshot } from "../policy/snapshot.js";
import type { PullRef, RepoRef } from "../policy/refs.js";
import type { CheckOutput } from "../render/check-output.js";
import type { RecordedDeploymentDecision } from "./deployment-gate.js";
import type { RecordedMergeGroupCheck } from "./merge-group.js";

/** The recorder's one method the services use. */
export type LedgerWriter = Pick<LedgerRecorder, "record">;

/** A published `Change Policy` verdict. Failures without a verdict (invalid policy, GitHub error) are recorded too. */
export function recordCheck(
  ledger: LedgerWriter | undefined,
  pr: PullRef & { headSha: string },
  output: CheckOutput,
  judged: { config: Config; snapshot: PullSnapshot; verdict: Verdict; policyBlobSha: string; afterMerge?: boolean } | { reason: "invalid_config" | "error"; policyBlobSha: string | null },
  checkRunId: number | null,
): void {
  if (!ledger) return;
  const repo = repositoryKey(pr.owner, pr.repo);
  const body =
    "verdict" in judged
      ? checkEntryBody({
          config: judged.config,
          pr: judged.snapshot,
          verdict: judged.verdict,
          conclusion: output.conclusion,
          title: output.title,
          checkRunId,
          policyBlobSha: judged.policyBlobSha,
          ...(judged.afterMerge ? { afterMerge: true } : {}),
        })
      : {
          pull_number: pr.number,
          head_sha: pr.headSha,
          check_run_id: checkRunId,
          class: judged.reason,
          conclusion: output.conclusion,
          title: output.title,
          requirements: [],
          approvals: [],
          rules: [],
          policy_blob_sha: judged.policyBlobSha,
        };
  ledger.record("check", repo, subjects.pull(pr.number), body);
}

/** A merge, with the verdict and the Request for Change as they were at that moment. */
export function recordMerge(
  ledger: LedgerWriter | undefined,
  merge: { config: Config; pr: PullSnapshot; verdict: Verdict; checkConclusion: string | null; mergeCommitSha: string | null; policyBlobSha: string | null },
): void {
  if (!ledger) return;
  ledger.record("merge", repositoryKey(merge.pr.repository.owner, merge.pr.repository.name), subjects.pull(merge.pr.number), mergeEntryBody(merge));
}

/** A step of a post-implementation review's lifecycle. */
export function recordFollowUp(ledger: LedgerWriter | undefined, pr: RepoRef & { number: number }, body: Omit<FollowUpBody, "pull_number">): void {
  if (!ledger) return;
  ledger.record("follow_up", repositoryKey(pr.owner, pr.repo), subjects.pull(pr.number), { ...body, pull_number: pr.number });
}

/** An unauthorized change: a push (subject `push <sha>`) or a bypass merge (subject `#N`). */
export function recordIncident(ledger: LedgerWriter | undefined, where: RepoRef, body: IncidentBody): void {
  if (!ledger) return;
  const subject = body.type === "push" ? subjects.push(body.sha) : subjects.pull(body.pull_number ?? 0);
  ledger.record("incident", repositoryKey(where.owner, where.repo), subject, body);
}

/** A deployment gate decision GitHub accepted. */
export function recordDeployment(ledger: LedgerWriter | undefined, d: RecordedDeploymentDecision): void {
  if (!ledger) return;
  const byCommit = new Map(d.changes.map((c) => [c.number, c]));
  ledger.record("deployment", d.repository.toLowerCase(), subjects.deployment(d.deploymentId ?? d.runId), {
    deployment_id: d.deploymentId ?? 0,
    environment: d.environment,
    sha: d.sha,
    ref: d.previousSha ? `${d.previousSha}..${d.sha}` : d.sha,
    creator: d.deployer,
    decision: d.state,
    reasons: [...d.reasons],
    commits: d.commits.map((c) => ({
      sha: c.sha,
      pull_number: c.pull,
      class: c.pull !== null ? (byCommit.get(c.pull)?.changeClass ?? null) : null,
      accounted: c.pull !== null && byCommit.has(c.pull),
    })),
    comment: d.comment,
  });
}

/** The check published on a merge group. */
export function recordMergeGroup(ledger: LedgerWriter | undefined, g: RecordedMergeGroupCheck): void {
  if (!ledger) return;
  ledger.record("merge_group", g.repository.toLowerCase(), subjects.mergeGroup(g.headSha), {
    head_sha: g.headSha,
    head_ref: g.headRef,
    base_sha: g.base ?? "",
    conclusion: g.conclusion,
    title: g.title,
    pulls: g.pulls.map((p) => ({ pull_number: p.number, conclusion: p.passed ? "success" : "failure", missing: p.missing })),
  });
}
