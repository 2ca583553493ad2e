// Issues with a label, open and closed, touched since a date: what the audit reads to find the
// app's incident and follow-up issues (one paginated listing per label, not one search per PR).
import type { IssueFacts } from "../policy/audit.js";
import type { GitHubClient } from "./client.js";

export interface IssueRecord extends IssueFacts {
  labels: string[];
}

export async function listIssuesWithLabel(
  octokit: GitHubClient,
  where: { owner: string; repo: string },
  label: string,
  since: Date,
): Promise<IssueRecord[]> {
  const issues = await octokit.paginate("GET /repos/{owner}/{repo}/issues", {
    owner: where.owner,
    repo: where.repo,
    labels: label,
    state: "all",
    // `since` filters on the last update: an issue about the period was updated after it began.
    since: since.toISOString(),
    per_page: 100,
  });
  return issues
    .filter((i) => !i.pull_request)
    .map((i) => ({
      number: i.number,
      title: i.title,
      state: i.state === "closed" ? ("closed" as const) : ("open" as const),
      url: i.html_url,
      body: i.body ?? "",
      createdAt: i.created_at,
      closedAt: i.closed_at ?? null,
      labels: i.labels.map((l) => (typeof l === "string" ? l : (l.name ?? ""))),
    }));
}
