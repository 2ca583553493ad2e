// A tiny in-memory GitHub for check runs, behind nock: creating, updating and listing runs, and the
// PR query's view of them (the newest run per commit, as src/github/snapshot.ts reads it). Tests of
// a failed check write need the next request to see what GitHub really did — including a write it
// carried out before answering 502. Every request is recorded in the FakeGitHub's ordered log.
import nock from "nock";
import { API, APP_ID, type FakeGitHub } from "./app.js";

export interface StoredCheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  title: string | null;
  summary: string | null;
}

const RUNS = /^\/repos\/([^/]+)\/([^/]+)\/check-runs$/;
const RUN = /^\/repos\/([^/]+)\/([^/]+)\/check-runs\/(\d+)$/;
const LIST = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/?]+)\/check-runs(?:\?(.*))?$/;

export class CheckRunStore {
  readonly runs: StoredCheckRun[] = [];
  private nextId = 7;
  /** Writes answered with a status instead of 201/200: carried out first (a 502 after the write) or not. */
  private readonly faults: { method: "POST" | "PATCH"; status: number; times: number; written: boolean }[] = [];
  // Persisted; expectGitHubSettled's nock.cleanAll() removes it after each test.
  private readonly scope = nock(API).persist();

  constructor(github: FakeGitHub) {
    this.scope.on("request", (req: { method: string; path: string; headers?: Record<string, string> }, _i: unknown, body: string) => {
      github.requests.push({ method: req.method, path: req.path, headers: req.headers, body: body ? JSON.parse(body) : undefined });
    });
    this.scope
      .post((uri) => RUNS.test(uri))
      .reply((_uri, body: any) => {
        const refused = this.refused("POST");
        if (refused) return refused;
        const run: StoredCheckRun = { id: this.nextId++, name: body.name, head_sha: body.head_sha, status: body.status ?? "queued", conclusion: body.conclusion ?? null, title: body.output?.title ?? null, summary: body.output?.summary ?? null };
        this.runs.push(run);
        return this.answer("POST", 201, run);
      })
      .patch((uri) => RUN.test(uri))
      .reply((uri, body: any) => {
        const run = this.runs.find((r) => r.id === Number(uri.match(RUN)![3]));
        if (!run) return [404, { message: "Not Found" }];
        const refused = this.refused("PATCH");
        if (refused) return refused;
        Object.assign(run, {
          status: body.status ?? run.status,
          conclusion: body.conclusion ?? run.conclusion,
          title: body.output?.title ?? run.title,
          summary: body.output?.summary ?? run.summary,
        });
        return this.answer("PATCH", 200, run);
      })
      .get((uri) => LIST.test(uri))
      .reply((uri) => {
        const [, , , ref, query] = uri.match(LIST)!;
        const q = new URLSearchParams(query ?? "");
        const name = q.get("check_name");
        const appId = q.get("app_id");
        const runs = this.runs.filter((r) => r.head_sha === ref && (!name || r.name === name) && (!appId || Number(appId) === APP_ID));
        return [200, { total_count: runs.length, check_runs: [...runs].reverse().map((r) => this.rest(r)) }];
      });
  }

  /** The next `times` writes of `method` are carried out, then answered with `status`. */
  failAfterWriting(method: "POST" | "PATCH", status = 502, times = 1): this {
    this.faults.push({ method, status, times, written: true });
    return this;
  }

  /** The next `times` writes of `method` are answered with `status` and not carried out. */
  failWithoutWriting(method: "POST" | "PATCH", status: number, times = 1): this {
    this.faults.push({ method, status, times, written: false });
    return this;
  }

  /** The runs on a commit, oldest first. */
  on(headSha: string): StoredCheckRun[] {
    return this.runs.filter((r) => r.head_sha === headSha);
  }

  /** The newest run on the commit as a PullFixture's `check` (what the PR query returns), or null. */
  newest(headSha: string): { id: number; status: string; conclusion: string | null; title: string; summary: string } | null {
    const run = this.on(headSha).at(-1);
    if (!run) return null;
    return { id: run.id, status: run.status.toUpperCase(), conclusion: run.conclusion?.toUpperCase() ?? null, title: run.title ?? "", summary: run.summary ?? "" };
  }

  /** Writes still set to fail (a test's faults should all have happened). */
  unusedFaults(): number {
    return this.faults.reduce((n, f) => n + f.times, 0);
  }

  private next(method: "POST" | "PATCH") {
    return this.faults.find((f) => f.method === method && f.times > 0);
  }

  /** The answer of a write refused before it was carried out, if this one is. */
  private refused(method: "POST" | "PATCH"): [number, unknown] | undefined {
    const fault = this.next(method);
    if (!fault || fault.written) return undefined;
    fault.times -= 1;
    return [fault.status, { message: fault.status === 422 ? "Validation Failed" : "Bad Gateway" }];
  }

  private answer(method: "POST" | "PATCH", ok: number, run: StoredCheckRun): [number, unknown] {
    const fault = this.next(method);
    if (fault?.written) {
      fault.times -= 1;
      return [fault.status, { message: "Bad Gateway" }];
    }
    return [ok, this.rest(run)];
  }

  private rest(r: StoredCheckRun) {
    return {
      id: r.id,
      node_id: `CR_${r.id}`,
      head_sha: r.head_sha,
      external_id: null,
      url: `${API}/repos/Codertocat/Hello-World/check-runs/${r.id}`,
      html_url: `https://github.com/Codertocat/Hello-World/runs/${r.id}`,
      details_url: null,
      status: r.status,
      conclusion: r.conclusion,
      started_at: "2026-11-24T12:00:00Z",
      completed_at: r.status === "completed" ? "2026-11-24T12:00:00Z" : null,
      output: { title: r.title, summary: r.summary, text: null, annotations_count: 0, annotations_url: `${API}/repos/Codertocat/Hello-World/check-runs/${r.id}/annotations` },
      name: r.name,
      check_suite: { id: 5 },
      app: { id: APP_ID, slug: "change-policy", name: "change-policy" },
      pull_requests: [],
    };
  }
}
