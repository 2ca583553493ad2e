// The answer GitHub's GraphQL API gives to PULL_QUERY, built from a few readable options.
export interface PullFixture {
  number?: number;
  title?: string;
  body?: string;
  author?: string;
  draft?: boolean;
  state?: "OPEN" | "CLOSED" | "MERGED";
  mergedAt?: string | null;
  mergedBy?: string | null;
  headSha?: string;
  baseRef?: string;
  labels?: string[];
  labelEvents?: { label: string; actor: string; createdAt?: string }[];
  files?: string[];
  changeTypes?: Record<string, string>;
  filesHasNextPage?: boolean;
  changedFiles?: number;
  /** `canPush` is GitHub's authorCanPushToRepository (write access or more); default true. */
  reviews?: { author: string; state: string; commit?: string; submittedAt?: string; bot?: boolean; canPush?: boolean }[];
  reviewsHasNextPage?: boolean;
  assignees?: string[];
  check?: { id: number; status?: string; conclusion: string | null; title: string; summary: string } | null;
  isPrivate?: boolean;
  /** The repository's default branch; default: the PR's base. */
  defaultBranch?: string;
  /**
   * Members of the teams the query asks for, in the order of its `t0`, `t1` … aliases (the policy's
   * teams, sorted: src/policy/lookups.ts); null for a team GitHub does not know.
   */
  teams?: (string[] | null)[];
  /** Marks a team's member list as cut at 100 (REST then reads all of them). */
  teamsHasNextPage?: boolean;
  /** The PR's commits, oldest first; default: one commit (the head) by the author. */
  commits?: CommitFixture[];
  /** What GitHub says the PR has (default: the number of commits given). */
  commitCount?: number;
  /** Older commits exist before the listed ones (answered by a further page). */
  commitsStartCursor?: string;
  /** Check runs and commit statuses on the head commit; default: none reported (no rollup). */
  checks?: CheckFixture[];
  checksEndCursor?: string;
}

export interface CommitFixture {
  sha: string;
  /** Logins of GitHub users; null: the git identity maps to no account. */
  author?: string | null;
  committer?: string | null;
  coAuthors?: string[];
  parents?: string[];
}

export type CheckFixture =
  | { name: string; status?: string; conclusion: string | null; app?: string | null }
  | { context: string; state: string };

/** A commit node as PolicyCommitFields selects it. */
export function commitNode(c: CommitFixture, defaultLogin = "Codertocat") {
  const actor = (login: string | null | undefined) =>
    login === null ? { name: "Someone", email: "someone@laptop.local", user: null } : { name: login ?? defaultLogin, email: `${login ?? defaultLogin}@example.com`, user: { login: login ?? defaultLogin } };
  const authors = [actor(c.author), ...(c.coAuthors ?? []).map((login) => actor(login))];
  const parents = c.parents ?? [BASE];
  return {
    oid: c.sha,
    author: actor(c.author),
    committer: actor(c.committer === undefined ? c.author : c.committer),
    authors: { totalCount: authors.length, nodes: authors },
    parents: { totalCount: parents.length, nodes: parents.map((oid) => ({ oid })) },
  };
}

/** A status rollup context as CheckContextFields selects it. */
export function contextNode(c: CheckFixture) {
  return "context" in c
    ? { __typename: "StatusContext", context: c.context, state: c.state }
    : { __typename: "CheckRun", name: c.name, status: c.status ?? "COMPLETED", conclusion: c.conclusion, checkSuite: { app: c.app === null ? null : { slug: c.app ?? "github-actions" } } };
}

export const HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
/** A commit of the base branch (not in the PR). */
export const BASE = "b".repeat(40);

export function graphqlPull(f: PullFixture = {}) {
  const headSha = f.headSha ?? HEAD;
  const files = f.files ?? ["src/index.ts"];
  const commits = f.commits ?? [{ sha: headSha, author: f.author ?? "Codertocat" }];
  return {
    data: {
      ...Object.fromEntries(
        (f.teams ?? []).map((members, i) => [
          `t${i}`,
          { team: members === null ? null : { members: { pageInfo: { hasNextPage: f.teamsHasNextPage ?? false }, nodes: members.map((login) => ({ login })) } } },
        ]),
      ),
      repository: {
        isPrivate: f.isPrivate ?? true,
        defaultBranchRef: { name: f.defaultBranch ?? f.baseRef ?? "master" },
        pullRequest: {
          number: f.number ?? 2,
          title: f.title ?? "Update the README with new information.",
          body: f.body ?? "",
          isDraft: f.draft ?? false,
          state: f.state ?? "OPEN",
          merged: f.state === "MERGED",
          mergedAt: f.mergedAt ?? null,
          mergedBy: f.mergedBy ? { login: f.mergedBy } : null,
          author: { login: f.author ?? "Codertocat", __typename: "User" },
          headRefOid: headSha,
          baseRefName: f.baseRef ?? "master",
          changedFiles: f.changedFiles ?? files.length,
          assignees: { nodes: (f.assignees ?? []).map((login) => ({ login })) },
          labels: { nodes: (f.labels ?? []).map((name) => ({ name })) },
          timelineItems: {
            nodes: (f.labelEvents ?? []).map((e) => ({ createdAt: e.createdAt ?? "2026-11-24T10:00:00Z", actor: { login: e.actor }, label: { name: e.label } })),
          },
          files: {
            pageInfo: { hasNextPage: f.filesHasNextPage ?? false },
            nodes: files.slice(0, 100).map((path) => ({ path, changeType: f.changeTypes?.[path] ?? "MODIFIED" })),
          },
          reviews: {
            pageInfo: { hasNextPage: f.reviewsHasNextPage ?? false },
            nodes: (f.reviews ?? []).slice(0, 100).map((r, i) => ({
              author: { login: r.author, __typename: r.bot ? "Bot" : "User" },
              authorCanPushToRepository: r.canPush ?? true,
              state: r.state,
              submittedAt: r.submittedAt ?? `2026-11-24T11:${String(i).padStart(2, "0")}:00Z`,
              commit: { oid: r.commit ?? headSha },
            })),
          },
          commitHistory: {
            totalCount: f.commitCount ?? commits.length,
            pageInfo: { hasPreviousPage: f.commitsStartCursor !== undefined, startCursor: f.commitsStartCursor ?? null },
            nodes: commits.slice(-100).map((c) => ({ commit: commitNode(c, f.author ?? "Codertocat") })),
          },
          commits: {
            nodes: [
              {
                commit: {
                  oid: headSha,
                  statusCheckRollup: f.checks
                    ? {
                        contexts: {
                          pageInfo: { hasNextPage: f.checksEndCursor !== undefined, endCursor: f.checksEndCursor ?? null },
                          nodes: f.checks.map(contextNode),
                        },
                      }
                    : null,
                  checkSuites: {
                    nodes: f.check
                      ? [{ checkRuns: { nodes: [{ databaseId: f.check.id, status: f.check.status ?? "COMPLETED", conclusion: f.check.conclusion, title: f.check.title, summary: f.check.summary }] } }]
                      : [],
                  },
                },
              },
            ],
          },
        },
      },
    },
  };
}

export const COMPLETE_BODY = [
  "## Description",
  "Upgrade the HTTP client library to the latest minor version.",
  "",
  "## Impact analysis",
  "Affects every outbound request of the API service; no schema or user-facing change.",
  "",
  "## Rollback plan",
  "Revert this pull request and redeploy the previous image tag.",
  "",
  "Owner: @Codertocat",
  "Target date: 2026-12-01",
].join("\n");
