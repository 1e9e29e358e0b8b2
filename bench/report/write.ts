/**
 * Writes a run's files: `<out>/bench-<timestamp>.json`, `.md` and one `.svg`
 * per chart beside them, then copies the JSON and markdown to `latest.json`
 * and `latest.md` (their chart links name the timestamped SVGs, which stay).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BenchJson } from '../result';
import { benchCharts } from './charts';
import { renderMarkdown, type ChartFile } from './markdown';

export interface WrittenFiles {
  readonly json: string;
  readonly markdown: string;
  readonly charts: readonly string[];
}

/** `2026-11-30T08:09:10.123Z` → `2026-11-30T08-09-10-123Z`: safe in a file name everywhere. */
export const fileStamp = (iso: string): string => iso.replace(/[:.]/g, '-');

export function writeResult(out: string, result: BenchJson): WrittenFiles {
  fs.mkdirSync(out, { recursive: true });
  const base = `bench-${fileStamp(result.started_at)}`;
  const charts: ChartFile[] = [];
  for (const chart of benchCharts(result)) {
    const file = `${base}-${chart.name}.svg`;
    fs.writeFileSync(path.join(out, file), chart.svg);
    charts.push({ name: chart.name, title: chart.title, file });
  }
  const json = path.join(out, `${base}.json`);
  const markdown = path.join(out, `${base}.md`);
  fs.writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(markdown, renderMarkdown(result, charts, path.basename(json)));
  fs.copyFileSync(json, path.join(out, 'latest.json'));
  fs.copyFileSync(markdown, path.join(out, 'latest.md'));
  return { json, markdown, charts: charts.map((c) => path.join(out, c.file)) };
}
