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
}

export const HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

export function graphqlPull(f: PullFixture = {}) {
  const headSha = f.headSha ?? HEAD;
  const files = f.files ?? ["src/index.ts"];
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
          commits: {
            nodes: [
              {
                commit: {
                  oid: headSha,
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
