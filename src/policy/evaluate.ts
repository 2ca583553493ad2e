// Combines classification, the Request for Change and approvals into the verdict the check shows.
import type { ApprovalRequirement, ChangeClass, Config } from "../config/schema.js";
import { evaluateApproval, reviewerStandings, type ReviewerStanding } from "./approvals.js";
import { classifyChange, pathMatcher, type Classification } from "./classify.js";
import {
  fieldStatus,
  isChecked,
  readRequestForChange,
  sectionStatus,
  type RequestForChange,
} from "./request-for-change.js";
import type { PullSnapshot } from "./snapshot.js";

export interface RequirementResult {
  kind: "section" | "field" | "checkbox" | "approval";
  /** Short name shown in the checklist, e.g. "Impact analysis" or "1 approval from cto-ciso". */
  name: string;
  met: boolean;
  /** What was found, or what is missing and how to fix it. */
  detail: string;
  /** Which part of the policy asks for it: the class or a rule's name. */
  source: string;
}

export interface Verdict {
  changeClass: ChangeClass;
  classification: Classification;
  requirements: RequirementResult[];
  conclusion: "success" | "failure";
  /** Things the author should know that are not requirements (ignored labels, what follows a merge). */
  notes: string[];
  /** Names of the rules that applied. */
  rules: string[];
  approvers: string[];
}

export function missingRequirements(verdict: Pick<Verdict, "requirements">): RequirementResult[] {
  return verdict.requirements.filter((r) => !r.met);
}

export function evaluatePull(config: Config, pr: PullSnapshot): Verdict {
  const classification = classifyChange(config, pr);
  const changeClass = classification.changeClass;
  const classConfig = config.classes[changeClass];
  const rfc = readRequestForChange(pr.body);
  const standings = reviewerStandings(config, pr);
  const classSource = `${changeClass} change`;

  const requirements: RequirementResult[] = [];
  const seen = new Set<string>();
  const addRequire = (names: string[], source: string) => {
    for (const name of names) {
      if (seen.has(`require:${name}`)) continue;
      seen.add(`require:${name}`);
      requirements.push(requirementFor(config, rfc, pr, name, source));
    }
  };
  const addChecked = (boxes: string[], source: string) => {
    for (const box of boxes) {
      if (seen.has(`checked:${box.toLowerCase()}`)) continue;
      seen.add(`checked:${box.toLowerCase()}`);
      const met = isChecked(rfc, box);
      requirements.push({
        kind: "checkbox",
        name: `☑ ${box}`,
        met,
        detail: met ? "ticked" : `tick \`- [x] ${box}\` in the description once it is true`,
        source,
      });
    }
  };
  const addApprovals = (approvals: ApprovalRequirement[], source: string) => {
    for (const approval of approvals) requirements.push(approvalRequirement(config, approval, standings, pr, source));
  };

  addRequire(classConfig.require, classSource);
  addChecked(classConfig.checked, classSource);
  addApprovals(classConfig.approvals, classSource);

  const rules = config.rules.filter((rule) => ruleApplies(rule.when, pr, rfc));
  for (const rule of rules) {
    addRequire(rule.require, rule.name);
    addChecked(rule.checked, rule.name);
    addApprovals(rule.approvals, rule.name);
  }

  const notes: string[] = [];
  for (const ignored of classification.ignoredEmergencyLabels) {
    notes.push(
      `The label \`${ignored.label}\` was ignored: it was added by ${ignored.actor ? `@${ignored.actor}` : "an unknown user"}, who is not in the \`emergency-declarers\` group.`,
    );
  }
  if (changeClass === "emergency") {
    const post = config.classes.emergency.post_review;
    notes.push(
      `Emergency change: it may merge once the requirements below are met. A post-implementation review by \`${post.from}\` follows within ${post.within_hours} hours of the merge${post.require.length ? `, documenting ${post.require.map((r) => `\`${r}\``).join(", ")}` : ""}.`,
    );
  }
  for (const s of standings) {
    if (s.state === "APPROVED" && s.notCounting) notes.push(`@${s.login}'s approval does not count: ${s.notCounting}.`);
  }
  if (rfc.truncated) notes.push("The description is longer than GitHub allows; only its first 65,536 characters were read.");

  const conclusion = requirements.every((r) => r.met) ? "success" : "failure";
  const approvers = standings.filter((s) => s.state === "APPROVED" && s.notCounting === null).map((s) => s.login);
  return { changeClass, classification, requirements, conclusion, notes, rules: rules.map((r) => r.name), approvers };
}

function requirementFor(config: Config, rfc: RequestForChange, pr: PullSnapshot, name: string, source: string): RequirementResult {
  const section = config.sections[name];
  if (section) {
    const status = sectionStatus(rfc, section);
    const heading = section.headings[0]!;
    const alternatives = section.headings.length > 1 ? ` (or ${section.headings.slice(1).map((h) => `\`${h}\``).join(", ")})` : "";
    const detail = status.present
      ? `present (${status.length} characters)`
      : status.reason === "missing"
        ? `add a \`## ${heading}\` heading${alternatives} to the description with at least ${section.min_length} characters under it`
        : status.reason === "placeholder"
          ? `the \`${heading}\` section only holds a placeholder (such as N/A or TBD); write at least ${section.min_length} characters`
          : `the \`${heading}\` section has ${status.length} characters; it needs at least ${section.min_length}`;
    return { kind: "section", name: heading, met: status.present, detail, source };
  }
  const field = config.fields[name]!;
  const label = field.names[0]!;
  const status = fieldStatus(rfc, field);
  const example = field.format === "date" ? "2026-01-31" : field.format === "login" ? "@octocat" : "…";
  if (status.present) {
    return { kind: "field", name: label, met: true, detail: field.format === "login" ? `@${status.value}` : status.value, source };
  }
  // The PR's assignee is its owner when no Owner line names one (SPEC §2).
  if (name === "owner" && status.reason === "missing" && pr.assignees.length > 0) {
    return { kind: "field", name: label, met: true, detail: `@${pr.assignees[0]} (the pull request's assignee)`, source };
  }
  const detail =
    status.reason === "invalid"
      ? `\`${label}: ${truncate(status.value ?? "", 40)}\` is not valid; write it as \`${label}: ${example}\``
      : `add a line \`${label}: ${example}\` to the description${name === "owner" ? " (or assign the pull request)" : ""}`;
  return { kind: "field", name: label, met: false, detail, source };
}

/** How an approval requirement is named in the checklist and by `change-policy validate`. */
export function approvalName(requirement: ApprovalRequirement): string {
  const plural = requirement.count === 1 ? "approval" : "approvals";
  return requirement.from ? `${requirement.count} ${plural} from ${requirement.from}` : `${requirement.count} peer ${plural}`;
}

function approvalRequirement(
  config: Config,
  requirement: ApprovalRequirement,
  standings: ReviewerStanding[],
  pr: PullSnapshot,
  source: string,
): RequirementResult {
  const result = evaluateApproval(requirement, standings, pr);
  const name = approvalName(requirement);
  if (result.met) {
    return { kind: "approval", name, met: true, detail: `approved by ${result.approvers.map((l) => `@${l}`).join(", ")}`, source };
  }
  const parts: string[] = [];
  if (result.blockers.length > 0) {
    parts.push(`changes requested by ${result.blockers.map((l) => `@${l}`).join(", ")}; it blocks until that review is dismissed or followed by an approval`);
  }
  if (result.approvers.length < requirement.count) {
    parts.push(`has ${result.approvers.length} of ${requirement.count}${result.approvers.length ? ` (${result.approvers.map((l) => `@${l}`).join(", ")})` : ""}`);
    parts.push(whoMayApprove(config, requirement, result.eligible));
  }
  return { kind: "approval", name, met: false, detail: parts.join("; "), source };
}

function whoMayApprove(config: Config, requirement: ApprovalRequirement, eligible: string[] | null): string {
  if (requirement.from === undefined) return "anyone with write access other than the author may approve";
  const group = config.groups[requirement.from];
  const configured = [...(group?.users ?? []).map((u) => `@${u}`), ...(group?.teams ?? []).map((t) => `team @${t}`)];
  if (configured.length === 0) {
    return `the group \`${requirement.from}\` has no members: an admin must set \`groups.${requirement.from}\` in .github/change-policy.yml`;
  }
  if (eligible !== null && eligible.length === 0) {
    return `no member of \`${requirement.from}\` other than the author can approve (${configured.join(", ")})`;
  }
  return `ask ${configured.join(", ")} to approve`;
}

function ruleApplies(when: Config["rules"][number]["when"], pr: PullSnapshot, rfc: RequestForChange): boolean {
  const labels = new Set(pr.labels.map((l) => l.toLowerCase()));
  if (when.labels.some((l) => labels.has(l.toLowerCase()))) return true;
  if (when.paths.length > 0 && pr.files.some(pathMatcher(when.paths))) return true;
  return when.checked.some((box) => isChecked(rfc, box));
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
