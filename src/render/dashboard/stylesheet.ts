// The dashboard's one stylesheet, served from /dashboard/assets/dashboard.css (the Content-Security-Policy
// allows styles from 'self' only: no inline style, no style attribute anywhere in the pages).
export const STYLESHEET = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --accent: #0969da;
  --red: #cf222e; --red-bg: #ffebe9; --green: #1a7f37; --amber: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: var(--ink); background: #fff; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1.5rem; padding: 0.75rem 1.5rem; background: var(--ink); color: #fff; }
header.top a { color: #fff; text-decoration: none; }
header.top .brand { font-weight: 600; font-size: 1.05rem; }
header.top nav { display: flex; gap: 1rem; flex-wrap: wrap; }
header.top nav a[aria-current="page"] { text-decoration: underline; text-underline-offset: 4px; }
header.top .who { margin-left: auto; display: flex; align-items: center; gap: 0.75rem; font-size: 0.9rem; }
header.top form { margin: 0; }
header.top button { background: transparent; color: #fff; border: 1px solid #8c959f; border-radius: 6px; padding: 0.15rem 0.6rem; font: inherit; cursor: pointer; }
main { max-width: 72rem; margin: 0 auto; padding: 1.25rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin: 0.25rem 0 0.75rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.6rem; padding-bottom: 0.3rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 1.25rem 0 0.4rem; }
a { color: var(--accent); }
p.lead { color: var(--muted); margin-top: 0; }
form.filters { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: end; padding: 0.75rem; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; }
form.filters label { display: flex; flex-direction: column; font-size: 0.85rem; color: var(--muted); }
form.filters input, form.filters select { font: inherit; padding: 0.25rem 0.4rem; border: 1px solid var(--line); border-radius: 6px; min-width: 9rem; }
form.filters button, a.button { font: inherit; padding: 0.3rem 0.9rem; border-radius: 6px; border: 1px solid #1f883d; background: #1f883d; color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: 0.75rem; margin: 1rem 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 0.75rem 1rem; }
.card .value { font-size: 1.7rem; font-weight: 600; display: block; }
.card .label { color: var(--muted); font-size: 0.85rem; }
.card.alert { border-color: var(--red); background: var(--red-bg); }
.card.alert .value { color: var(--red); }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; font-size: 0.92rem; }
th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.overdue td { color: var(--red); background: var(--red-bg); font-weight: 600; }
tr.overdue td a { color: var(--red); }
.badge { display: inline-block; padding: 0 0.45rem; border-radius: 1rem; font-size: 0.8rem; border: 1px solid var(--line); white-space: nowrap; }
.badge.success { color: var(--green); border-color: var(--green); }
.badge.failure, .badge.overdue, .badge.bad { color: var(--red); border-color: var(--red); }
.badge.open { color: var(--amber); border-color: var(--amber); }
.ok { color: var(--green); }
.bad { color: var(--red); }
.muted { color: var(--muted); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.85em; }
pre { white-space: pre-wrap; word-break: break-word; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem 0.8rem; font-size: 0.85rem; max-height: 24rem; overflow: auto; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0.5rem 0 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.notice { border: 1px solid var(--line); border-left: 4px solid var(--accent); padding: 0.6rem 0.9rem; border-radius: 6px; background: var(--bg); }
.notice.bad { border-left-color: var(--red); background: var(--red-bg); color: var(--ink); }
ul.diffs li { margin: 0.3rem 0; }
figure.chart { margin: 0.5rem 0 1rem; }
figure.chart svg { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
figure.chart figcaption { color: var(--muted); font-size: 0.85rem; }
nav.pager { display: flex; gap: 1rem; align-items: center; margin: 0.5rem 0 1rem; color: var(--muted); }
.downloads { display: flex; gap: 0.6rem; flex-wrap: wrap; margin: 0.5rem 0 1rem; }
.center { max-width: 34rem; margin: 4rem auto; text-align: center; }
.center ul { display: inline-block; text-align: left; }
.center .button { font-size: 1.05rem; padding: 0.5rem 1.2rem; }
details summary { cursor: pointer; color: var(--accent); }
`;
