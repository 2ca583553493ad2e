// PullSnapshot is the one "pull context" that evaluation reads: everything the verdict depends on,
// gathered by src/github/snapshot.ts (or read from a file by `change-policy explain`). Evaluation
// never touches GitHub, so this is plain data.

export type ReviewState = "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING";

export interface Review {
  /** Lower-case login; null when the account was deleted ("ghost"). */
  author: string | null;
  authorIsBot: boolean;
  state: ReviewState;
  /** The head commit the review was given on. */
  commitId: string | null;
  submittedAt: string | null;
}

export interface LabelEvent {
  label: string;
  /** Lower-case login of who added the label; null when unknown. */
  actor: string | null;
  createdAt: string;
}

/** Repository permission of a user, as GitHub reports it. */
export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

export interface PullSnapshot extends PullSnapshotDepth {
  repository: { owner: string; name: string; private: boolean };
  number: number;
  title: string;
  body: string;
  /** Lower-case login of the author. */
  author: string;
  draft: boolean;
  state: "open" | "closed" | "merged";
  headSha: string;
  baseRef: string;
  labels: string[];
  /** Who added each label, newest last (from the timeline). */
  labelEvents: LabelEvent[];
  /** Changed file paths, including the old path of renamed files. */
  files: string[];
  /** True when GitHub listed fewer files than the PR changes (it lists at most 3,000). */
  filesIncomplete?: boolean;
  reviews: Review[];
  /** Lower-case logins. */
  assignees: string[];
  /** Permission of each reviewer whose review could count (lower-case login → permission). */
  permissions: Record<string, Permission>;
  /** Members (lower-case logins) of every configured group, teams expanded. */
  groups: Record<string, string[]>;
  mergedAt?: string | null;
  mergedBy?: string | null;
}

// ---- Policy depth (SPEC §9): optional, so snapshots built without them still evaluate ----

/** A commit of the pull request, as independence (approvals.independent) reads it. */
export interface PullCommit {
  sha: string;
  /** Lower-case login of the GitHub user of the git author; null when the email maps to no account. */
  author: string | null;
  /** Lower-case login of the GitHub user of the git committer; null when it maps to no account. */
  committer: string | null;
  /** Lower-case logins of the users of its Co-authored-by trailers. */
  coAuthors: string[];
  /** Git identities (author, committer, co-authors) that map to no GitHub account, as `Name <email>`. */
  unlinked?: string[];
  /** SHAs of its parents; two or more make it a merge commit. */
  parents: string[];
  /** True when GitHub listed fewer co-authors or parents than the commit has. */
  incomplete?: boolean;
}

/** A check run or commit status on the head commit, as GitHub's status rollup shows it. */
export interface HeadCheck {
  /** The check run's name, or the commit status's context. */
  name: string;
  kind: "check_run" | "status";
  /** Lower case: queued, in_progress, completed, waiting, pending, requested. */
  status: string;
  /** Lower case (success, failure, neutral, skipped, cancelled, timed_out, action_required, stale,
   *  startup_failure, error); null while it has not finished. */
  conclusion: string | null;
  /** Slug of the app that created a check run (github-actions for workflows); null for statuses. */
  app: string | null;
}

/** What reading the linked register issue gave. */
export type RegisterIssueRead =
  | {
      ok: true;
      /** The issue that was asked for: "owner/repo" and number, as the link names them. */
      repository: string;
      number: number;
      /** "owner/repo#n" when GitHub answered with an issue that was transferred elsewhere. */
      movedTo?: string;
      url: string;
      state: "open" | "closed";
      /** completed, not_planned, duplicate, reopened or null. */
      stateReason: string | null;
      labels: string[];
      body: string;
      isPullRequest: boolean;
    }
  | { ok: false; repository: string; number: number; error: "not_found" | "no_access"; message?: string };

export interface PullSnapshotDepth {
  /** The PR's commits, oldest first; undefined when they were not read. */
  commits?: PullCommit[];
  /** How many commits GitHub says the PR has (more than `commits` holds means the list is incomplete). */
  commitCount?: number;
  /** Check runs and commit statuses on the head commit; undefined when they were not read. */
  checks?: HeadCheck[];
  /** True when GitHub listed fewer checks than the head commit has. */
  checksIncomplete?: boolean;
  /** GitHub refused to list the head commit's checks and statuses (e.g. a permission not yet accepted). */
  checksUnreadable?: string;
  /** The register issue the description links (`Change request: #45`); absent when none was read. */
  registerIssue?: RegisterIssueRead | null;
}
