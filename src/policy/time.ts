/** ISO 8601 in UTC to the second (`2026-12-02T14:03:33Z`): what people read and what markers store. */
export function isoUtc(date: Date): string {
  // toISOString is always UTC.
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
