// HTML for the dashboard, escaped by construction: every value interpolated into `html`…`` is escaped
// unless it is itself the output of `html` (or `trusted`), so a pull request title `<script>` is text.
// PR titles, bodies, labels and logins are attacker-controlled; nothing else builds markup.

/** Markup that is already safe (escaped or written by us). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** The one escape function: text → HTML text or attribute value (attributes are always double-quoted). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (value === null || value === undefined || value === false) return "";
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Only for markup written in this code base (never for data). */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** A link target from data: only http(s) URLs are kept (a `javascript:` URL from a body never becomes a link). */
export function safeExternalUrl(url: unknown): string | null {
  if (typeof url !== "string" || url.length > 2000) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.toString() : null;
  } catch {
    return null;
  }
}

/** A path with query parameters, each component encoded. */
export function href(path: string, query: Record<string, string | number | undefined | null> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}
