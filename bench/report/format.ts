/** Number and table formatting shared by the markdown report and the terminal summary (pure). */
import type { VerdictJson } from '../result';

/** A figure for people: up to `digits` decimals, thousands separated by a comma, "–" when missing. */
export function fmt(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** "0.71×", or "–". */
export const fmtRatio = (v: number | null | undefined): string =>
  v === null || v === undefined ? '–' : `${fmt(v, 3)}×`;

/** A verdict's measured figure with its unit: "0.713×", "16 connections", "–". */
export const fmtMeasured = (v: Pick<VerdictJson, 'measured' | 'unit'>): string =>
  v.measured === null ? '–' : v.unit === 'ratio' ? `${fmt(v.measured, 3)}×` : `${fmt(v.measured, 3)} ${v.unit}`;

export const verdictWord = (pass: boolean | null): string => (pass === null ? 'not measured' : pass ? 'PASS' : 'MISS');

/** "200: 1234, 503: 56", statuses in numeric order. */
export const statusList = (statuses: Readonly<Record<string, number>>): string =>
  Object.entries(statuses)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([s, n]) => `${s}: ${fmt(n, 0)}`)
    .join(', ') || 'none';

/** A markdown table; cells have their pipes escaped so a detail text cannot break the row. */
export function markdownTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A plain-text table with padded columns; columns listed in `right` are right-aligned (numbers). */
export function textTable(rows: readonly (readonly string[])[], right: ReadonlySet<number> = new Set()): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (right.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
