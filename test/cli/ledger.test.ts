// `change-policy ledger …` as a user runs it: exit codes 0 intact / 1 tampered / 2 cannot run,
// results on stdout, progress on stderr; the database from DATA_DIR or DATABASE_URL.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import fs from "node:fs";
import path from "node:path";
import nock from "nock";
import { runCli } from "../../src/cli/main.js";
import { appendEntry } from "../../src/ledger/append.js";
import { SQLITE_FILE_NAME, openLedgerDatabase, type LedgerDatabase } from "../../src/ledger/database.js";
import { entryAt } from "../../src/ledger/read.js";
import { expectGitHubSettled, FakeGitHub } from "../helpers/app.js";
import { graphqlPull } from "../helpers/graphql-pull.js";
import { IssueStore } from "../helpers/issue-store.js";
import { sampleEntry, seed, tamper, tempDir, useLedgerTargets } from "../ledger/targets.js";
import { memoryIO } from "./memory-io.js";

const { targets } = useLedgerTargets();

async function ledgerIn(env: Record<string, string>, fill: (ledger: LedgerDatabase) => Promise<void>): Promise<void> {
  const ledger = await openLedgerDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR ?? "unused" });
  try {
    await fill(ledger);
  } finally {
    await ledger.close();
  }
}

async function cli(args: string[], env: Record<string, string>) {
  const io = memoryIO({ env });
  await runCli(args, io);
  return io;
}

const at = (iso: string) => () => new Date(iso);

describe.each(targets)("ledger verify on $name", (target) => {
  test("exit 0 and a one-line result when intact; exit 1 naming the first bad entry when tampered", async () => {
    const options = await target.fresh();
    const env: Record<string, string> = options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : { DATA_DIR: options.dataDir };
    let hash = "";
    await ledgerIn(env, async (ledger) => {
      await seed(ledger, 30);
      hash = (await entryAt(ledger, 30))!.hash;
    });
    const intact = await cli(["ledger", "verify"], env);
    expect(intact.code).toBe(0);
    expect(intact.stdout).toEqual([`Ledger intact: entries 1–30 (30 entries), newest hash ${hash}.`]);
    expect(intact.stderr).toEqual([expect.stringMatching(/^Opening the (PostgreSQL ledger|ledger in )/), "verified 30 entries (up to 30)"]);

    await ledgerIn(env, (ledger) => tamper(ledger, "delete from ledger_entries where seq = 12"));
    const gap = await cli(["ledger", "verify"], env);
    expect(gap.code).toBe(1);
    expect(gap.stdout).toEqual(["Ledger NOT intact: first bad entry 12: entry 12 is missing (deleted): the chain jumps from 11 to 13"]);
  });
});

describe("ledger commands on a SQLite DATA_DIR", () => {
  let env: Record<string, string>;
  beforeEach(async () => {
    env = { DATA_DIR: tempDir() };
    await ledgerIn(env, async (ledger) => {
      await appendEntry(ledger, sampleEntry(1), at("2025-01-10T10:00:00.000Z")); // #2
      await appendEntry(ledger, sampleEntry(2), at("2026-03-01T10:00:00.000Z")); // #3
      await appendEntry(ledger, sampleEntry(51), at("2026-03-02T10:00:00.000Z")); // #2 again
      await appendEntry(ledger, { ...sampleEntry(3), repository: "acme/web" }, at("2026-03-31T23:59:59.999Z"));
      await appendEntry(ledger, sampleEntry(4), at("2026-04-01T00:00:00.000Z"));
    });
  });

  test("export prints the entries of a period as JSON lines, exactly as stored", async () => {
    const io = await cli(["ledger", "export", "--since", "2026-03-01", "--until", "2026-03-31"], env);
    expect(io.code).toBe(0);
    const lines = io.stdout.map((l) => JSON.parse(l));
    expect(lines.map((e) => [e.seq, e.recorded_at, e.repository, e.subject])).toEqual([
      [2, "2026-03-01T10:00:00.000Z", "acme/api", "#3"],
      [3, "2026-03-02T10:00:00.000Z", "acme/api", "#2"],
      [4, "2026-03-31T23:59:59.999Z", "acme/web", "#4"],
    ]);
    expect(Object.keys(lines[0]).sort()).toEqual(["body", "hash", "kind", "prev_hash", "recorded_at", "repository", "seq", "subject"]);
    expect(io.stderr.at(-1)).toBe("exported 3 entries");
    const filtered = await cli(["ledger", "export", "--repo", "acme/web", "--kind", "check"], env);
    expect(filtered.stdout.map((l) => JSON.parse(l).seq)).toEqual([4]);
    const bad = await cli(["ledger", "export", "--kind", "verdict"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toEqual([expect.stringContaining('--kind must be one of check, merge, follow_up, incident, deployment, merge_group, checkpoint, not "verdict"')]);
  });

  test("show prints every entry of one pull request, oldest first", async () => {
    const io = await cli(["ledger", "show", "acme/api#2"], env);
    expect(io.code).toBe(0);
    expect(io.stdout).toEqual([
      `1\t2025-01-10T10:00:00.000Z\tcheck\tsuccess on ${"0".repeat(7)}: Entry 1`,
      "3\t2026-03-02T10:00:00.000Z\tcheck\tsuccess on 0000000: Entry 51",
    ]);
    expect((await cli(["ledger", "show", "acme/api#2", "--format", "json"], env)).stdout.map((l) => JSON.parse(l).seq)).toEqual([1, 3]);
    expect((await cli(["ledger", "show", "acme/api#77"], env)).stdout).toEqual(["No ledger entries for acme/api#77."]);
    const bad = await cli(["ledger", "show", "acme/api"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr.at(-1)).toBe('error: name the pull request as OWNER/REPO#NUMBER (e.g. acme/api#12), not "acme/api"');
  });

  test("prune refuses inside the retention (exit 2), prunes after it with a checkpoint, and verify still passes", async () => {
    const now = new Date();
    const tooRecent = new Date(now.getTime() - 100 * 86_400_000).toISOString().slice(0, 10);
    const refused = await cli(["ledger", "prune", "--before", tooRecent], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr.at(-1)).toMatch(/^refused: --before .* is inside the retention of 400 days \(LEDGER_RETENTION_DAYS\)/);

    const short = await cli(["ledger", "prune", "--before", "2025-02-01"], { ...env, LEDGER_RETENTION_DAYS: "30" });
    expect(short.code).toBe(2);
    expect(short.stderr.at(-1)).toContain("LEDGER_RETENTION_DAYS must be a whole number of days from 365");

    const pruned = await cli(["ledger", "prune", "--before", "2025-02-01"], { ...env, LEDGER_RETENTION_DAYS: "365" });
    expect(pruned.stderr).toContain("Verifying the ledger before pruning…");
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toEqual([expect.stringMatching(/^Pruned 1 entry \(up to 1\) recorded before 2025-02-01T00:00:00Z; checkpoint entry 6 holds the last pruned hash [0-9a-f]{64}\. 5 entries remain\.$/)]);

    const verified = await cli(["ledger", "verify"], env);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toEqual([expect.stringMatching(/^Ledger intact: entries 2–6 \(5 entries\)/), "Entries 1–1 were pruned; checkpoint 6 holds their last hash."]);
  });

  test("prune on a tampered ledger: refused with exit 1, nothing deleted", async () => {
    await ledgerIn(env, (ledger) => tamper(ledger, "update ledger_entries set subject = '#9' where seq = 2"));
    const io = await cli(["ledger", "prune", "--before", "2025-02-01"], env);
    expect(io.code).toBe(1);
    expect(io.stderr.at(-1)).toMatch(/^refused: the ledger is not intact \(first bad entry 2: entry 2 was edited/);
  });

  test("a corrupted DATA_DIR: exit 2 and an error naming the file", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, SQLITE_FILE_NAME), "garbage ".repeat(200));
    const io = await cli(["ledger", "verify"], { DATA_DIR: dir });
    expect(io.code).toBe(2);
    expect(io.stdout).toEqual([]);
    expect(io.stderr.at(-1)).toContain(`error: ${path.join(dir, SQLITE_FILE_NAME)} is not a usable ledger database`);
  });
});

describe("ledger verify with GitHub", () => {
  let github: FakeGitHub;
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(() => {
    github = new FakeGitHub();
  });
  afterEach(expectGitHubSettled);

  test("checks the anchors of LEDGER_ANCHOR_REPOSITORY: a forged anchor exits 1 naming its seq", async () => {
    const store = new IssueStore(github);
    const env = { DATA_DIR: tempDir(), LEDGER_ANCHOR_REPOSITORY: "acme/evidence", GITHUB_TOKEN: "t" };
    let hash = "";
    await ledgerIn(env, async (ledger) => {
      await seed(ledger, 5);
      hash = (await entryAt(ledger, 5))!.hash;
    });
    const issue = store.add("acme", "evidence", { title: "anchors", body: "<!-- change-policy:ledger-anchors -->", labels: ["change-policy-ledger"] });
    store.comments.set(`acme/evidence#${issue.number}`, [{ id: 1, body: `<!-- change-policy:ledger-anchor seq=5 hash=${hash} -->`, created_at: "2026-12-01T00:00:00Z" }]);

    const ok = await cli(["ledger", "verify"], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toEqual([`Ledger intact: entries 1–5 (5 entries), newest hash ${hash}.`, "1 anchor matches."]);
    expect(ok.stderr).toContain("1 anchor on https://github.com/acme/evidence/issues/10");

    store.comments.get(`acme/evidence#${issue.number}`)!.push({ id: 2, body: `<!-- change-policy:ledger-anchor seq=3 hash=${"9".repeat(64)} -->`, created_at: "2026-12-02T00:00:00Z" });
    const forged = await cli(["ledger", "verify"], env);
    expect(forged.code).toBe(1);
    expect(forged.stdout[0]).toMatch(/^Ledger NOT intact: first bad entry 3: the anchor of 2026-12-02T00:00:00Z by change-policy\[bot\] .* says entry 3 has hash 999999999999…/);

    const skipped = await cli(["ledger", "verify", "--no-anchors"], env);
    expect(skipped.code).toBe(0);
  });

  test("anchors that cannot be read: exit 2 (cannot run), saying why", async () => {
    github.on("GET", "/repos/acme/evidence/issues?state=all&labels=change-policy-ledger&sort=created&direction=desc&per_page=100&page=1", 404, { message: "Not Found" });
    const io = await cli(["ledger", "verify"], { DATA_DIR: tempDir(), LEDGER_ANCHOR_REPOSITORY: "acme/evidence", GITHUB_TOKEN: "t" });
    expect(io.code).toBe(2);
    expect(io.stderr.at(-1)).toMatch(/^error: Not Found/);
  });

  test("--against-github lists merged pull requests that have no merge entry, and exits 1", async () => {
    const env = { DATA_DIR: tempDir(), GITHUB_TOKEN: "t" };
    await ledgerIn(env, async (ledger) => {
      await appendEntry(ledger, sampleEntry(0), at("2026-11-01T00:00:00.000Z"));
      await appendEntry(
        ledger,
        {
          kind: "merge",
          repository: "acme/api",
          subject: "#10",
          body: {
            pull_number: 10, title: "Upgrade", base_ref: "main", head_sha: "a".repeat(40), merge_commit_sha: "b".repeat(40), merged_at: "2026-11-02T10:00:00Z",
            merged_by: "bob", author: "alice", check_conclusion: "success", class: "normal", approvers: ["dave"], approvals: [], description_sha256: "0".repeat(64),
            sections: [], fields: {}, checked: [], labels: [], policy_blob_sha: null, requirements: [],
          },
        },
        at("2026-11-02T10:00:01.000Z"),
      );
    });
    const node = (number: number, mergedAt: string) => ({ repository: { isPrivate: true }, ...graphqlPull({ number, state: "MERGED", mergedAt, mergedBy: "bob", baseRef: "main" }).data.repository.pullRequest });
    github.on("POST", "/graphql", 200, { data: { search: { issueCount: 2, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [node(10, "2026-11-02T10:00:00Z"), node(11, "2026-11-03T09:00:00Z")] } } });
    const io = await cli(["ledger", "verify", "--against-github", "--repo", "acme/api"], env);
    expect(io.code).toBe(1);
    expect(io.stdout).toEqual([
      expect.stringMatching(/^Ledger intact: entries 1–2/),
      "acme/api#11 merged 2026-11-03T09:00:00Z by @bob has no merge entry in the ledger",
      "1 of 2 pull requests merged since 2026-11-01T00:00:00Z have no merge entry.",
    ]);
    const search = github.requests.find((r) => r.path === "/graphql")!;
    expect(search.body.variables.q).toMatch(/^repo:acme\/api is:pr is:merged merged:2026-11-01T00:00:00Z\.\.\d{4}-/);
  });

  test("--against-github without --repo: exit 2", async () => {
    const io = await cli(["ledger", "verify", "--against-github"], { DATA_DIR: tempDir() });
    expect(io.code).toBe(2);
    expect(io.stderr.at(-1)).toBe("error: --against-github needs --repo OWNER/REPO");
  });
});
