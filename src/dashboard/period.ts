// The period a page covers, from the `since` / `until` query values (whole UTC days, both included);
// by default the calendar quarter the clock is in.
import type { Period } from "./view-models.js";

/** Longer periods are refused: a page must stay cheap to build. */
export const MAX_PERIOD_DAYS = 3 * 366;

const DAY_MS = 86_400_000;

export class BadRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadRequest";
  }
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function parseDay(text: string, name: string): Date {
  const value = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00.000Z`) : new Date(NaN);
  if (Number.isNaN(value.getTime()) || day(value) !== text) throw new BadRequest(`"${text.slice(0, 40)}" is not a valid ${name} date; write it as YYYY-MM-DD, e.g. 2026-10-01`);
  return value;
}

export function quarterOf(now: Date): { since: Date; until: Date } {
  const year = now.getUTCFullYear();
  const q = Math.floor(now.getUTCMonth() / 3);
  const since = new Date(Date.UTC(year, q * 3, 1));
  const next = new Date(Date.UTC(year, q * 3 + 3, 1));
  return { since, until: new Date(next.getTime() - DAY_MS) };
}

export function periodFrom(params: URLSearchParams, now: Date): Period {
  const sinceText = params.get("since")?.trim() ?? "";
  const untilText = params.get("until")?.trim() ?? "";
  const quarter = quarterOf(now);
  const sinceDay = sinceText ? parseDay(sinceText, "start") : quarter.since;
  const untilDay = untilText ? parseDay(untilText, "end") : sinceText ? new Date(Math.max(sinceDay.getTime(), quarterOf(sinceDay).until.getTime())) : quarter.until;
  if (untilDay.getTime() < sinceDay.getTime()) throw new BadRequest(`the period ends (${day(untilDay)}) before it starts (${day(sinceDay)})`);
  if ((untilDay.getTime() - sinceDay.getTime()) / DAY_MS + 1 > MAX_PERIOD_DAYS) throw new BadRequest(`the period is longer than ${MAX_PERIOD_DAYS} days; choose a shorter one`);
  return periodOf(sinceDay, untilDay);
}

export function periodOf(sinceDay: Date, untilDay: Date): Period {
  const since = sinceDay.toISOString();
  // The day's last second, as `change-policy audit --until DAY` reads it (so both print the same report).
  const until = new Date(untilDay.getTime() + DAY_MS - 1000).toISOString();
  const q = quarterOf(sinceDay);
  const isQuarter = q.since.getTime() === sinceDay.getTime() && q.until.getTime() === untilDay.getTime();
  const label = isQuarter ? `${sinceDay.getUTCFullYear()} Q${Math.floor(sinceDay.getUTCMonth() / 3) + 1}` : `${day(sinceDay)} – ${day(untilDay)}`;
  return { since, until, sinceDay: day(sinceDay), untilDay: day(untilDay), label };
}

/** Monday 00:00 UTC of the week `date` is in. */
export function weekStart(date: Date): Date {
  const midnight = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  const weekday = (new Date(midnight).getUTCDay() + 6) % 7; // Monday = 0
  return new Date(midnight - weekday * DAY_MS);
}

/** Every week (by its Monday) that overlaps the period. */
export function weeksOf(period: Period): string[] {
  const weeks: string[] = [];
  const end = new Date(period.until).getTime();
  for (let t = weekStart(new Date(period.since)).getTime(); t <= end; t += 7 * DAY_MS) weeks.push(day(new Date(t)));
  return weeks;
}
