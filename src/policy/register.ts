// The Change Log Register kept as GitHub issues (`register`, SPEC §9, policy §5.1). A line
// `Change request: #45` or `Change request: owner/repo#45` in the description links a register
// issue; a valid one (in `register.repository`, labelled with one of `register.labels`, not closed
// as not planned) lends its body to the Request for Change, and classes in `register.required`
// cannot pass without one.
import type { Config } from "../config/schema.js";
import { followUpRepository } from "./post-review.js";
import { readRequestForChange, type RequestForChange } from "./request-for-change.js";
import type { PullSnapshot } from "./snapshot.js";

/** The field that links the register issue, normalised as request-for-change.ts normalises names. */
const LINK_FIELD = "change request";
const MAX_LINK_CHARS = 300;
// Anchored, bounded and free of nested quantifiers: linear on any input (which is capped anyway).
const SHORT_REF = /^(?:([A-Za-z0-9][A-Za-z0-9-]{0,38})\/([A-Za-z0-9_.-]{1,100}))?#([1-9][0-9]{0,9})$/;
const ISSUE_URL = /^https?:\/\/[A-Za-z0-9.:-]{1,255}\/([A-Za-z0-9][A-Za-z0-9-]{0,38})\/([A-Za-z0-9_.-]{1,100})\/issues\/([1-9][0-9]{0,9})\/?$/;

export type RegisterLink =
  | { ok: true; owner: string | null; repo: string | null; number: number; text: string }
  | { ok: false; text: string };

/** The `Change request:` link of a description: null when there is none, `ok: false` when it is not a link. */
export function registerLinkOf(body: string | null | undefined): RegisterLink | null {
  return registerLinkIn(readRequestForChange(body));
}

/** The same, from an already-read description (code blocks and comments do not link). */
export function registerLinkIn(rfc: RequestForChange): RegisterLink | null {
  const value = rfc.fields.get(LINK_FIELD);
  if (value === undefined) return null;
  const text = value.slice(0, MAX_LINK_CHARS);
  let token = text.split(/\s/, 1)[0]!;
  // A markdown link `[#45](https://github.com/acme/changes/issues/45)`: its target is the link.
  if (token.startsWith("[")) {
    const open = text.indexOf("](");
    const close = open < 0 ? -1 : text.indexOf(")", open);
    token = close < 0 ? token : text.slice(open + 2, close).trim();
  }
  token = token.replace(/[.,;:)]$/, "");
  const match = SHORT_REF.exec(token) ?? ISSUE_URL.exec(token);
  if (!match) return { ok: false, text };
  return { ok: true, owner: match[1] ?? null, repo: match[2] ?? null, number: Number(match[3]), text };
}

export interface IssueRef {
  owner: string;
  repo: string;
  number: number;
}

/** The register's repository: `register.repository`, else the pull request's own. */
export function registerRepository(config: Pick<Config, "register">, pr: Pick<PullSnapshot, "repository">): { owner: string; repo: string } {
  return followUpRepository(config.register, { owner: pr.repository.owner, repo: pr.repository.name });
}

/** The issue a link points at: `#45` is in the pull request's repository, as GitHub reads it. */
export function linkTarget(link: Extract<RegisterLink, { ok: true }>, pr: Pick<PullSnapshot, "repository">): IssueRef {
  return { owner: link.owner ?? pr.repository.owner, repo: link.repo ?? pr.repository.name, number: link.number };
}

/**
 * The register issue src/github must read for this pull request: the linked issue when it is in the
 * register's repository; null when there is no link or it could never be valid (no read needed).
 */
export function registerIssueToRead(config: Pick<Config, "register">, pr: Pick<PullSnapshot, "repository" | "body">): IssueRef | null {
  const link = registerLinkOf(pr.body);
  if (!link?.ok) return null;
  const target = linkTarget(link, pr);
  return sameRepository(target, registerRepository(config, pr)) ? target : null;
}

export type RegisterStatus =
  | { kind: "none" }
  | { kind: "valid"; ref: string; url: string; rfc: RequestForChange }
  | { kind: "invalid"; reason: string };

/** Whether the description links a valid register issue, and if not, exactly why. */
export function registerStatus(config: Pick<Config, "register">, pr: PullSnapshot, rfc: RequestForChange): RegisterStatus {
  const link = registerLinkIn(rfc);
  if (link === null) return { kind: "none" };
  const register = registerRepository(config, pr);
  const registerName = `${register.owner}/${register.repo}`;
  const example = `\`Change request: ${registerName}#N\``;
  if (!link.ok) {
    return { kind: "invalid", reason: `\`Change request: ${oneLine(link.text)}\` is not a link to an issue; write ${example} (or \`Change request: #N\` for an issue of this repository)` };
  }
  const target = linkTarget(link, pr);
  const ref = `${target.owner}/${target.repo}#${target.number}`;
  if (!sameRepository(target, register)) {
    return { kind: "invalid", reason: `${ref} is not in the Change Log Register, which is ${registerName}: link an issue of ${registerName} (${example})` };
  }
  const issue = pr.registerIssue;
  if (!issue || issue.number !== target.number || !sameName(issue.repository, `${target.owner}/${target.repo}`)) {
    return { kind: "invalid", reason: `the register issue ${ref} was not read, so it cannot be verified; press Re-run` };
  }
  if (!issue.ok) {
    return {
      kind: "invalid",
      reason:
        issue.error === "not_found"
          ? `${ref} was not found: it does not exist, was deleted, or the app cannot see ${registerName} (install change-policy on it)`
          : `the app may not read ${ref}${issue.message ? ` (${oneLine(issue.message)})` : ""}: give change-policy access to ${registerName} with the Issues permission`,
    };
  }
  if (issue.movedTo) {
    return { kind: "invalid", reason: `${ref} was moved to ${issue.movedTo}, outside the Change Log Register ${registerName}` };
  }
  if (issue.isPullRequest) return { kind: "invalid", reason: `${ref} is a pull request, not an issue of the Change Log Register` };
  const wanted = config.register.labels.map((l) => l.toLowerCase());
  if (!issue.labels.some((l) => wanted.includes(l.toLowerCase()))) {
    const labels = config.register.labels.map((l) => `\`${l}\``).join(", ");
    return {
      kind: "invalid",
      reason: `${ref} does not carry the label ${config.register.labels.length === 1 ? labels : `one of ${labels}`}, so it is not a change request of the register`,
    };
  }
  if (issue.state === "closed" && issue.stateReason === "not_planned") {
    return { kind: "invalid", reason: `${ref} was closed as not planned: a rejected change request does not authorise a change` };
  }
  if (issue.state === "closed" && issue.stateReason === "duplicate") {
    return { kind: "invalid", reason: `${ref} was closed as a duplicate: link the change request it duplicates` };
  }
  return { kind: "valid", ref, url: issue.url, rfc: readRequestForChange(issue.body) };
}

/** How an admin's `register.required` class is told to link one. */
export function linkInstruction(config: Pick<Config, "register">, pr: Pick<PullSnapshot, "repository">): string {
  const register = registerRepository(config, pr);
  const labels = config.register.labels.map((l) => `\`${l}\``).join(" or ");
  return `link the change request: \`Change request: ${register.owner}/${register.repo}#N\` in the description (an issue of ${register.owner}/${register.repo} labelled ${labels})`;
}

function sameRepository(a: { owner: string; repo: string }, b: { owner: string; repo: string }): boolean {
  return sameName(`${a.owner}/${a.repo}`, `${b.owner}/${b.repo}`);
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function oneLine(text: string): string {
  const flat = text.replace(/[\r\n`]+/g, " ").trim();
  return flat.length > 80 ? `${flat.slice(0, 80)}…` : flat;
}
