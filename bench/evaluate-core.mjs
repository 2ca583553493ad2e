// The app's own CPU per evaluation: classifying, reading the Request for Change, counting approvals
// and rendering the check, for the benchmark's three pull requests (no I/O, no Probot, no HTTP).
// Run: npm run build && node bench/evaluate-core.mjs   (also part of `npm run bench`)
import { pathToFileURL } from "node:url";
import { parseConfigText } from "../dist/config/load.js";
import { evaluatePull } from "../dist/policy/evaluate.js";
import { renderVerdict } from "../dist/render/check-output.js";
import { readFileSync } from "node:fs";

const HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const BODY = readFileSync(new URL("../.github/pull_request_template.md", import.meta.url), "utf8")
  .replace(/<!--[^]*?-->/g, "A realistic paragraph of text explaining this part of the change in enough words.")
  .replace("Owner: @", "Owner: @author")
  .replace("Target date: YYYY-MM-DD", "Target date: 2026-12-01");

function snapshot(files, reviews) {
  return {
    repository: { owner: "bench", name: "repo", private: true },
    number: 1, title: "Upgrade the HTTP client", body: BODY, author: "author", draft: false, state: "open",
    headSha: HEAD, baseRef: "main", labels: ["privacy"], labelEvents: [],
    files: Array.from({ length: files }, (_, i) => (i === files - 1 ? "package.json" : `src/module${i}/file.ts`)),
    reviews: Array.from({ length: reviews }, (_, i) => ({ author: `reviewer${i % 10}`, authorIsBot: false, state: i % 3 ? "APPROVED" : "COMMENTED", commitId: HEAD, submittedAt: `2026-11-24T11:${String(i % 60).padStart(2, "0")}:00Z` })),
    assignees: [], permissions: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`reviewer${i}`, "write"])),
    groups: { "cto-ciso": ["reviewer1"], compliance: ["reviewer2"], "emergency-declarers": [] },
  };
}

export function runCoreBench() {
  const parsed = parseConfigText(readFileSync(new URL("../examples/change-policy.yml", import.meta.url), "utf8"), "examples/change-policy.yml");
  if (!parsed.ok) throw new Error("examples/change-policy.yml is invalid");
  const rows = [];
  for (const [label, files, reviews, n] of [["typical PR", 5, 2, 3000], ["3,000-file PR", 3000, 2, 300], ["PR with 300 reviews", 5, 300, 1000]]) {
    const pr = snapshot(files, reviews);
    for (let i = 0; i < 50; i++) renderVerdict(evaluatePull(parsed.value, pr)); // warm up the JIT
    const before = process.cpuUsage();
    for (let i = 0; i < n; i++) renderVerdict(evaluatePull(parsed.value, pr));
    const used = process.cpuUsage(before);
    rows.push({ "pull request": label, "app CPU per evaluation (ms)": Number(((used.user + used.system) / 1000 / n).toFixed(3)) });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) console.table(runCoreBench());
