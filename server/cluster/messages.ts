/** Messages between the primary and its workers over the cluster IPC channel. */

export const READY_MESSAGE = 'ready';
export const SHUTDOWN_MESSAGE = { type: 'shutdown' } as const;
/** Primary → worker: set your pool to `max`. The worker answers with a RESIZED_MESSAGE of the same id. */
export const RESIZE_MESSAGE = 'resize';
export const RESIZED_MESSAGE = 'resized';

export interface ResizeRequest {
  readonly type: typeof RESIZE_MESSAGE;
  readonly id: number;
  readonly max: number;
}

export interface ResizeAnswer {
  readonly type: typeof RESIZED_MESSAGE;
  readonly id: number;
  readonly ok: boolean;
}

export const isMessage = <T extends { type: string }>(msg: unknown, type: T['type']): msg is T =>
  typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === type;

export const isResizeRequest = (msg: unknown): msg is ResizeRequest => isMessage<ResizeRequest>(msg, RESIZE_MESSAGE);

/** Spare → primary: its modules are loaded; it can become a worker at once. */
export const SPARE_LOADED_MESSAGE = 'spare-loaded';
/** Primary → spare: become a worker with this environment (the one a fresh fork would get). */
export const ASSIGN_MESSAGE = 'assign';

export interface AssignRequest {
  readonly type: typeof ASSIGN_MESSAGE;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Primary → worker: count the database sessions still open under worker `index`'s name (a dead worker's). */
export const COUNT_BACKENDS_MESSAGE = 'count-backends';
export const BACKENDS_COUNTED_MESSAGE = 'backends-counted';

export interface CountBackendsRequest {
  readonly type: typeof COUNT_BACKENDS_MESSAGE;
  readonly id: number;
  readonly index: number;
}

export interface BackendsCounted {
  readonly type: typeof BACKENDS_COUNTED_MESSAGE;
  readonly id: number;
  /** null: could not tell (no pool yet, draining, or the query failed). */
  readonly count: number | null;
}
