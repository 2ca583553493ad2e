import { generateKeyPairSync } from "node:crypto";
import nock from "nock";
import { Command } from "commander";
import { buildProgram } from "../../src/cli/main.js";
import { registerSweepCommand, runSweep, type SweepClients } from "../../src/cli/sweep.js";
import type { CliIO } from "../../src/cli/io.js";
import { expectGitHubSettled, FakeGitHub, TestOctokit } from "../helpers/app.js";
import { IssueStore } from "../helpers/issue-store.js";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const REPO = { owner: "Codertocat", repo: "Hello-World" };
const LIST_OPEN = "/repos/Codertocat/Hello-World/issues?state=open&labels=post-implementation-review&per_page=100";
const NOW = () => new Date("2026-11-26T01:00:00Z");

let github: FakeGitHub;
let store: IssueStore;
beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  github = new FakeGitHub();
  store = new IssueStore(github);
});
afterEach(expectGitHubSettled);
afterAll(() => nock.enableNetConnect());

function testIO(env: Record<string, string> = {}) {
  const io = { out: [] as string[], err: [] as string[], status: undefined as number | undefined };
  const cli: CliIO = { out: (l) => io.out.push(l), err: (l) => io.err.push(l), env, cwd: process.cwd(), exit: (c) => (io.status = c) };
  return { io, cli };
}

function followUp(pr: number, due: string, assignees = ["alice", "dave"]) {
  return store.add("Codertocat", "Hello-World", {
    title: `Post-implementation review: Fix (#${pr})`,
    body: `<!-- change-policy:follow-up Codertocat/Hello-World#${pr} -->\n<!-- change-policy:post-review due=${due} from=cto-ciso remind-before-hours=12 -->`,
    labels: ["post-implementation-review"],
    assignees,
  });
}

const tokenClients: SweepClients = { targets: async (repos) => [{ octokit: new TestOctokit({ auth: { token: "t" } } as never), repositories: repos }] };

test("`change-policy sweep --repo` prints what it did and exits 0; run twice, it comments once", async () => {
  followUp(2, "2026-11-26T10:00:00Z");
  followUp(3, "2026-11-25T10:00:00Z", []);
  const { io, cli } = testIO();
  const program = new Command("change-policy").exitOverride();
  registerSweepCommand(program, cli, { clients: tokenClients, now: NOW });
  await program.parseAsync(["sweep", "--repo", "Codertocat/Hello-World"], { from: "user" });
  expect(io.status).toBe(0);
  expect(io.out).toEqual([
    "Codertocat/Hello-World#11: escalated", // GitHub lists newest first
    "Codertocat/Hello-World#10: reminded",
    "Swept 2 open follow-up issue(s): 1 reminded, 1 escalated as overdue, 0 already notified, 0 not due yet, 0 error(s).",
  ]);
  expect(store.commentsOn("Codertocat", "Hello-World", 11)[0]).toContain("Reviewers of `cto-ciso` (nobody is assigned): this post-implementation review is **overdue**");

  const second = testIO();
  expect(await runSweep({ repo: ["Codertocat/Hello-World"], label: [] }, second.cli, { clients: tokenClients, now: NOW })).toBe(0);
  expect(second.io.out).toEqual(["Codertocat/Hello-World#10: already-done", "Swept 2 open follow-up issue(s): 0 reminded, 0 escalated as overdue, 1 already notified, 1 not due yet, 0 error(s)."]);
  expect(store.commentsOn("Codertocat", "Hello-World", 10)).toHaveLength(1);
  expect(store.commentsOn("Codertocat", "Hello-World", 11)).toHaveLength(1);
  expect(github.calls().filter((c) => c.startsWith("POST"))).toEqual([
    "POST /repos/Codertocat/Hello-World/issues/11/comments",
    "POST /repos/Codertocat/Hello-World/issues/11/labels",
    "POST /repos/Codertocat/Hello-World/issues/10/comments",
  ]);
});

test("an API failure is reported on stderr and the command exits 2", async () => {
  nock.cleanAll(); // no in-memory store: this GitHub refuses
  github = new FakeGitHub();
  github.on("GET", "/repos/acme/broken/issues?state=open&labels=post-implementation-review&per_page=100", 403, { message: "Resource not accessible by integration" });
  const { io, cli } = testIO();
  expect(await runSweep({ repo: ["acme/broken"], label: [] }, cli, { clients: tokenClients, now: NOW })).toBe(2);
  expect(io.err).toEqual(["acme/broken: error (could not list issues: 403: Resource not accessible by integration)"]);
});

test("app credentials without --repo: every installation, each with its own installation token", async () => {
  followUp(2, "2026-12-26T10:00:00Z");
  github.on("GET", "/app/installations?per_page=100", 200, [{ id: 2, account: { login: "Codertocat" } }]);
  github.scope
    .get("/installation/repositories?per_page=100")
    .matchHeader("authorization", "token ghs_test")
    .reply(200, { total_count: 2, repositories: [
      { name: "Hello-World", owner: { login: "Codertocat" }, archived: false },
      { name: "old", owner: { login: "Codertocat" }, archived: true },
    ] });
  const { io, cli } = testIO({ APP_ID: "1", PRIVATE_KEY: privateKey });
  expect(await runSweep({ repo: [], label: [] }, cli, { now: NOW, Octokit: TestOctokit })).toBe(0);
  expect(io.out).toEqual(["Swept 1 open follow-up issue(s): 0 reminded, 0 escalated as overdue, 0 already notified, 1 not due yet, 0 error(s)."]);
  expect(github.calls()).toEqual(["GET /app/installations?per_page=100", "GET /installation/repositories?per_page=100", `GET ${LIST_OPEN}`]);
  expect(github.requests.some((r) => r.path === "/app/installations/2/access_tokens")).toBe(true);
});

test("a token without --repo, or no credentials at all: a clear error, exit 2", async () => {
  const token = testIO({ GITHUB_TOKEN: "x" });
  expect(await runSweep({ repo: [], label: [] }, token.cli, { now: NOW })).toBe(2);
  expect(token.io.err).toEqual(["error: with a token, name the repositories to sweep with --repo OWNER/REPO (repeatable)"]);
  const none = testIO();
  expect(await runSweep({ repo: [], label: [] }, none.cli, { now: NOW })).toBe(2);
  expect(none.io.err[0]).toContain("error: No GitHub credentials");
  const bad = testIO({ GITHUB_TOKEN: "x" });
  expect(await runSweep({ repo: ["not a repo"], label: [] }, bad.cli, { now: NOW })).toBe(2);
  expect(bad.io.err[0]).toBe('error: --repo must be OWNER/REPO, not "not a repo"');
  void REPO;
});

test("`sweep` is a command of change-policy", () => {
  const sweep = buildProgram(testIO().cli).commands.find((c) => c.name() === "sweep");
  expect(sweep?.options.map((o) => o.long)).toEqual(["--repo", "--label", "--token", "--json"]);
});
