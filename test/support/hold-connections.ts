import { performance } from 'node:perf_hooks';
import { requestOnce, type RequestRecord, type RequestSpec } from './request-once';

export interface HoldOptions {
  readonly port: number;
  /** A key with the write scope. */
  readonly key: string;
  /** A well whose row the caller holds locked (SELECT … FOR UPDATE in an open transaction). */
  readonly wellId: string;
  /** Connections that must end up blocked on the lock, by application_name: each worker's pool size. */
  readonly shares: Readonly<Record<string, number>>;
  /** Backends now waiting on a lock, by application_name. */
  readonly blocked: () => Promise<Record<string, number>>;
  readonly requestTimeoutMs: number;
  /** Gives up (full: false) after this long. */
  readonly withinMs: number;
}

export interface HeldConnections {
  /** Whether every application_name reached its share. */
  readonly full: boolean;
  /** The last count of blocked backends. */
  readonly blocked: Record<string, number>;
  /** How long filling took. */
  readonly ms: number;
  /** Every PATCH sent: those past a full pool end at once (503), the held ones once the lock goes. */
  readonly requests: Promise<RequestRecord[]>;
}

/**
 * Holds every pooled connection with slow work: PATCHes of a locked well block
 * in their UPDATE, each holding its connection. Sent in small waves until each
 * worker has its whole pool blocked, since the cluster's round robin decides
 * which worker takes each one.
 */
export async function holdEveryConnection(opts: HoldOptions): Promise<HeldConnections> {
  const startedAt = performance.now();
  const sent: Promise<RequestRecord>[] = [];
  let blocked: Record<string, number> = {};
  const shortfall = () =>
    Object.entries(opts.shares).reduce((sum, [app, share]) => sum + Math.max(0, share - (blocked[app] ?? 0)), 0);
  for (;;) {
    blocked = await opts.blocked();
    const missing = shortfall();
    if (missing === 0 || performance.now() - startedAt > opts.withinMs) {
      return { full: missing === 0, blocked, ms: performance.now() - startedAt, requests: Promise.all(sent) };
    }
    for (let i = 0; i < missing; i++) {
      const spec: RequestSpec = {
        kind: 'patch',
        method: 'PATCH',
        path: `/api/v1/wells/${opts.wellId}`,
        body: { name: `held ${sent.length}` },
        key: opts.key,
      };
      sent.push(requestOnce(opts.port, spec, opts.requestTimeoutMs));
    }
    // Long enough for a PATCH to authenticate and reach its UPDATE on a busy machine.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
