// Worst-case time to read a pull request description (src/policy/request-for-change.ts).
// Every body is exactly 65,536 characters, GitHub's limit, built from patterns that are slow in
// markdown parsers (deep nesting, unclosed brackets, emphasis runs, comments, HTML, code spans).
// Run: npm run build && node bench/read-description.mjs
import { performance } from "node:perf_hooks";
import { readRequestForChange } from "../dist/policy/request-for-change.js";

const SIZE = 65_536;
const fill = (pattern) => pattern.repeat(Math.ceil(SIZE / pattern.length)).slice(0, SIZE);

const bodies = {
  "ordinary description": fill(
    "## Description\n\nMoves the **session store** to Redis; see [the design](https://example.com/d) and `SESSION_TTL`.\n\n" +
      "<!-- hint -->\n- [x] Privacy or regulatory impact\n- [ ] Feature flag\n\nOwner: @alice\n\n```sh\nnpm test\n```\n\n",
  ),
  "[": fill("["),
  "[a](": fill("[a]("),
  "*a ": fill("*a "),
  "**a": fill("**a"),
  "_a ": fill("_a "),
  "~~a": fill("~~a"),
  "- (nested lists)": fill("- "),
  "> (nested quotes)": fill("> "),
  "> - (quote + list)": fill("> - "),
  "1. (nested ordered)": fill("1. "),
  "indented lists": fill(Array.from({ length: 200 }, (_, i) => `${" ".repeat(i * 2)}- a\n`).join("")),
  "<!--": fill("<!--"),
  "a <!--": fill("a <!--"),
  "<!-- -->\\n": fill("<!-- -->\n"),
  "<a> then <a": "<a>\n" + fill("<a").slice(4),
  "x <a": fill("x <a "),
  "`": fill("`"),
  "`a": fill("`a"),
  "``a`": fill("``a`"),
  "\\": fill("\\"),
  "&#": fill("&#"),
  "<http:": fill("<http:"),
  "- a\\n (16k items)": fill("- a\n"),
  "- [x] a\\n": fill("- [x] a\n"),
  "a\\n=\\n (setext)": fill("a\n=\n"),
  "## a\\n": fill("## a\n"),
  "#\\n####\\n": fill("#\n######\n"),
  "```\\n": fill("```\n"),
  "    a\\n": fill("    a\n"),
  "a|b\\n": "a|b\n-|-\n" + fill("a|b\n").slice(8),
  "a: b\\n": fill("a: b\n"),
  "a\\n\\n under 6 headings": "# a\n## a\n### a\n#### a\n##### a\n###### a\n" + fill("a\n\n").slice(39),
  "- # a\\n": fill("- # a\n"),
  "> a\\n>\\n": fill("> a\n>\n"),
  "- a\\n\\n (loose)": fill("- a\n\n"),
  "<div>\\n\\n": fill("<div>\n\n"),
  "- <!-- a -->\\n": fill("- <!-- a -->\n"),
  "`a`\\n": fill("`a` "),
  ":": fill(":"),
  "one line": fill("a"),
  "\\n": fill("\n"),
};

const results = [];
for (const [name, body] of Object.entries(bodies)) {
  if (body.length !== SIZE) throw new Error(`${name}: ${body.length} characters`);
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    const start = performance.now();
    readRequestForChange(body);
    best = Math.min(best, performance.now() - start);
  }
  results.push([name, best]);
}
results.sort((a, b) => b[1] - a[1]);
for (const [name, ms] of results) console.log(`${ms.toFixed(1).padStart(7)} ms  ${name}`);
