/**
 * `npm run loadtest -- --url URL --api-key KEY […]`: ramps autocannon through
 * concurrency steps against a running server with a realistic mix of requests,
 * samples the pools from the metrics, checks the capacity planner's prediction
 * against the measured peak, and writes `<out>/loadtest-<timestamp>.json` and
 * `.html`. Exit 0 when the run completed (whatever the verdict), 1 when it
 * could not run, 2 for bad arguments.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { renderHtmlReport } from '../server/loadtest/html-report';
import { DEFAULT_MIX, MixError, catalogFromWells, createMix, parseMix, type CatalogWell } from '../server/loadtest/mix';
import type { Mix, MixKind, MixWeights, WellCatalog } from '../server/loadtest/mix';
import { checkPrediction } from '../server/loadtest/prediction';
import { HOLD_TIME_NOTE, LIMITS_NOTE, RESULT_JSON_VERSION, type LoadTestJson } from '../server/loadtest/result';
import { readScrape, type ScrapeReading } from '../server/loadtest/scrape';
import { summarizeStep, type PoolSample, type ResponseRecord, type StepJson } from '../server/loadtest/summary';
import { checkTarget, isLoopbackHost, pathPrefix, TargetError } from '../server/loadtest/target';
import { stepLine, textReport } from '../server/loadtest/text-report';
import { runScript, UsageError } from './script-database';

const DEFAULT_STEPS = [8, 16, 32, 64];
const MAX_CONCURRENCY = 10_000;
const MAX_STEP_SECONDS = 3_600;
/** The sampling period for the pool gauges. */
const SAMPLE_EVERY_MS = 250;
/** A scrape or catalog read slower than this is counted as failed rather than stalling the run. */
const FETCH_TIMEOUT_MS = 5_000;
/** The most the API lists in one page: the catalog of ids the mix draws from. */
const CATALOG_LIMIT = 500;

const USAGE = `usage: npm run loadtest -- --url URL --api-key KEY [options]
  --url URL              the server's API, e.g. http://127.0.0.1:3000 (loopback only unless --allow-remote)
  --api-key KEY          a write key, sent on writes only; an admin key when there is no --metrics-url
  --metrics-url URL      the host-wide scrape on METRICS_PORT, e.g. http://127.0.0.1:9464/metrics
                         (default: GET <url>/metrics with the API key, which must then be an admin key)
  --steps N,N,…          concurrency of each step (default ${DEFAULT_STEPS.join(',')})
  --step-seconds S       seconds each step lasts (default 10)
  --mix KIND=W,…         weights of lookup, list, search, summary, write (default ${formatMix(DEFAULT_MIX)})
  --seed N               seed of the request mix (default 1)
  --out DIR              where the JSON and HTML go (default .loadtest)
  --allow-remote         allow a target that is not on this machine
  --json                 print the result as one line of JSON
`;

function formatMix(mix: MixWeights): string {
  return Object.entries(mix)
    .map(([k, w]) => `${k}=${w}`)
    .join(',');
}

interface LoadTestArgs {
  readonly url: URL;
  readonly metricsUrl: URL | null;
  readonly apiKey: string;
  readonly steps: readonly number[];
  readonly stepSeconds: number;
  readonly mix: MixWeights;
  readonly seed: number;
  readonly out: string;
  readonly json: boolean;
}

function wholeNumber(option: string, raw: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (value >= min && value <= max) return value;
  throw new UsageError(`--${option} takes whole numbers from ${min} to ${max}, got "${raw}"`);
}

const OPTIONS = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  'metrics-url': { type: 'string' },
  steps: { type: 'string' },
  'step-seconds': { type: 'string' },
  mix: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  'allow-remote': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

/** node:util's parser, its errors turned into usage errors (exit 2 with the usage). */
function readFlags(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

function parseLoadTestArgs(args: string[]): LoadTestArgs {
  const values = readFlags(args);
  if (values.url === undefined) throw new UsageError('--url is required');
  if (values['api-key'] === undefined || values['api-key'] === '') throw new UsageError('--api-key is required');
  const allowRemote = values['allow-remote'] === true;
  try {
    return {
      url: checkTarget('url', values.url, allowRemote),
      metricsUrl:
        values['metrics-url'] === undefined ? null : checkTarget('metrics-url', values['metrics-url'], allowRemote),
      apiKey: values['api-key'],
      steps:
        values.steps === undefined
          ? DEFAULT_STEPS
          : values.steps.split(',').map((s) => wholeNumber('steps', s, 1, MAX_CONCURRENCY)),
      stepSeconds:
        values['step-seconds'] === undefined
          ? 10
          : wholeNumber('step-seconds', values['step-seconds'], 1, MAX_STEP_SECONDS),
      mix: values.mix === undefined ? DEFAULT_MIX : parseMix(values.mix),
      seed: values.seed === undefined ? 1 : wholeNumber('seed', values.seed, 0, 2 ** 32 - 1),
      out: values.out ?? '.loadtest',
      json: values.json === true,
    };
  } catch (err) {
    if (err instanceof TargetError || err instanceof MixError) throw new UsageError(err.message);
    throw err;
  }
}

async function getText(url: URL, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  const body = await res.text();
  if (res.status === 401 || res.status === 403) {
    throw new Error(
      `GET ${url.pathname} answered ${res.status}: ${url.pathname.endsWith('/metrics') ? 'the API key must be an admin key, or pass --metrics-url' : 'check the API key'}`,
    );
  }
  if (res.status !== 200) throw new Error(`GET ${url.pathname} answered ${res.status}: ${body.slice(0, 200)}`);
  return body;
}

async function readCatalog(base: URL): Promise<WellCatalog> {
  const url = new URL(`${pathPrefix(base)}/api/v1/wells?limit=${CATALOG_LIMIT}`, base);
  const page = JSON.parse(await getText(url)) as { items?: CatalogWell[] };
  const catalog = catalogFromWells(page.items ?? []);
  if (catalog.ids.length === 0) throw new Error('the server lists no wells: load some first (npm run seed)');
  return catalog;
}

/** Whole-machine CPU: busy share between two snapshots of os.cpus() times. */
type CpuTimes = { busy: number; total: number };
function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Samples the pool gauges every SAMPLE_EVERY_MS until stopped, one scrape at a time. */
function startSampler(scrape: () => Promise<ScrapeReading>) {
  const samples: PoolSample[] = [];
  let errors = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const startedAt = Date.now();
      try {
        const r = await scrape();
        if (!stopped) samples.push({ waiting: r.waiting, inUse: r.inUse, poolMax: r.poolMax });
      } catch {
        errors++;
      }
      await sleep(Math.max(0, SAMPLE_EVERY_MS - (Date.now() - startedAt)));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return { samples, errors };
  };
}

interface StepRun {
  readonly responses: ResponseRecord[];
  readonly errors: number;
  readonly timeouts: number;
}

/** One autocannon run: every request drawn from the mix; the kind of each answered request is remembered. */
function runAutocannon(base: URL, mix: Mix, connections: number, seconds: number): Promise<StepRun> {
  const prefix = pathPrefix(base);
  const responses: ResponseRecord[] = [];
  // autocannon calls a request's onResponse, then emits 'response', synchronously and for one client at a
  // time; with one request in flight per connection the context seen there is the answered request's.
  let answeredKind: MixKind = 'lookup';
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: base.origin,
        connections,
        duration: seconds,
        requests: [
          {
            setupRequest: (req, context) => {
              const next = mix.next();
              (context as { kind?: MixKind }).kind = next.kind;
              return {
                ...req,
                method: next.method,
                path: prefix + next.path,
                headers: { ...next.headers },
                body: next.body ?? '',
              };
            },
            onResponse: (_status, _body, context) => {
              answeredKind = (context as { kind?: MixKind }).kind ?? 'lookup';
            },
          },
        ],
      },
      (err, result) => {
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve({ responses, errors: result.errors, timeouts: result.timeouts });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      responses.push({ kind: answeredKind, status: statusCode, latencyMs: responseTime });
    });
  });
}

async function main(): Promise<number> {
  const args = parseLoadTestArgs(process.argv.slice(2));
  const startedAt = new Date();
  const runLabel = `aquifer loadtest ${startedAt.toISOString()}`;
  const metricsUrl = args.metricsUrl ?? new URL(`${pathPrefix(args.url)}/metrics`, args.url);
  const metricsHeaders: Record<string, string> = args.metricsUrl ? {} : { authorization: `Bearer ${args.apiKey}` };
  const scrape = async () => readScrape(await getText(metricsUrl, metricsHeaders));
  // Fail before any load if either endpoint is wrong.
  await scrape();
  const catalog = await readCatalog(args.url);
  const mix = createMix({ weights: args.mix, catalog, seed: args.seed, apiKey: args.apiKey, now: Date.now, runLabel });
  const local = isLoopbackHost(args.url.hostname);
  const loadAverage = os.loadavg().map((v) => Math.round(v * 100) / 100);

  const steps: StepJson[] = [];
  for (const concurrency of args.steps) {
    if (!args.json) process.stderr.write(`step ${concurrency} connections, ${args.stepSeconds} s …\n`);
    const before = await scrape();
    const cpuBefore = cpuTimes();
    const ownBefore = process.cpuUsage();
    const began = performance.now();
    const stopSampler = startSampler(scrape);
    const run = await runAutocannon(args.url, mix, concurrency, args.stepSeconds);
    const seconds = (performance.now() - began) / 1000;
    const own = process.cpuUsage(ownBefore);
    const cpuAfter = cpuTimes();
    const sampled = await stopSampler();
    const after = await scrape();
    const step = summarizeStep({
      concurrency,
      seconds,
      ...run,
      poolSamples: sampled.samples,
      sampleErrors: sampled.errors,
      before,
      after,
      // This machine's CPU says something about the server only when the server is on it.
      hostCpuBusy: local ? (cpuAfter.busy - cpuBefore.busy) / Math.max(1, cpuAfter.total - cpuBefore.total) : null,
      loadGeneratorCores: (own.user + own.system) / 1e6 / seconds,
    });
    steps.push(step);
    if (!args.json) process.stderr.write(`  ${stepLine(step)}\n`);
  }

  const result: LoadTestJson = {
    version: RESULT_JSON_VERSION,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    run_label: runLabel,
    target: { url: args.url.href, metrics: args.metricsUrl ? metricsUrl.href : `${metricsUrl.href} (API key)` },
    settings: { steps: args.steps, step_seconds: args.stepSeconds, mix: args.mix, seed: args.seed },
    machine: { cpus: os.cpus().length, node: process.versions.node, load_average_before: loadAverage },
    catalog: { wells: catalog.ids.length, counties: catalog.counties.length, search_terms: catalog.searchTerms.length },
    steps,
    prediction: checkPrediction(steps),
    notes: { hold_time: HOLD_TIME_NOTE, limits: LIMITS_NOTE },
  };
  const stamp = result.started_at.replace(/[:.]/g, '-');
  fs.mkdirSync(args.out, { recursive: true });
  const jsonPath = path.join(args.out, `loadtest-${stamp}.json`);
  const htmlPath = path.join(args.out, `loadtest-${stamp}.html`);
  fs.writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(htmlPath, renderHtmlReport(result));
  process.stdout.write(
    args.json
      ? `${JSON.stringify({ ...result, files: { json: jsonPath, html: htmlPath } })}\n`
      : textReport(result, jsonPath, htmlPath),
  );
  return 0;
}

runScript(main, USAGE);
