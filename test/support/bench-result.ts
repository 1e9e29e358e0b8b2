/** A complete bench result for the report's unit tests, built from the same pure functions the bench uses. */
import type { BenchJson, ContenderJson, RunJson } from '../../bench/result';
import { BENCH_JSON_VERSION } from '../../bench/result';
import { bucketTimeline, summarizeActivity } from '../../bench/overload-timeline';
import { pairedRatio, pointLookupRatios, requestsPerRound, summarizeContender } from '../../bench/stats';
import { judge } from '../../bench/verdicts';

/** Rounds answering `rps` req/s each, every request a 200. */
export function runs(...rps: number[]): RunJson[] {
  return rps.map((r, i) => ({
    round: i + 1,
    seconds: 10,
    requests: r * 10,
    requests_per_s: r,
    p50_ms: 20 + i,
    p99_ms: 80 + i,
    statuses: { '200': r * 10 },
    errors: 0,
    timeouts: 0,
  }));
}

export const contender = (name: string, label: string, workers: number, ...rps: number[]): ContenderJson =>
  summarizeContender({ name, label, workers, pool_per_worker: 8 }, runs(...rps));

export function benchResult(): BenchJson {
  const app = contender('aquifer', 'aquifer, 2 workers', 2, 1000, 1100, 900);
  const fastify = contender('fastify', 'Fastify + pg', 2, 1200, 1250, 1150);
  const raw = contender('raw', 'node:http + pg', 2, 1400, 1500, 1300);
  const express = contender('express', 'bare Express + pg', 2, 1100, 1200, 1050);
  const one = contender('aquifer-1w', 'aquifer, 1 worker', 1, 600, 650, 550);
  const samples = [0, 100, 1100, 2100, 2900].map((atMs, i) => ({ atMs, connections: 14 + (i % 3) }));
  const perSecond = [
    { ok: 900, busy: 0, other: 0 },
    { ok: 950, busy: 40, other: 0 },
    { ok: 940, busy: 60, other: 0 },
  ];
  const measured = {
    point_lookup: {
      path: '/api/v1/wells/:id (random seeded ids)',
      connections: 64,
      rounds: 3,
      round_seconds: 10,
      warmup_seconds: 4,
      contenders: [app, raw, fastify, express, one],
      ...pointLookupRatios([app, raw, fastify, express], {
        app: 'aquifer',
        raw: 'raw',
        fastify: 'fastify',
        express: 'express',
      }),
    },
    scaling: {
      workers: 2,
      ratio: pairedRatio(requestsPerRound(app), requestsPerRound(one)),
      many: app.label,
      one: one.label,
    },
    list_summary: {
      connections: 64,
      rounds: 3,
      round_seconds: 10,
      list: contender('list', 'GET /api/v1/wells?limit=100', 2, 300, 310, 290),
      summary: contender('summary', 'GET /api/v1/wells/:id/summary', 2, 500, 510, 490),
    },
    overload: {
      path: '/api/v1/wells/:id (random seeded ids)',
      connections: 320,
      seconds: 3,
      budget: 16,
      acquire_timeout_ms: 3000,
      requests: 2890,
      statuses: { '200': 2790, '503': 100 },
      missing_retry_after: 0,
      ok: { count: 2790, p50_ms: 250, p99_ms: 1200 },
      goodput_per_s: 930,
      peak_requests_per_s: 1000,
      goodput_fraction: 0.93,
      errors: 0,
      timeouts: 0,
      socket_errors: 0,
      activity: summarizeActivity(samples, 0, 100, 16),
      timeline: bucketTimeline(3, samples, perSecond),
    },
    event_loop: {
      point_lookup: { p99_ms: 12.5, by_contender: { aquifer: [10.1, 12.5, 11], 'aquifer-1w': [9, 8.5, 9.2] } },
      overload: { p99_ms: 18.2, by_worker: { w0: 18.2, w1: 15 } },
    },
    bulk: {
      rows: 1000,
      rounds: 1,
      wells: 10,
      csv_bytes: 52_000,
      app: {
        runs: [
          {
            round: 1,
            status: 201,
            rows_sent: 1000,
            rows_inserted: 1000,
            rows_stored: 1000,
            seconds: 0.5,
            rows_per_s: 2000,
            rss: { worker_pid: 42, baseline_mb: 100, peak_mb: 112.5, growth_mb: 12.5 },
            error: null,
          },
        ],
        median_rows_per_s: 2000,
        max_rss_growth_mb: 12.5,
      },
      raw: {
        runs: [
          {
            round: 1,
            rows_sent: 1000,
            rows_copied: 1000,
            rows_stored: 1000,
            seconds: 0.25,
            rows_per_s: 4000,
            error: null,
          },
        ],
        median_rows_per_s: 4000,
      },
      ratio: pairedRatio([2000], [4000]),
    },
  } satisfies Omit<
    BenchJson,
    'version' | 'started_at' | 'finished_at' | 'settings' | 'machine' | 'data' | 'verdicts' | 'notes'
  >;
  return {
    version: BENCH_JSON_VERSION,
    started_at: '2026-11-30T08:00:00.000Z',
    finished_at: '2026-11-30T08:10:00.000Z',
    settings: {
      rounds: 3,
      round_seconds: 10,
      connections: 64,
      budget: 16,
      workers: 2,
      pool_per_worker: 8,
      wells: 10_000,
      observations_per_well: 100,
      bulk_rows: 1000,
      bulk_rounds: 1,
      overload_seconds: 3,
      overload_connections: 320,
      acquire_timeout_ms: 3000,
      steps: ['point', 'scaling', 'list', 'overload', 'event-loop', 'bulk'],
      quick: false,
    },
    machine: {
      cpu_model: 'Test CPU <fast> & "cheap"',
      cores: 2,
      total_memory_mb: 24_000,
      platform: 'linux 6.1 x64',
      node: 'v20.19.0',
      postgres: '18.4',
      git_commit: 'abc123',
      git_dirty: true,
      load_average_before: [1.5, 1.2, 1],
    },
    data: { wells: 10_000, observations: 1_000_000, seed_seconds: 30.2 },
    ...measured,
    verdicts: judge(measured),
    notes: ['A note | with a pipe.'],
  };
}

/** The same run with every step skipped. */
export function emptyBenchResult(): BenchJson {
  const parts = { point_lookup: null, scaling: null, list_summary: null, overload: null, event_loop: null, bulk: null };
  return { ...benchResult(), ...parts, verdicts: judge(parts), notes: [] };
}
