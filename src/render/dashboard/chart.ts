// Merges per week by class as an inline SVG drawn on the server: stacked bars, a legend and text labels,
// with a title and description for screen readers and the same numbers as a table below it. Colours
// are presentation attributes (the Content-Security-Policy forbids style attributes).
import { CLASS_NAMES, type ClassCounts, type WeekBucket } from "../../dashboard/view-models.js";
import { html, type SafeHtml } from "./html.js";

const SERIES: { key: keyof ClassCounts; label: string; colour: string }[] = [
  { key: "standard", label: "Standard", colour: "#0969da" },
  { key: "normal", label: "Normal", colour: "#bf8700" },
  { key: "emergency", label: "Emergency", colour: "#cf222e" },
  { key: "other", label: "Unclassified", colour: "#8c959f" },
];

const WIDTH = 760;
const HEIGHT = 280;
const MARGIN = { top: 40, right: 16, bottom: 46, left: 44 };

export function weekTotal(week: WeekBucket): number {
  return SERIES.reduce((sum, s) => sum + week.byClass[s.key], 0);
}

/** A round axis maximum and its tick step for the largest bar. */
function scale(max: number): { top: number; step: number } {
  if (max <= 5) return { top: Math.max(1, max), step: 1 };
  const rough = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)!;
  return { top: Math.ceil(max / step) * step, step };
}

export function describeWeeks(weeks: WeekBucket[]): string {
  const totals = weeks.map(weekTotal);
  const all = totals.reduce((a, b) => a + b, 0);
  if (weeks.length === 0) return "No weeks in this period.";
  const byClass = SERIES.filter((s) => s.key !== "other" || weeks.some((w) => w.byClass.other > 0)).map(
    (s) => `${weeks.reduce((sum, w) => sum + w.byClass[s.key], 0)} ${s.label.toLowerCase()}`,
  );
  const busiest = totals.indexOf(Math.max(...totals));
  return (
    `${all} merge${all === 1 ? "" : "s"} over ${weeks.length} week${weeks.length === 1 ? "" : "s"}: ${byClass.join(", ")}.` +
    (all > 0 ? ` Busiest week: ${weeks[busiest]!.weekStart} with ${totals[busiest]}.` : "")
  );
}

export function mergesPerWeekChart(weeks: WeekBucket[]): SafeHtml {
  const series = SERIES.filter((s) => s.key !== "other" || weeks.some((w) => w.byClass.other > 0));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const totals = weeks.map(weekTotal);
  const { top, step } = scale(Math.max(0, ...totals));
  const y = (value: number) => MARGIN.top + plotHeight - (value / top) * plotHeight;
  const slot = plotWidth / Math.max(1, weeks.length);
  const barWidth = Math.max(2, Math.min(48, slot * 0.7));
  // Label every week when they fit, else every second, fourth… (a year has 53 weeks).
  const labelEvery = Math.max(1, Math.ceil(62 / slot));

  const ticks: SafeHtml[] = [];
  for (let v = 0; v <= top; v += step) {
    ticks.push(html`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(v)}" y2="${y(v)}" stroke="#d1d9e0" stroke-width="1"/>
<text x="${MARGIN.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11" fill="#59636e">${v}</text>`);
  }

  const bars = weeks.map((week, i) => {
    const x = MARGIN.left + i * slot + (slot - barWidth) / 2;
    let base = 0;
    const segments = series.map((s) => {
      const count = week.byClass[s.key];
      if (count === 0) return html``;
      const y0 = y(base + count);
      const h = y(base) - y0;
      base += count;
      return html`<rect x="${x.toFixed(1)}" y="${y0.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" fill="${s.colour}"><title>${s.label}: ${count}</title></rect>`;
    });
    const total = totals[i]!;
    const label = i % labelEvery === 0 ? html`<text x="${(x + barWidth / 2).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" font-size="11" fill="#59636e">${week.weekStart.slice(5)}</text>` : html``;
    const value = total > 0 ? html`<text x="${(x + barWidth / 2).toFixed(1)}" y="${(y(total) - 4).toFixed(1)}" text-anchor="middle" font-size="11" fill="#1f2328" class="bar-total">${total}</text>` : html``;
    const summary = series.map((s) => `${week.byClass[s.key]} ${s.label.toLowerCase()}`).join(", ");
    return html`<g class="week" data-week="${week.weekStart}"><title>Week of ${week.weekStart}: ${summary}</title>${segments}${value}${label}</g>`;
  });

  let legendX = MARGIN.left;
  const legend = series.map((s) => {
    const item = html`<rect x="${legendX}" y="12" width="12" height="12" fill="${s.colour}"/><text x="${legendX + 17}" y="22" font-size="12" fill="#1f2328">${s.label}</text>`;
    legendX += 30 + s.label.length * 7.5;
    return item;
  });

  return html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-labelledby="chart-title chart-desc" class="merges-chart">
<title id="chart-title">Merges per week by class</title>
<desc id="chart-desc">${describeWeeks(weeks)}</desc>
<g class="legend">${legend}</g>
${ticks}
<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(0)}" y2="${y(0)}" stroke="#59636e" stroke-width="1"/>
${bars}
<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 8}" text-anchor="middle" font-size="12" fill="#59636e">Week starting (month-day, UTC)</text>
<text x="12" y="${MARGIN.top + plotHeight / 2}" text-anchor="middle" font-size="12" fill="#59636e" transform="rotate(-90 12 ${MARGIN.top + plotHeight / 2})">Merges</text>
</svg>`;
}

/** The chart's numbers as a table (for people who would rather read, and for copying). */
export function weeksTable(weeks: WeekBucket[]): SafeHtml {
  const showOther = weeks.some((w) => w.byClass.other > 0);
  const keys = [...CLASS_NAMES, ...(showOther ? (["other"] as const) : [])];
  return html`<table class="weeks"><thead><tr><th>Week starting</th>${keys.map((k) => html`<th class="num">${SERIES.find((s) => s.key === k)!.label}</th>`)}<th class="num">Total</th></tr></thead>
<tbody>${weeks.map((w) => html`<tr><td>${w.weekStart}</td>${keys.map((k) => html`<td class="num">${w.byClass[k]}</td>`)}<td class="num">${weekTotal(w)}</td></tr>`)}</tbody></table>`;
}
