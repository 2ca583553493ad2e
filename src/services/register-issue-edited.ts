// The Change Log Register (SPEC §9): a pull request's verdict depends on the register issue it links,
// so an edit of that issue's body re-evaluates the open pull requests that link it. GitHub records a
// mention of the issue in a pull request as a cross-reference on the issue's timeline: one GraphQL
// query finds the candidates; only those whose description really links the issue
// (`Change request: …`) are evaluated (coalesced). An issue that cannot be a register issue costs nothing.
import type { Logger } from "probot";
import type { GitHubClient } from "../github/client.js";
import { loadPolicyConfig } from "../github/config.js";
import { linkTarget, registerLinkOf } from "../policy/register.js";
import type { ServiceDependencies } from "./dependencies.js";
import { scheduleEvaluation } from "./evaluation.js";

/** The register's labels when the issue's repository has no policy of its own (the schema's default). */
const DEFAULT_REGISTER_LABELS = ["change-request"];
/** Timeline pages read at most (100 cross-references each): a register issue is linked by few PRs. */
const MAX_PAGES = 5;

export interface EditedIssue {
  owner: string;
  repo: string;
  number: number;
  labels: string[];
  /** Whether the edit changed the body (the title plays no part in a verdict). */
  bodyChanged: boolean;
  /** The repository's default branch, where its policy (and so the register's labels) is read. */
  defaultBranch: string;
  installationId?: number;
}

export const REGISTER_REFERENCES_QUERY = `query RegisterIssueReferences($owner: String!, $repo: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $repo) {
    issue(number: $number) {
      timelineItems(first: 100, after: $cursor, itemTypes: [CROSS_REFERENCED_EVENT]) {
        pageInfo { hasNextPage endCursor }
        nodes { ... on CrossReferencedEvent { source { ... on PullRequest { number state body baseRefName headRefOid repository { name owner { login } } } } } }
      }
    }
  }
}`;

interface SourcePull {
  number?: number;
  state?: "OPEN" | "CLOSED" | "MERGED";
  body?: string;
  baseRefName?: string;
  headRefOid?: string;
  repository?: { name: string; owner: { login: string } };
}
interface ReferencesAnswer {
  repository: {
    issue: { timelineItems: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: ({ source?: SourcePull } | null)[] } } | null;
  } | null;
}

export async function reevaluatePullsLinkingIssue(octokit: GitHubClient, issue: EditedIssue, deps: ServiceDependencies, log: Logger): Promise<void> {
  // A register issue carries a label; without one (or without a body change) nothing is read.
  if (!issue.bodyChanged || issue.labels.length === 0) return;
  if (!(await carriesRegisterLabel(octokit, issue))) return;
  const linking = (await openSourcePulls(octokit, issue)).filter((pull) => linksIssue(pull, issue));
  log.info({ pulls: linking.map((p) => p.number) }, "a register issue was edited: re-evaluating the open pull requests that link it");
  for (const pull of linking) {
    const request = {
      pull: { owner: pull.repository!.owner.login, repo: pull.repository!.name, number: pull.number! },
      ...(pull.headRefOid ? { headShaHint: pull.headRefOid } : {}),
      ...(pull.baseRefName ? { baseRefHint: pull.baseRefName } : {}),
      ...(issue.installationId ? { installationId: issue.installationId } : {}),
    };
    void scheduleEvaluation(octokit, request, deps, log.child({ pr: pull.number }));
  }
}

/** The register's labels as the issue repository's policy names them (read on its default branch: a 304 when unchanged). */
async function carriesRegisterLabel(octokit: GitHubClient, issue: EditedIssue): Promise<boolean> {
  const policy = await loadPolicyConfig(octokit, { owner: issue.owner, repo: issue.repo, ref: issue.defaultBranch });
  const labels = policy.kind === "ok" ? policy.config.register.labels : DEFAULT_REGISTER_LABELS;
  const wanted = new Set(labels.map((l) => l.toLowerCase()));
  return issue.labels.some((l) => wanted.has(l.toLowerCase()));
}

/** The open pull requests that mention the issue, of the issue's owner (the installation's reach). */
async function openSourcePulls(octokit: GitHubClient, issue: EditedIssue): Promise<SourcePull[]> {
  const pulls: SourcePull[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const data: ReferencesAnswer = await octokit.graphql<ReferencesAnswer>(REGISTER_REFERENCES_QUERY, { owner: issue.owner, repo: issue.repo, number: issue.number, cursor });
    const items = data.repository?.issue?.timelineItems;
    if (!items) break;
    for (const node of items.nodes) {
      const source = node?.source;
      if (source?.number === undefined || source.state !== "OPEN" || !source.repository) continue;
      if (source.repository.owner.login.toLowerCase() !== issue.owner.toLowerCase()) continue;
      if (!pulls.some((p) => p.number === source.number && p.repository!.name === source.repository!.name)) pulls.push(source);
    }
    if (!items.pageInfo.hasNextPage || !items.pageInfo.endCursor) break;
    cursor = items.pageInfo.endCursor;
  }
  return pulls;
}

/** Whether the description's `Change request:` line points at this very issue (a mere mention does not). */
function linksIssue(pull: SourcePull, issue: EditedIssue): boolean {
  const link = registerLinkOf(pull.body);
  if (!link?.ok || !pull.repository) return false;
  // linkTarget reads only the owner and name (`#N` is in the PR's own repository); privacy plays no part.
  const target = linkTarget(link, { repository: { owner: pull.repository.owner.login, name: pull.repository.name, private: false } });
  return target.number === issue.number && target.owner.toLowerCase() === issue.owner.toLowerCase() && target.repo.toLowerCase() === issue.repo.toLowerCase();
}
