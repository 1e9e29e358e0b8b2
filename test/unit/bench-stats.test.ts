import type { LoadResult } from '../../bench/load';
import { maxOf, median, pairedRatio, pointLookupRatios, ratio, summarizeContender, toRunJson } from '../../bench/stats';
import { contender } from '../support/bench-result';

describe('median', () => {
  it.each([
    [[], null],
    [[5], 5],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[1, null, 3, undefined, NaN, Infinity], 2],
    [[null, NaN], null],
  ])('of %j is %p', (values, expected) => {
    expect(median(values as (number | null | undefined)[])).toBe(expected);
  });
});

describe('ratio and maxOf', () => {
  it.each([
    [800, 1000, 0.8],
    [1, 0, null],
    [1, -2, null],
    [null, 5, null],
    [5, undefined, null],
    [NaN, 5, null],
    [0, 5, 0],
  ])('%p ÷ %p is %p', (a, b, expected) => {
    expect(ratio(a, b)).toBe(expected);
  });

  it('maxOf skips missing values', () => {
    expect(maxOf([1, null, 7, undefined, 3])).toBe(7);
    expect(maxOf([null])).toBeNull();
  });
});

describe('pairedRatio', () => {
  it('pairs rounds, takes the median of the per-round ratios and the ratio of the medians', () => {
    expect(pairedRatio([800, 900, 1000], [1000, 1000, 1000])).toEqual({
      median_of_rounds: 0.9,
      of_medians: 0.9,
      by_round: [0.8, 0.9, 1],
    });
  });

  it('pairs rounds in time, which the ratio of medians does not', () => {
    // The machine slowed in rounds 2 and 3; per round, a stayed at 0.9 of b except once.
    const r = pairedRatio([900, 450, 300], [1000, 500, 600]);
    expect(r.by_round).toEqual([0.9, 0.9, 0.5]);
    expect(r.median_of_rounds).toBe(0.9);
    expect(r.of_medians).toBe(0.75);
  });

  it('gives null for rounds missing on either side, and keeps four digits', () => {
    expect(pairedRatio([1, 2, NaN], [3, 0])).toEqual({
      median_of_rounds: 0.3333,
      of_medians: 1,
      by_round: [0.3333, null, null],
    });
    expect(pairedRatio([], [])).toEqual({ median_of_rounds: null, of_medians: null, by_round: [] });
  });
});

describe('toRunJson and summarizeContender', () => {
  const load = (rps: number, p99: number): LoadResult => ({
    durationS: 10.004,
    requests: rps * 10,
    requestsPerS: rps + 0.123,
    p50Ms: 12.3456,
    p99Ms: p99,
    byStatus: { '200': rps * 10 },
    ok: { count: rps * 10, p50Ms: 12, p99Ms: p99 },
    errors: 0,
    timeouts: 0,
  });

  it('rounds figures to two decimals and turns an empty run into nulls', () => {
    expect(toRunJson(load(100, 50.555), 1)).toEqual({
      round: 1,
      seconds: 10,
      requests: 1000,
      requests_per_s: 100.12,
      p50_ms: 12.35,
      p99_ms: 50.56,
      statuses: { '200': 1000 },
      errors: 0,
      timeouts: 0,
    });
    expect(toRunJson({ ...load(0, NaN), p50Ms: NaN }, 2)).toMatchObject({ requests: 0, p50_ms: null, p99_ms: null });
  });

  it('keeps the runs and takes medians over them', () => {
    const runs = [load(100, 30), load(300, 10), load(200, 20)].map((r, i) => toRunJson(r, i + 1));
    const c = summarizeContender({ name: 'x', label: 'X', workers: 2, pool_per_worker: 8 }, runs);
    expect(c.requests).toBe(6000);
    expect(c.median).toEqual({ requests_per_s: 200.12, p50_ms: 12.35, p99_ms: 20 });
    expect(c.runs).toBe(runs);
  });
});

describe('pointLookupRatios', () => {
  const app = contender('aquifer', 'aquifer', 2, 900, 1000, 800);
  const raw = contender('raw', 'raw', 2, 1800, 2000, 1600);
  const fastify = contender('fastify', 'Fastify', 2, 1200, 1250, 1000);
  const express = contender('express', 'Express', 2, 1000, 1250, 1100);
  const all = { app: 'aquifer', raw: 'raw', fastify: 'fastify', express: 'express' };

  it('pairs the app with each baseline, and bare Express with Fastify, the same way as every ratio', () => {
    const r = pointLookupRatios([app, raw, fastify, express], all);
    expect(r.app_vs_raw).toEqual(pairedRatio([900, 1000, 800], [1800, 2000, 1600]));
    expect(r.app_vs_fastify).toEqual(pairedRatio([900, 1000, 800], [1200, 1250, 1000]));
    expect(r.app_vs_express).toEqual({
      median_of_rounds: 0.8,
      of_medians: 0.8182,
      by_round: [0.9, 0.8, 0.7273],
    });
    // Express over Fastify, not the other way round.
    expect(r.express_vs_fastify).toEqual({ median_of_rounds: 1, of_medians: 0.9167, by_round: [0.8333, 1, 1.1] });
  });

  it('is null for a ratio whose contender did not run or has no name', () => {
    const r = pointLookupRatios([app, fastify], { ...all, express: 'express' });
    expect(r.app_vs_express).toBeNull();
    expect(r.express_vs_fastify).toBeNull();
    expect(r.app_vs_raw).toBeNull();
    expect(r.app_vs_fastify).not.toBeNull();
    expect(pointLookupRatios([app, raw, fastify, express], { app: 'aquifer' })).toEqual({
      app_vs_fastify: null,
      app_vs_raw: null,
      app_vs_express: null,
      express_vs_fastify: null,
    });
  });
});
