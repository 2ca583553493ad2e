// Turns GitHub's own shapes (a `pull_request` webhook payload or REST `pulls/{n}` object, REST
// `pulls/{n}/files` and `pulls/{n}/reviews`, issue `labeled` events) into the PullSnapshot that
// evaluation reads. Pure: `change-policy explain` feeds it a file, the audit command feeds it REST
// responses. Input from a file is validated with zod first, so bad input gets a clear error.
import { registerIssueFromRest, type RestRegisterIssue } from "./register-issue.js";
import { z } from "zod";
import { issueMessage } from "../config/issue-message.js";
import type { HeadCheck, LabelEvent, Permission, PullCommit, PullSnapshot, Review, ReviewState } from "../policy/snapshot.js";

// The minimal structural shapes read here; Octokit's REST response types fit them.
export interface RestUser {
  login: string;
  type?: string;
}
export interface RestPull {
  number: number;
  title: string;
  body?: string | null;
  user: RestUser | null;
  draft?: boolean;
  state: string;
  merged?: boolean | null;
  merged_at?: string | null;
  merged_by?: RestUser | null;
  head: { sha: string };
  base: { ref: string; repo: { name: string; private: boolean; owner: { login: string } | null } };
  labels: { name?: string }[];
  assignees?: RestUser[] | null;
  /** How many files the PR changes, per GitHub; more than the files given means the list is incomplete. */
  changed_files?: number;
}
/** A REST `pulls/{n}/files` entry, or just the path. */
export type RestFile = string | { filename: string; previous_filename?: string };
export interface RestReview {
  user: RestUser | null;
  state: string;
  commit_id?: string | null;
  submitted_at?: string | null;
}
/** Either the short form of a snapshot file, or a REST issue event (`event: "labeled"`). */
export type LabelEventInput =
  | { label: string; actor: string | null; created_at: string }
  | { event: string; label?: { name: string } | null; actor?: RestUser | null; created_at: string };

export interface PullParts {
  pull: RestPull;
  files: RestFile[];
  reviews: RestReview[];
  /** Repository permission per login (any case). */
  permissions?: Record<string, Permission>;
  /** Members per group name (any case), teams already expanded. */
  groups?: Record<string, string[]>;
  labelEvents?: LabelEventInput[];
  /** REST `pulls/{n}/commits` entries, optionally with `co_authors` (logins of Co-authored-by trailers). */
  commits?: RestCommit[];
  /** REST check runs and commit statuses of the head commit. */
  checks?: RestCheck[];
  /** The REST issue the description links as its change request. */
  registerIssue?: RestRegisterIssue;
}

export interface RestCommit {
  sha: string;
  author?: RestUser | null;
  committer?: RestUser | null;
  parents?: { sha: string }[];
  co_authors?: string[];
}
export type RestCheck = { name: string; status: string; conclusion?: string | null; app?: { slug?: string } | null } | { context: string; state: string };

const REVIEW_STATES: ReadonlySet<string> = new Set<ReviewState>(["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"]);

export function pullSnapshotFromRest(parts: PullParts): PullSnapshot {
  const { pull } = parts;
  const lower = (login: string) => login.toLowerCase();
  const merged = pull.merged === true || Boolean(pull.merged_at);
  return {
    repository: { owner: pull.base.repo.owner?.login ?? "", name: pull.base.repo.name, private: pull.base.repo.private },
    number: pull.number,
    title: pull.title,
    body: pull.body ?? "",
    author: lower(pull.user?.login ?? "ghost"),
    draft: pull.draft === true,
    state: merged ? "merged" : pull.state === "closed" ? "closed" : "open",
    headSha: pull.head.sha,
    baseRef: pull.base.ref,
    labels: pull.labels.flatMap((l) => (l.name ? [l.name] : [])),
    labelEvents: (parts.labelEvents ?? []).flatMap(labelEvent).sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
    // A rename moves a file out of its old path too, so both paths are classified.
    files: unique(parts.files.flatMap((f) => (typeof f === "string" ? [f] : [f.filename, ...(f.previous_filename ? [f.previous_filename] : [])]))),
    // Files nobody listed could match normal paths: classification treats the change as at least normal.
    filesIncomplete: typeof pull.changed_files === "number" && parts.files.length < pull.changed_files,
    reviews: parts.reviews.map(review),
    assignees: (pull.assignees ?? []).map((a) => lower(a.login)),
    permissions: Object.fromEntries(Object.entries(parts.permissions ?? {}).map(([login, p]) => [lower(login), p])),
    groups: Object.fromEntries(Object.entries(parts.groups ?? {}).map(([name, members]) => [name, unique(members.map((m) => lower(m.replace(/^@/, ""))))])),
    mergedAt: merged ? (pull.merged_at ?? null) : null,
    mergedBy: merged && pull.merged_by ? lower(pull.merged_by.login) : null,
    ...(parts.commits ? { commits: parts.commits.map(restCommit), commitCount: parts.commits.length } : {}),
    ...(parts.checks ? { checks: parts.checks.map(restCheck) } : {}),
    ...(parts.registerIssue ? { registerIssue: registerIssueFromRest(parts.registerIssue) } : {}),
  };
}

function restCommit(c: RestCommit): PullCommit {
  return {
    sha: c.sha,
    author: c.author?.login.toLowerCase() ?? null,
    committer: c.committer?.login.toLowerCase() ?? null,
    coAuthors: unique((c.co_authors ?? []).map((l) => l.replace(/^@/, "").toLowerCase())),
    parents: (c.parents ?? []).map((p) => p.sha),
  };
}

function restCheck(c: RestCheck): HeadCheck {
  if ("context" in c) {
    const state = c.state.toLowerCase();
    const done = state === "success" || state === "failure" || state === "error";
    return { name: c.context, kind: "status", status: done ? "completed" : "pending", conclusion: done ? state : null, app: null };
  }
  return { name: c.name, kind: "check_run", status: c.status.toLowerCase(), conclusion: c.conclusion?.toLowerCase() ?? null, app: c.app?.slug ?? null };
}


function review(r: RestReview): Review {
  // Webhook payloads write the state in lower case, the REST API in upper case.
  const state = r.state.toUpperCase();
  return {
    author: r.user ? r.user.login.toLowerCase() : null,
    authorIsBot: r.user?.type === "Bot",
    state: (REVIEW_STATES.has(state) ? state : "COMMENTED") as ReviewState,
    commitId: r.commit_id ?? null,
    submittedAt: r.submitted_at ?? null,
  };
}

function labelEvent(e: LabelEventInput): LabelEvent[] {
  if ("event" in e) {
    return e.event === "labeled" && e.label ? [{ label: e.label.name, actor: e.actor?.login.toLowerCase() ?? null, createdAt: e.created_at }] : [];
  }
  return [{ label: e.label, actor: e.actor?.replace(/^@/, "").toLowerCase() ?? null, createdAt: e.created_at }];
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

// ---- Snapshot files (`change-policy explain --event FILE`) ----

const loginText = z.string().min(1).max(100);
const userSchema = z.object({ login: loginText, type: z.string().optional() });
const timestamp = z.iso.datetime({ offset: true, message: "must be an ISO 8601 time such as 2026-01-31T12:00:00Z" });
const permissionSchema = z.enum(["admin", "maintain", "write", "triage", "read", "none"]);

const pullSchema = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string().nullish(),
  user: userSchema.nullable(),
  draft: z.boolean().optional(),
  state: z.enum(["open", "closed"]),
  merged: z.boolean().nullish(),
  merged_at: z.string().nullish(),
  merged_by: userSchema.nullish(),
  head: z.object({ sha: z.string().min(1) }),
  base: z.object({
    ref: z.string().min(1),
    repo: z.object({ name: z.string().min(1), private: z.boolean(), owner: z.object({ login: loginText }) }),
  }),
  labels: z.array(z.object({ name: z.string() })).default([]),
  assignees: z.array(userSchema).nullish(),
  updated_at: z.string().optional(),
  changed_files: z.number().int().min(0).optional(),
});

export const snapshotFileSchema = z.object({
  action: z.string().optional(),
  pull_request: pullSchema,
  label: z.object({ name: z.string() }).nullish(),
  sender: userSchema.nullish(),
  files: z
    .array(z.union([z.string().min(1), z.object({ filename: z.string().min(1), previous_filename: z.string().optional() })], {
      message: "must be a path or a REST `pulls/{n}/files` object with `filename`",
    }))
    .default([]),
  reviews: z
    .array(
      z.object({
        user: userSchema.nullable(),
        state: z.string().refine((s) => REVIEW_STATES.has(s.toUpperCase()), {
          message: "must be APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING",
        }),
        commit_id: z.string().nullish(),
        submitted_at: timestamp.nullish(),
      }),
    )
    .default([]),
  permissions: z.record(loginText, permissionSchema).default({}),
  groups: z.record(z.string().min(1), z.array(loginText)).default({}),
  label_events: z
    .array(z.object({ label: z.string().min(1), actor: loginText.nullable(), created_at: timestamp }))
    .optional(),
  commits: z
    .array(
      z.object({
        sha: z.string().min(1).max(64),
        author: userSchema.nullish(),
        committer: userSchema.nullish(),
        parents: z.array(z.object({ sha: z.string().min(1).max(64) })).default([]),
        co_authors: z.array(loginText).default([]),
      }),
    )
    .max(10_000)
    .optional(),
  checks: z
    .array(
      z.union(
        [
          z.object({ name: z.string().min(1).max(255), status: z.string().min(1), conclusion: z.string().nullish(), app: z.object({ slug: z.string().optional() }).nullish() }),
          z.object({ context: z.string().min(1).max(255), state: z.string().min(1) }),
        ],
        { message: "must be a REST check run ({name, status, conclusion, app}) or commit status ({context, state})" },
      ),
    )
    .max(10_000)
    .optional(),
  register_issue: z
    .object({
      number: z.number().int().positive(),
      html_url: z.string().min(1),
      repository_url: z.string().regex(/\/repos\/[^/]+\/[^/]+$/, "must be the issue's REST repository_url, e.g. https://api.github.com/repos/acme/changes"),
      state: z.enum(["open", "closed"]),
      state_reason: z.string().nullish(),
      labels: z.array(z.union([z.string(), z.object({ name: z.string().optional() })])).default([]),
      body: z.string().nullish(),
      pull_request: z.unknown().optional(),
    })
    .optional(),
});
export type SnapshotFile = z.infer<typeof snapshotFileSchema>;

export type SnapshotParse = { ok: true; snapshot: PullSnapshot } | { ok: false; problems: string[] };

/** Validates a parsed snapshot file; problems read `key.path: message`. */
export function snapshotFromFile(data: unknown): SnapshotParse {
  const result = snapshotFileSchema.safeParse(data);
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.map((i) => `${i.path.length ? i.path.map(String).join(".") : "(file)"}: ${issueMessage(i)}`),
    };
  }
  const file = result.data;
  let labelEvents: LabelEventInput[] | undefined = file.label_events;
  // A real `labeled` payload says who added the label (its time is the PR's update); use it when
  // the file lists no label events.
  if (labelEvents === undefined && file.action === "labeled" && file.label && file.sender) {
    labelEvents = [{ label: file.label.name, actor: file.sender.login, created_at: file.pull_request.updated_at ?? new Date(0).toISOString() }];
  }
  return {
    ok: true,
    snapshot: pullSnapshotFromRest({
      pull: file.pull_request,
      files: file.files,
      reviews: file.reviews,
      permissions: file.permissions,
      groups: file.groups,
      ...(labelEvents ? { labelEvents } : {}),
      ...(file.commits ? { commits: file.commits } : {}),
      ...(file.checks ? { checks: file.checks } : {}),
      ...(file.register_issue ? { registerIssue: file.register_issue } : {}),
    }),
  };
}
