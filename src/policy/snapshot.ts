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

export interface PullSnapshot {
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
