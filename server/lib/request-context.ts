import { AsyncLocalStorage } from 'node:async_hooks';

/** What code deep in a request (the db module's slow-query log) may know about it. */
export interface RequestContext {
  readonly requestId: string;
  /** The matched route template (`GET /api/v1/wells/:id`), once routing has found it. */
  readonly route: string | undefined;
}

export interface TrackedRequest {
  requestId: string;
  route: string | undefined;
  finished: boolean;
}

const UNROUTED = '(not routed yet)';
const storage = new AsyncLocalStorage<TrackedRequest>();

/**
 * Requests in flight, by route: an event-loop stall is noticed only after the
 * code that caused it has returned, so a warning can only name what was running.
 */
const inFlight = new Map<string, number>();

/**
 * The routes of the last FINISHED_KEPT requests to finish, in a ring (O(1) per request): a handler
 * that blocked and then answered at once is already gone from `inFlight`.
 */
const FINISHED_KEPT = 512;
const finishedRoutes: string[] = new Array<string>(FINISHED_KEPT).fill('');
const finishedAt = new Float64Array(FINISHED_KEPT).fill(-Infinity);
let finishedNext = 0;

function remember(route: string): void {
  finishedRoutes[finishedNext] = route;
  finishedAt[finishedNext] = performance.now();
  finishedNext = (finishedNext + 1) % FINISHED_KEPT;
}

function count(request: TrackedRequest, by: 1 | -1): void {
  const key = request.route ?? UNROUTED;
  const n = (inFlight.get(key) ?? 0) + by;
  if (n > 0) inFlight.set(key, n);
  else inFlight.delete(key);
}

/** The request being served by the current async chain, if any. */
export const currentRequest = (): RequestContext | undefined => storage.getStore();

/** Requests in flight in this process, by route. */
export const routesInFlight = (): Record<string, number> => Object.fromEntries(inFlight);

/** Requests that finished within the last `withinMs`, by route (at most the last FINISHED_KEPT). */
export function routesFinishedWithin(withinMs: number): Record<string, number> {
  const since = performance.now() - withinMs;
  const counts: Record<string, number> = {};
  for (let back = 1; back <= FINISHED_KEPT; back++) {
    const i = (finishedNext - back + FINISHED_KEPT) % FINISHED_KEPT;
    if ((finishedAt[i] as number) < since) break;
    const route = finishedRoutes[i] as string;
    counts[route] = (counts[route] ?? 0) + 1;
  }
  return counts;
}

/** Names the route of the request being served; a no-op outside a request. */
export function setCurrentRoute(route: string): void {
  const request = storage.getStore();
  if (!request || request.finished) return;
  count(request, -1);
  request.route = route;
  count(request, 1);
}

/** Starts tracking a request: counted in flight until `settleRequest`. */
export function trackRequest(requestId: string): TrackedRequest {
  const request: TrackedRequest = { requestId, route: undefined, finished: false };
  count(request, 1);
  return request;
}

/** Runs `fn` (the rest of the request) with `request` as its context. */
export const runInRequest = (request: TrackedRequest, fn: () => void): void => storage.run(request, fn);

/** The request is over (answered or abandoned); returns its route template, if routing named one. Idempotent. */
export function settleRequest(request: TrackedRequest): string | undefined {
  if (!request.finished) {
    request.finished = true;
    count(request, -1);
    remember(request.route ?? UNROUTED);
  }
  return request.route;
}
