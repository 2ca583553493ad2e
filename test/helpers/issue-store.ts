// A tiny in-memory GitHub for issues, comments and labels, behind nock: tests that deliver an event
// twice or sweep twice need the second run to see what the first one wrote. Every request is
// recorded in the FakeGitHub's ordered log, so tests still assert the exact API calls.
import nock from "nock";
import { API, type FakeGitHub } from "./app.js";

export interface StoredIssue {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  state_reason?: string | null;
  labels: string[];
  assignees: string[];
  created_at: string;
  closed_at: string | null;
}

export interface StoredComment {
  id: number;
  body: string;
  created_at?: string;
  html_url?: string;
}

const ISSUES = /^\/repos\/([^/]+)\/([^/]+)\/issues(?:\?(.*))?$/;
const ISSUE = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/;
const COMMENTS = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments(?:\?(.*))?$/;
const LABELS = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/labels$/;

export class IssueStore {
  readonly issues = new Map<string, StoredIssue[]>();
  readonly comments = new Map<string, StoredComment[]>();
  /** Runs just before an issue is created: lets a test simulate a concurrent writer. */
  beforeCreate: (owner: string, repo: string) => void = () => {};
  private nextComment = 1000;
  private nextNumber = new Map<string, number>();
  private readonly scope = nock(API).persist();

  constructor(github: FakeGitHub, private readonly clock: () => string = () => "2026-11-24T12:00:00Z") {
    this.scope.on("request", (req: { method: string; path: string; headers?: Record<string, string> }, _i: unknown, body: string) => {
      github.requests.push({ method: req.method, path: req.path, headers: req.headers, body: body ? JSON.parse(body) : undefined });
    });
    this.scope
      .get((uri) => ISSUES.test(uri))
      .reply((uri) => {
        const [, owner, repo, query] = uri.match(ISSUES)!;
        const q = new URLSearchParams(query ?? "");
        const perPage = Number(q.get("per_page") ?? 30);
        const page = Number(q.get("page") ?? 1);
        const state = q.get("state") ?? "open";
        const labels = (q.get("labels") ?? "").split(",").filter(Boolean);
        let list = this.list(owner!, repo!).filter((i) => (state === "all" || i.state === state) && labels.every((l) => i.labels.includes(l)));
        list = q.get("direction") === "asc" ? list : [...list].reverse();
        return [200, list.slice((page - 1) * perPage, page * perPage).map((i) => this.rest(owner!, repo!, i))];
      })
      .post((uri) => ISSUES.test(uri))
      .reply((uri, body: any) => {
        const [, owner, repo] = uri.match(ISSUES)!;
        this.beforeCreate(owner!, repo!);
        const issue = this.add(owner!, repo!, { title: body.title, body: body.body, labels: body.labels ?? [], assignees: body.assignees ?? [] });
        return [201, this.rest(owner!, repo!, issue)];
      })
      .patch((uri) => ISSUE.test(uri))
      .reply((uri, body: any) => {
        const [, owner, repo, n] = uri.match(ISSUE)!;
        const issue = this.get(owner!, repo!, Number(n));
        if (body.state) {
          issue.state = body.state;
          issue.closed_at = body.state === "closed" ? this.clock() : issue.closed_at;
        }
        if (body.state_reason !== undefined) issue.state_reason = body.state_reason;
        if (body.body !== undefined) issue.body = body.body;
        return [200, this.rest(owner!, repo!, issue)];
      })
      .get((uri) => COMMENTS.test(uri))
      .reply((uri) => {
        const [, owner, repo, n] = uri.match(COMMENTS)!;
        return [200, (this.comments.get(`${owner}/${repo}#${n}`) ?? []).map((c) => ({ ...c, user: { login: "change-policy[bot]", type: "Bot" } }))];
      })
      .post((uri) => COMMENTS.test(uri))
      .reply((uri, body: any) => {
        const [, owner, repo, n] = uri.match(COMMENTS)!;
        const id = this.nextComment++;
        const comment = { id, body: body.body as string, created_at: this.clock(), html_url: `https://github.com/${owner}/${repo}/issues/${n}#issuecomment-${id}` };
        this.comments.set(`${owner}/${repo}#${n}`, [...(this.comments.get(`${owner}/${repo}#${n}`) ?? []), comment]);
        return [201, comment];
      })
      .post((uri) => LABELS.test(uri))
      .reply((uri, body: any) => {
        const [, owner, repo, n] = uri.match(LABELS)!;
        const issue = this.get(owner!, repo!, Number(n));
        for (const l of body.labels as string[]) if (!issue.labels.includes(l)) issue.labels.push(l);
        return [200, issue.labels.map((name) => ({ name }))];
      });
  }

  add(owner: string, repo: string, fields: Partial<StoredIssue> & { title: string; body: string }): StoredIssue {
    const key = `${owner}/${repo}`;
    const number = this.nextNumber.get(key) ?? 10;
    this.nextNumber.set(key, number + 1);
    const issue: StoredIssue = { state: "open", labels: [], assignees: [], created_at: this.clock(), closed_at: null, ...fields, number };
    this.issues.set(key, [...this.list(owner, repo), issue]);
    return issue;
  }

  list(owner: string, repo: string): StoredIssue[] {
    return this.issues.get(`${owner}/${repo}`) ?? [];
  }

  get(owner: string, repo: string, number: number): StoredIssue {
    const issue = this.list(owner, repo).find((i) => i.number === number);
    if (!issue) throw new Error(`no issue ${owner}/${repo}#${number}`);
    return issue;
  }

  commentsOn(owner: string, repo: string, number: number): string[] {
    return (this.comments.get(`${owner}/${repo}#${number}`) ?? []).map((c) => c.body);
  }

  private rest(owner: string, repo: string, i: StoredIssue) {
    return {
      number: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      state_reason: i.state_reason ?? null,
      html_url: `https://github.com/${owner}/${repo}/issues/${i.number}`,
      created_at: i.created_at,
      closed_at: i.closed_at,
      labels: i.labels.map((name) => ({ name })),
      assignees: i.assignees.map((login) => ({ login })),
    };
  }
}
