// Anchors on GitHub: the newest seq/hash as a comment on a pinned issue, written once a day, read back
// by verify; a forged or stale anchor is found.
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "@jest/globals";
import nock from "nock";
import { pino } from "pino";
import { Probot } from "probot";
import { generateKeyPairSync } from "node:crypto";
import { openLedgerDatabase, type LedgerDatabase } from "../../src/ledger/database.js";
import { ANCHOR_LABEL, ledgerAnchorJob, parseAnchorRepository, readAnchors, writeAnchor, writeAnchorIfDue } from "../../src/ledger/anchor.js";
import { lastEntry } from "../../src/ledger/read.js";
import { verifyLedger } from "../../src/ledger/verify.js";
import { APP_ID, INSTALLATION_ID, TestOctokit, expectGitHubSettled, FakeGitHub } from "../helpers/app.js";
import { IssueStore } from "../helpers/issue-store.js";
import { seed, tempDir } from "./targets.js";

const REPO = { owner: "acme", repo: "evidence" };
let github: FakeGitHub;
let store: IssueStore;
let clock: string;
let ledger: LedgerDatabase;
const octokit = () => new TestOctokit({ auth: "t" } as never);

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(async () => {
  github = new FakeGitHub();
  clock = "2026-12-01T06:00:00Z";
  store = new IssueStore(github, () => clock);
  ledger = await openLedgerDatabase({ dataDir: tempDir() });
});
afterEach(async () => {
  await ledger.close();
  expectGitHubSettled();
});

function expectPinning(pinned: boolean) {
  github.on("POST", "/graphql", 200, { data: { repository: { issue: { id: "I_kwDOanchor", isPinned: false } } } });
  if (pinned) github.on("POST", "/graphql", 200, { data: { pinIssue: { issue: { number: 10, isPinned: true } } } });
  else github.on("POST", "/graphql", 200, { errors: [{ type: "FORBIDDEN", message: "Resource not accessible by integration" }] });
}

test("the first anchor opens the anchor issue once, pins it, and comments the newest seq and hash", async () => {
  await seed(ledger, 12);
  const newest = (await lastEntry(ledger))!;
  expectPinning(true);
  const result = await writeAnchor(octokit(), REPO, ledger);
  expect(result).toMatchObject({ written: true, seq: 12, hash: newest.hash, issue: { number: 10 }, pinned: true, pinError: null });
  const [issue] = store.list("acme", "evidence");
  expect(issue).toMatchObject({ title: "change-policy evidence ledger anchors", labels: [ANCHOR_LABEL], body: expect.stringContaining("<!-- change-policy:ledger-anchors -->") });
  expect(store.commentsOn("acme", "evidence", 10)).toEqual([
    `<!-- change-policy:ledger-anchor seq=12 hash=${newest.hash} -->\nLedger anchor: entry **12** (recorded ${newest.recorded_at}) has hash \`${newest.hash}\`.\n\n\`change-policy ledger verify\` checks the ledger against this comment. Do not edit it.`,
  ]);
  expect(github.calls()).toEqual([
    "GET /repos/acme/evidence/issues?state=all&labels=change-policy-ledger&sort=created&direction=desc&per_page=100&page=1",
    "POST /repos/acme/evidence/issues",
    "GET /repos/acme/evidence/issues?state=all&labels=change-policy-ledger&sort=created&direction=desc&per_page=100&page=1",
    "POST /graphql",
    "POST /graphql",
    "POST /repos/acme/evidence/issues/10/comments",
  ]);
});

test("once a day: a second run the same day does nothing; the next day comments on the same issue", async () => {
  await seed(ledger, 3);
  expectPinning(true);
  const now = () => new Date(clock);
  expect(await writeAnchorIfDue(octokit(), REPO, ledger, now())).toMatchObject({ due: true, written: true, seq: 3 });
  clock = "2026-12-01T20:00:00Z";
  await seed(ledger, 2, 3);
  expect(await writeAnchorIfDue(octokit(), REPO, ledger, now())).toMatchObject({ due: false, written: false });
  clock = "2026-12-02T05:45:00Z"; // the hourly check may come a little before 24 h
  expect(await writeAnchorIfDue(octokit(), REPO, ledger, now())).toMatchObject({ due: true, written: true, seq: 5 });
  expect(store.list("acme", "evidence")).toHaveLength(1);
  expect(store.commentsOn("acme", "evidence", 10).map((c) => c.split(" -->")[0])).toEqual([
    expect.stringMatching(/^<!-- change-policy:ledger-anchor seq=3 hash=[0-9a-f]{64}$/),
    expect.stringMatching(/^<!-- change-policy:ledger-anchor seq=5 hash=[0-9a-f]{64}$/),
  ]);
  expect(github.calls().filter((c) => c.includes("/comments"))).toEqual([
    "POST /repos/acme/evidence/issues/10/comments",
    "GET /repos/acme/evidence/issues/10/comments?since=2026-11-30T20%3A30%3A00.000Z&per_page=100",
    "GET /repos/acme/evidence/issues/10/comments?since=2026-12-01T06%3A15%3A00.000Z&per_page=100",
    "POST /repos/acme/evidence/issues/10/comments",
  ]);
});

test("pinning refused: the anchor is still written and the reason returned", async () => {
  await seed(ledger, 1);
  expectPinning(false);
  const result = await writeAnchor(octokit(), REPO, ledger);
  expect(result).toMatchObject({ written: true, pinned: false, pinError: expect.stringContaining("Resource not accessible by integration") });
  expect(store.commentsOn("acme", "evidence", 10)).toHaveLength(1);
});

test("an empty ledger: nothing to anchor, no request", async () => {
  expect(await writeAnchor(octokit(), REPO, ledger)).toMatchObject({ written: false, seq: null });
  expect(github.calls()).toEqual([]);
});

test("anchors read back verify the chain; a forged anchor comment is named by seq", async () => {
  await seed(ledger, 8);
  expectPinning(true);
  await writeAnchor(octokit(), REPO, ledger);
  const good = await readAnchors(octokit(), REPO);
  expect(good.anchors).toEqual([{ seq: 8, hash: (await lastEntry(ledger))!.hash, at: "2026-12-01T06:00:00Z", url: "https://github.com/acme/evidence/issues/10#issuecomment-1000", by: "change-policy[bot]" }]);
  expect(await verifyLedger(ledger, { anchors: good.anchors })).toMatchObject({ ok: true, anchorsChecked: 1 });

  store.comments.get("acme/evidence#10")!.push({ id: 5, body: `<!-- change-policy:ledger-anchor seq=4 hash=${"e".repeat(64)} -->`, created_at: "2026-12-01T07:00:00Z" });
  const forged = await readAnchors(octokit(), REPO);
  const result = await verifyLedger(ledger, { anchors: forged.anchors });
  expect(result.ok).toBe(false);
  expect(result.problems).toEqual([{ seq: 4, what: expect.stringMatching(/^the anchor of 2026-12-01T07:00:00Z by change-policy\[bot\] \(https:\/\/github.com\/acme\/evidence\/issues\/10#issuecomment-5\) says entry 4 has hash eeeeeeeeeeee…, but the ledger has [0-9a-f]{12}…: the chain was rewritten, or the anchor forged$/) }]);
});

test("the server's periodic job acts as the app's installation on the anchor repository", async () => {
  await seed(ledger, 2);
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const probot = new Probot({ appId: APP_ID, privateKey, Octokit: TestOctokit, log: pino({ level: "silent" }) });
  github.on("GET", "/repos/acme/evidence/installation", 200, { id: INSTALLATION_ID, account: { login: "acme" } });
  expectPinning(true);
  const lines: string[] = [];
  const log = { info: (_o: object, m: string) => void lines.push(m), warn: (_o: object, m: string) => void lines.push(m) };
  const job = ledgerAnchorJob({ repository: REPO, ledger: () => ledger, now: () => new Date(clock) });
  expect(job).toMatchObject({ name: "ledger-anchor", intervalMs: 3_600_000 });
  await job.run(probot, log);
  expect(lines).toEqual(["ledger anchor written"]);
  expect(store.commentsOn("acme", "evidence", 10)).toHaveLength(1);
  await ledgerAnchorJob({ repository: REPO, ledger: () => null }).run(probot, log);
  expect(lines.at(-1)).toMatch(/not open yet/);
});

test("LEDGER_ANCHOR_REPOSITORY must be owner/repo", () => {
  expect(parseAnchorRepository(undefined)).toBeNull();
  expect(parseAnchorRepository(" acme/evidence ")).toEqual(REPO);
  expect(() => parseAnchorRepository("acme")).toThrow('LEDGER_ANCHOR_REPOSITORY must be owner/repo, not "acme"');
});
