// Spreadsheets run a cell as a formula when it starts with = + - @ (Excel in CJK locales also with
// their full-width forms), and some strip a leading TAB, CR or LF first, so "\t=cmd|…" is one too.
// OWASP's advice: prefix such a text cell with ' so it stays text. Numbers are left as numbers: a
// net of −3 must stay −3, not become the text '-3.
const FORMULA_START = /^[=+\-@\t\r\n\uff1d\uff0b\uff0d\uff20]/;

/** One CSV field of a console export: quoted when needed, a text that could run as a formula defused. */
export function csvCell(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = String(value ?? '');
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
