// The loopback fake GitHub of bench/fake-github.mjs, fronted by a small server of its own that keeps
// issues and comments the way GitHub does (what follow-ups write and then find again by their
// markers) and lets a test change the PR the GraphQL query answers (labels, merged …). Everything
// else goes through to the fake unchanged. Every request is recorded with its body.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { startFakeGitHub, type FakeGitHub } from "../../bench/fake-github.mjs";

export interface StoredIssue {
  number: number;
  title: string;
  body: string;
  state: string;
  state_reason?: string;
  labels: string[];
  assignees: string[];
  created_at: string;
}

export interface GitHubWithIssues {
  readonly base: FakeGitHub;
  readonly port: number;
  /** Every request: method, path (no query), JSON body. */
  readonly requests: { method: string; path: string; body: unknown }[];
  /** "owner/repo" → issues, oldest first (numbers from 1000, after the PRs'). */
  readonly issues: Map<string, StoredIssue[]>;
  /** "owner/repo#number" → comments on that issue or PR, oldest first. */
  readonly comments: Map<string, { id: number; body: string }[]>;
  /** Fields that replace the GraphQL answer's pull request defaults. */
  pullFields: Record<string, unknown>;
  close(): Promise<void>;
}

export async function startGitHubWithIssues(options: { config?: string } = {}): Promise<GitHubWithIssues> {
  const base = await startFakeGitHub(options);
  let nextIssue = 1000;
  let nextComment = 1;
  const github: GitHubWithIssues = {
    base,
    port: 0,
    requests: [],
    issues: new Map(),
    comments: new Map(),
    pullFields: {},
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await base.close();
    },
  };

  const send = (res: ServerResponse, status: number, data: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-ratelimit-remaining": "4999", "x-ratelimit-resource": "core", ...headers });
    res.end(JSON.stringify(data));
  };
  const restIssue = (owner: string, repo: string, i: StoredIssue) => ({
    ...i,
    html_url: `http://127.0.0.1:${github.port}/${owner}/${repo}/issues/${i.number}`,
    labels: i.labels.map((name) => ({ name })),
    assignees: i.assignees.map((login) => ({ login })),
  });
  // One page as GitHub pages a listing (per_page, page, and a `next` link while there is more).
  const page = <T>(res: ServerResponse, url: URL, items: T[]) => {
    const perPage = Number(url.searchParams.get("per_page") ?? 30);
    const pageNo = Number(url.searchParams.get("page") ?? 1);
    const next = new URL(url);
    next.searchParams.set("page", String(pageNo + 1));
    const more = pageNo * perPage < items.length;
    send(res, 200, items.slice((pageNo - 1) * perPage, pageNo * perPage), more ? { link: `<${next.href}>; rel="next"` } : {});
  };

  const own = (req: IncomingMessage, res: ServerResponse, url: URL, path: string, body: string): boolean => {
    let m: RegExpExecArray | null;
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(path))) {
      const [, owner, repo] = m as unknown as [string, string, string];
      const list = github.issues.get(`${owner}/${repo}`) ?? [];
      if (req.method === "POST") {
        const data = JSON.parse(body) as Partial<StoredIssue>;
        const issue: StoredIssue = { number: nextIssue++, title: data.title ?? "", body: data.body ?? "", state: "open", labels: data.labels ?? [], assignees: data.assignees ?? [], created_at: new Date().toISOString() };
        github.issues.set(`${owner}/${repo}`, [...list, issue]);
        send(res, 201, restIssue(owner, repo, issue));
        return true;
      }
      const state = url.searchParams.get("state") ?? "open";
      const labels = (url.searchParams.get("labels") ?? "").split(",").filter(Boolean);
      const chosen = list.filter((i) => (state === "all" || i.state === state) && labels.every((l) => i.labels.includes(l)));
      page(res, url, (url.searchParams.get("direction") === "asc" ? chosen : [...chosen].reverse()).map((i) => restIssue(owner, repo, i)));
      return true;
    }
    if (req.method === "PATCH" && (m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/.exec(path))) {
      const [, owner, repo, n] = m as unknown as [string, string, string, string];
      const issue = (github.issues.get(`${owner}/${repo}`) ?? []).find((i) => i.number === Number(n));
      if (!issue) return send(res, 404, { message: "Not Found" }), true;
      Object.assign(issue, JSON.parse(body) as Partial<StoredIssue>);
      send(res, 200, restIssue(owner, repo, issue));
      return true;
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path))) {
      const key = `${m[1]}/${m[2]}#${m[3]}`;
      const list = github.comments.get(key) ?? [];
      if (req.method === "POST") {
        const comment = { id: nextComment++, body: (JSON.parse(body) as { body: string }).body, user: { login: "change-policy[bot]", type: "Bot" }, created_at: new Date().toISOString() };
        github.comments.set(key, [...list, comment]);
        send(res, 201, comment);
        return true;
      }
      page(res, url, list);
      return true;
    }
    return false;
  };

  const forward = async (req: IncomingMessage, res: ServerResponse, path: string, body: string) => {
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !["host", "content-length", "connection"].includes(k))) as Record<string, string>;
    const answer = await fetch(`http://127.0.0.1:${base.port}${req.url}`, { method: req.method, headers, ...(body ? { body } : {}) });
    const keep = Object.fromEntries([...answer.headers].filter(([k]) => /^(content-type|etag|link|retry-after|x-ratelimit-.*)$/.test(k)));
    let text = await answer.text();
    if (path === "/api/graphql" && answer.status === 200) {
      const data = JSON.parse(text) as { data?: { repository?: { pullRequest?: Record<string, unknown> } } };
      const pull = data.data?.repository?.pullRequest;
      if (pull) Object.assign(pull, github.pullFields);
      text = JSON.stringify(data);
    }
    res.writeHead(answer.status, keep);
    res.end(text);
  };

  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
      const path = url.pathname.replace(/^\/api\/v3/, "");
      github.requests.push({ method: req.method ?? "GET", path, body: body ? (JSON.parse(body) as unknown) : undefined });
      if (own(req, res, url, path, body)) return;
      forward(req, res, path, body).catch(() => res.destroy());
    });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
  (github as { port: number }).port = port;
  return github;
}
