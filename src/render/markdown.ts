// Small pieces every Markdown text of the app shares.

/** Text inside a Markdown table cell or list item: one line, no table-breaking pipes, no HTML. */
export function tableCell(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
