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
