import { generateKeyPairSync } from "node:crypto";
import nock from "nock";
import { clientsFromEnv, runSweep } from "../../src/cli/sweep.js";
import { FakeGitHub } from "../helpers/app.js";
import { IssueStore } from "../helpers/issue-store.js";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

let github: FakeGitHub;
let store: IssueStore;
beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  github = new FakeGitHub();
  store = new IssueStore(github);
});
afterEach(() => {
  const pending = github.scope.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});
afterAll(() => nock.enableNetConnect());

describe("credentials from the environment", () => {
  test("APP_ID + PRIVATE_KEY: each installation is swept with its own installation token", async () => {
    store.add("Codertocat", "Hello-World", {
      title: "Post-implementation review: Fix (#2)",
      body: "<!-- change-policy:follow-up Codertocat/Hello-World#2 -->\n<!-- change-policy:post-review due=2026-12-26T10:00:00Z from=cto-ciso remind-before-hours=12 -->",
      labels: ["post-implementation-review"],
    });
    github.on("GET", "/app/installations?per_page=100", 200, [{ id: 2, account: { login: "Codertocat" } }]);
    github.scope
      .get("/installation/repositories?per_page=100")
      .matchHeader("authorization", "token ghs_test")
      .reply(200, { total_count: 1, repositories: [{ name: "Hello-World", owner: { login: "Codertocat" }, archived: false }] });
    const lines: string[] = [];
    const result = await runSweep({
      clients: clientsFromEnv({ APP_ID: "1", PRIVATE_KEY: privateKey }),
      repos: [],
      labels: ["post-implementation-review"],
      now: new Date("2026-11-24T12:00:00Z"),
      write: (l) => lines.push(l),
    });
    expect(result.exitCode).toBe(0);
    expect(lines).toEqual(["Swept 1 open follow-up issue(s): 0 reminded, 0 escalated as overdue, 0 already notified, 1 not due yet, 0 error(s)."]);
    expect(github.calls()).toEqual([
      "GET /app/installations?per_page=100",
      "GET /installation/repositories?per_page=100",
      "GET /repos/Codertocat/Hello-World/issues?state=open&labels=post-implementation-review&per_page=100",
    ]);
    expect(github.requests.some((r) => r.path === "/app/installations/2/access_tokens")).toBe(true);
  });

  test("no credentials, or a token without --repo: a clear error", async () => {
    expect(() => clientsFromEnv({})).toThrow("no credentials: set GITHUB_TOKEN, or APP_ID with PRIVATE_KEY or PRIVATE_KEY_PATH");
    await expect(clientsFromEnv({ GITHUB_TOKEN: "x" }).targets([])).rejects.toThrow("with GITHUB_TOKEN, name the repositories to sweep with --repo OWNER/REPO");
  });
});
