import cluster, { type Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import { rollingRestart } from '../../server/cluster/rolling-restart';
import { Supervisor } from '../../server/cluster/supervisor';
import { addWorker, removeWorker } from '../../server/cluster/worker-count';
import type { Logger } from '../../server/lib/logger';

/** A worker process stand-in: boots in 20 ms, obeys resize and shutdown unless told otherwise. */
interface FakeProcess {
  readonly index: number;
  pool: number;
  alive: boolean;
}

let processes: FakeProcess[];
let refusesShrink: (p: FakeProcess) => boolean;
let failsAtBoot: (p: FakeProcess, nth: number) => boolean;

function fakeFork(env: Record<string, string | undefined>): Worker {
  const w = new EventEmitter() as EventEmitter & Record<string, unknown>;
  const me: FakeProcess = { index: Number(env.IDX), pool: Number(env.POOL), alive: true };
  processes.push(me);
  const nth = processes.filter((p) => p.index === me.index).length;
  const exit = (code: number | null, signal: string | null) => {
    if (!me.alive) return;
    me.alive = false;
    w.emit('exit', code, signal);
  };
  w.process = { pid: 1000 + processes.length, kill: (signal: string) => setTimeout(() => exit(null, signal), 2) };
  w.isConnected = () => me.alive;
  w.isDead = () => !me.alive;
  w.send = (msg: { type: string; id?: number; max?: number }) =>
    setTimeout(() => {
      if (!me.alive) return;
      if (msg.type === 'shutdown') exit(0, null);
      if (msg.type === 'resize' && msg.max !== undefined) {
        if (msg.max < me.pool && refusesShrink(me)) return; // holds a long request: never confirms
        me.pool = msg.max;
        w.emit('message', { type: 'resized', id: msg.id, ok: true });
      }
    }, 2);
  setTimeout(() => (failsAtBoot(me, nth) ? exit(1, null) : me.alive && w.emit('message', 'ready')), 20);
  return w as unknown as Worker;
}

const silent = { info() {}, warn() {}, error() {}, fatal() {} } as unknown as Logger;
const live = () => processes.filter((p) => p.alive);
const held = () => live().reduce((sum, p) => sum + p.pool, 0);

function startSupervisor(): Supervisor {
  const supervisor = new Supervisor({
    shares: [3, 3],
    perHost: 6,
    resizeTimeoutMs: 200,
    deadWorkerGraceMs: 10,
    envFor: (index, poolSize) => ({ IDX: String(index), POOL: String(poolSize) }),
    crashPolicy: { maxCrashes: 5, windowMs: 60_000, backoffBaseMs: 50, backoffMaxMs: 1_000 },
    stopTimeoutMs: 500,
    logger: silent,
    onAllReady: () => undefined,
    onGiveUp: () => undefined,
  });
  supervisor.start();
  return supervisor;
}

/** Runs `fn` while sampling the connections held every millisecond; returns the peak. */
async function peakDuring(fn: () => Promise<unknown>): Promise<number> {
  let peak = held();
  const timer = setInterval(() => (peak = Math.max(peak, held())), 1);
  try {
    await fn().catch(() => undefined);
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, held());
}

const restart = (supervisor: Supervisor) =>
  supervisor.serialize(() => rollingRestart(supervisor, { readyTimeoutMs: 1_000, logger: silent }));

beforeEach(() => {
  processes = [];
  refusesShrink = () => false;
  failsAtBoot = () => false;
  jest.spyOn(cluster, 'fork').mockImplementation(fakeFork as typeof cluster.fork);
});
afterEach(() => jest.restoreAllMocks());

const settle = (ms = 60) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Supervisor with stand-in workers', () => {
  it('restarts every worker within the budget and ends at the full split', async () => {
    const supervisor = startSupervisor();
    await settle();
    const peak = await peakDuring(() => restart(supervisor));
    expect(peak).toBeLessThanOrEqual(6);
    expect(live().map((p) => [p.index, p.pool])).toEqual([
      [0, 3],
      [1, 3],
    ]);
    expect(processes).toHaveLength(4);
  });

  it('keeps an unconfirmed shrink at its old size, so a retried restart cannot go over', async () => {
    const supervisor = startSupervisor();
    await settle();
    refusesShrink = (p) => p.index === 0; // w0 holds a long request throughout
    await expect(restart(supervisor)).rejects.toThrow(/did not shrink/);
    expect(Object.fromEntries(supervisor.currentShares())).toEqual({ 0: 3, 1: 3 });
    const peak = await peakDuring(() => restart(supervisor));
    expect(peak).toBeLessThanOrEqual(6);
  });

  it('adds and removes workers within the budget, and gives shares back when one will not shrink', async () => {
    const supervisor = startSupervisor();
    await settle();
    expect(await peakDuring(() => supervisor.serialize(() => addWorker(supervisor, silent)))).toBeLessThanOrEqual(6);
    await settle();
    expect(live().map((p) => p.pool)).toEqual([2, 2, 2]);
    expect(await peakDuring(() => supervisor.serialize(() => removeWorker(supervisor, silent)))).toBeLessThanOrEqual(6);
    expect(Object.fromEntries(supervisor.currentShares())).toEqual({ 0: 3, 1: 3 });

    refusesShrink = (p) => p.index === 1;
    await expect(supervisor.serialize(() => addWorker(supervisor, silent))).rejects.toThrow(/no worker added/);
    expect(Object.fromEntries(supervisor.currentShares())).toEqual({ 0: 3, 1: 3 });
    expect(live().map((p) => p.pool)).toEqual([3, 3]);
  });

  it('gives the shares back when a replacement fails to start, with no worker left over', async () => {
    const supervisor = startSupervisor();
    await settle();
    failsAtBoot = (p, nth) => p.index === 1 && nth === 2; // w1's replacement dies at boot
    const peak = await peakDuring(() => restart(supervisor));
    await settle(100);
    expect(peak).toBeLessThanOrEqual(6);
    expect(Object.fromEntries(supervisor.currentShares())).toEqual({ 0: 3, 1: 3 });
    expect(
      live()
        .map((p) => [p.index, p.pool])
        .sort(),
    ).toEqual([
      [0, 3],
      [1, 3],
    ]);
  });
});
