// CSV export of whatever a list currently shows, built in the page from the
// API's own pages so it matches the filter and column choice exactly.

export interface CsvColumn<T> {
  label: string;
  value: (row: T) => string | number | null | undefined;
}

/** RFC 4180: quote fields with commas, quotes or line breaks; CRLF rows. */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  // A leading = + - @ makes spreadsheets run the cell as a formula.
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv<T>(rows: T[], columns: CsvColumn<T>[]): string {
  const lines = [columns.map((c) => csvField(c.label)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(c.value(row))).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** Follows next_cursor until the end (or `max` rows) and returns every item. */
export async function fetchAllPages<T>(
  page: (cursor: string) => Promise<{ items: T[]; next_cursor: string }>,
  max = 100_000,
): Promise<T[]> {
  const out: T[] = [];
  let cursor = '';
  do {
    const p = await page(cursor);
    out.push(...p.items);
    cursor = p.next_cursor;
  } while (cursor && out.length < max);
  return out.slice(0, max);
}
