// Combines classification, the Request for Change and approvals into the verdict the check shows;
// with SPEC §9: change freezes, the Change Log Register, required checks and independent approvals.
import { postReviewOf, type ApprovalRequirement, type ChangeClass, type Config } from "../config/schema.js";
import { evaluateApproval, reviewerStandings, type ReviewerStanding } from "./approvals.js";
import { classifyChange, pathMatcher, type Classification } from "./classify.js";
import { activeFreezes, whoMayMerge, type ActiveFreeze } from "./freezes.js";
import { contributorsOf, unlinkedIdentities, unverifiableIndependence, type Authorship } from "./independence.js";
import { linkInstruction, registerStatus } from "./register.js";
import { requiredCheckState } from "./verification.js";
import {
  fieldStatus,
  isChecked,
  readRequestForChange,
  sectionStatus,
  type RequestForChange,
} from "./request-for-change.js";
import type { PullSnapshot } from "./snapshot.js";

export interface RequirementResult {
  kind: "section" | "field" | "checkbox" | "approval" | "freeze" | "register" | "check";
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
  /** The active change freeze that stops this class (the one that ends last), if any. */
  freeze?: ActiveFreeze;
  /** The valid register issue the description links, if any. */
  registerIssue?: { ref: string; url: string };
}

export interface EvaluateOptions {
  /** The moment of the evaluation, for change freezes; default: the current time. */
  now?: Date;
}

/** Where a part of the Request for Change can be written: the description, and a linked register issue. */
interface RfcSource {
  rfc: RequestForChange;
  /** "the description" or "the change request [acme/changes#45](…)". */
  where: string;
}

export function missingRequirements(verdict: Pick<Verdict, "requirements">): RequirementResult[] {
  return verdict.requirements.filter((r) => !r.met);
}

export function evaluatePull(config: Config, pr: PullSnapshot, options: EvaluateOptions = {}): Verdict {
  const classification = classifyChange(config, pr);
  const changeClass = classification.changeClass;
  const classConfig = config.classes[changeClass];
  const rfc = readRequestForChange(pr.body);
  const standings = reviewerStandings(config, pr);
  const contributors = contributorsOf(pr);
  const classSource = `${changeClass} change`;
  const now = options.now ?? new Date();

  const requirements: RequirementResult[] = [];
  const freezes = activeFreezes(config, now, { changeClass });
  for (const freeze of freezes) requirements.push(freezeRequirement(config, freeze));

  // The register issue, when validly linked, is a second place for the Request for Change.
  const register = registerStatus(config, pr, rfc);
  const sources: RfcSource[] = [{ rfc, where: "the description" }];
  const registerRequired = config.register.required.includes(changeClass);
  const registerSource = registerRequired ? classSource : "Change Log Register";
  if (register.kind === "valid") {
    sources.push({ rfc: register.rfc, where: `the change request [${register.ref}](${register.url})` });
    requirements.push({ kind: "register", name: "Change request", met: true, detail: `[${register.ref}](${register.url}) in the Change Log Register`, source: registerSource });
  } else if (register.kind === "invalid") {
    requirements.push({ kind: "register", name: "Change request", met: false, detail: register.reason, source: registerSource });
  } else if (registerRequired) {
    requirements.push({ kind: "register", name: "Change request", met: false, detail: linkInstruction(config, pr), source: registerSource });
  }
  const located = sources.length > 1;

  const seen = new Set<string>();
  const addRequire = (names: string[], source: string) => {
    for (const name of names) {
      if (seen.has(`require:${name}`)) continue;
      seen.add(`require:${name}`);
      requirements.push(requirementFor(config, sources, pr, name, source));
    }
  };
  const addChecked = (boxes: string[], source: string) => {
    for (const box of boxes) {
      if (seen.has(`checked:${box.toLowerCase()}`)) continue;
      seen.add(`checked:${box.toLowerCase()}`);
      const found = sources.find((s) => isChecked(s.rfc, box));
      requirements.push({
        kind: "checkbox",
        name: `☑ ${box}`,
        met: found !== undefined,
        detail: found
          ? `ticked${located ? ` in ${found.where}` : ""}`
          : `tick \`- [x] ${box}\` in the description${located ? ` (or in ${sources[1]!.where})` : ""} once it is true`,
        source,
      });
    }
  };
  const addChecks = (names: string[], source: string) => {
    for (const name of names) {
      if (seen.has(`check:${name}`)) continue;
      seen.add(`check:${name}`);
      const state = requiredCheckState(name, pr.checks, pr.checksIncomplete, pr.checksUnreadable);
      requirements.push({ kind: "check", name: `Check \`${name}\``, met: state.verdict === "passed", detail: state.detail, source });
    }
  };
  const addApprovals = (approvals: ApprovalRequirement[], source: string) => {
    for (const approval of approvals) requirements.push(approvalRequirement(config, approval, standings, pr, contributors, source));
  };

  addRequire(classConfig.require, classSource);
  addChecked(classConfig.checked, classSource);
  addChecks(classConfig.checks, classSource);
  addApprovals(classConfig.approvals, classSource);

  const rules = config.rules.filter((rule) => ruleApplies(rule.when, pr, sources));
  for (const rule of rules) {
    addRequire(rule.require, rule.name);
    addChecked(rule.checked, rule.name);
    addChecks(rule.checks, rule.name);
    addApprovals(rule.approvals, rule.name);
  }

  // Unknown authors make every approval's independence unknown: fail closed, say how to fix it.
  const unverifiable = requirements.some((r) => r.kind === "approval") ? unverifiableIndependence(config, pr) : null;
  if (unverifiable) requirements.push({ kind: "approval", name: "Independent approvals", met: false, detail: unverifiable, source: "approvals.independent" });

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
    for (const freeze of activeFreezes(config, now).filter((f) => !f.classes.includes("emergency"))) {
      notes.push(`The change freeze "${freeze.name}" is active until ${freeze.until}; as an emergency change this pull request may still merge.`);
    }
  } else {
    const post = postReviewOf(config, changeClass);
    if (post) {
      notes.push(
        `After the merge, a post-implementation review by \`${post.from}\` follows within ${post.within_hours} hours (policy §5.6)${post.require.length ? `, documenting ${post.require.map((r) => `\`${r}\``).join(", ")}` : ""}.`,
      );
    }
  }
  for (const s of standings) {
    if (s.state === "APPROVED" && s.notCounting) notes.push(`@${s.login}'s approval does not count: ${s.notCounting}.`);
  }
  const approvers = standings.filter((s) => s.state === "APPROVED" && s.notCounting === null).map((s) => s.login);
  const unlinked = config.approvals.independent && approvers.length > 0 ? unlinkedIdentities(pr) : [];
  if (unlinked.length > 0) {
    notes.push(
      `Commits by ${unlinked.length === 1 ? "a git identity" : `${unlinked.length} git identities`} linked to no GitHub account (${unlinked.slice(0, 3).map((u) => `\`${u}\``).join(", ")}${unlinked.length > 3 ? ", …" : ""}) could not be compared with the approvers.`,
    );
  }
  if (rfc.truncated) notes.push("The description is longer than GitHub allows; only its first 65,536 characters were read.");

  const conclusion = requirements.every((r) => r.met) ? "success" : "failure";
  return {
    changeClass,
    classification,
    requirements,
    conclusion,
    notes,
    rules: rules.map((r) => r.name),
    approvers,
    ...(freezes[0] ? { freeze: freezes[0] } : {}),
    ...(register.kind === "valid" ? { registerIssue: { ref: register.ref, url: register.url } } : {}),
  };
}

function freezeRequirement(config: Config, freeze: ActiveFreeze): RequirementResult {
  const emergencyLabel = config.classification.emergency.labels[0];
  const wayOut =
    !freeze.classes.includes("emergency") && emergencyLabel
      ? `; if this change cannot wait, declare it an emergency (label \`${emergencyLabel}\`)`
      : "";
  return {
    kind: "freeze",
    name: `Change freeze "${freeze.name}"`,
    met: false,
    detail: `active from ${freeze.from} until ${freeze.until}: ${whoMayMerge(freeze)} during it. Wait until ${freeze.until} (the check re-evaluates then)${wayOut}`,
    source: "freezes",
  };
}

/**
 * A section or field, looked for in the description first and then in the linked register issue.
 * With a register issue the detail says where it was found; a missing one is explained from the
 * description (what the author edits first).
 */
function requirementFor(config: Config, sources: RfcSource[], pr: PullSnapshot, name: string, source: string): RequirementResult {
  const located = sources.length > 1;
  const where = (s: RfcSource) => (located ? ` in ${s.where}` : "");
  const orRegister = located ? ` (or write it in ${sources[1]!.where})` : "";
  const section = config.sections[name];
  if (section) {
    const heading = section.headings[0]!;
    for (const s of sources) {
      const found = sectionStatus(s.rfc, section);
      if (found.present) return { kind: "section", name: heading, met: true, detail: `present${where(s)} (${found.length} characters)`, source };
    }
    const status = sectionStatus(sources[0]!.rfc, section);
    const alternatives = section.headings.length > 1 ? ` (or ${section.headings.slice(1).map((h) => `\`${h}\``).join(", ")})` : "";
    const detail =
      status.present || status.reason === "missing"
        ? `add a \`## ${heading}\` heading${alternatives} to the description with at least ${section.min_length} characters under it`
        : status.reason === "placeholder"
          ? `the \`${heading}\` section only holds a placeholder (such as N/A or TBD); write at least ${section.min_length} characters`
          : `the \`${heading}\` section has ${status.length} characters; it needs at least ${section.min_length}`;
    return { kind: "section", name: heading, met: false, detail: detail + orRegister, source };
  }
  const field = config.fields[name]!;
  const label = field.names[0]!;
  const example = field.format === "date" ? "2026-01-31" : field.format === "login" ? "@octocat" : "…";
  for (const s of sources) {
    const found = fieldStatus(s.rfc, field);
    if (found.present) {
      return { kind: "field", name: label, met: true, detail: `${field.format === "login" ? `@${found.value}` : found.value}${where(s)}`, source };
    }
  }
  const status = fieldStatus(sources[0]!.rfc, field);
  // The PR's assignee is its owner when no Owner line names one (SPEC §2).
  if (name === "owner" && !status.present && status.reason === "missing" && pr.assignees.length > 0) {
    return { kind: "field", name: label, met: true, detail: `@${pr.assignees[0]} (the pull request's assignee)`, source };
  }
  const detail =
    !status.present && status.reason === "invalid"
      ? `\`${label}: ${truncate(status.value ?? "", 40)}\` is not valid; write it as \`${label}: ${example}\``
      : `add a line \`${label}: ${example}\` to the description${name === "owner" ? " (or assign the pull request)" : ""}`;
  return { kind: "field", name: label, met: false, detail: detail + orRegister, source };
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
  contributors: ReadonlyMap<string, Authorship>,
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
    // With independence, people who wrote commits of the PR cannot approve it either.
    const writers = config.approvals.independent ? [...contributors.keys()].filter((l) => l !== pr.author.toLowerCase()) : [];
    const eligible = result.eligible === null ? null : result.eligible.filter((l) => !writers.includes(l));
    parts.push(whoMayApprove(config, requirement, eligible, writers));
  }
  return { kind: "approval", name, met: false, detail: parts.join("; "), source };
}

function whoMayApprove(config: Config, requirement: ApprovalRequirement, eligible: string[] | null, writers: string[]): string {
  const others = writers.length > 0 ? ` and those who wrote its commits (${writers.map((l) => `@${l}`).join(", ")})` : "";
  if (requirement.from === undefined) return `anyone with write access other than the author${others} may approve`;
  const group = config.groups[requirement.from];
  const configured = [...(group?.users ?? []).map((u) => `@${u}`), ...(group?.teams ?? []).map((t) => `team @${t}`)];
  if (configured.length === 0) {
    return `the group \`${requirement.from}\` has no members: an admin must set \`groups.${requirement.from}\` in .github/change-policy.yml`;
  }
  if (eligible !== null && eligible.length === 0) {
    return `no member of \`${requirement.from}\` other than the author${others} can approve (${configured.join(", ")})`;
  }
  return `ask ${configured.join(", ")} to approve`;
}

function ruleApplies(when: Config["rules"][number]["when"], pr: PullSnapshot, sources: RfcSource[]): boolean {
  const labels = new Set(pr.labels.map((l) => l.toLowerCase()));
  if (when.labels.some((l) => labels.has(l.toLowerCase()))) return true;
  if (when.paths.length > 0 && pr.files.some(pathMatcher(when.paths))) return true;
  // A box ticked in the register issue counts like one in the description.
  return when.checked.some((box) => sources.some((s) => isChecked(s.rfc, box)));
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
