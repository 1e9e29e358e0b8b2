import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../server/lib/logger';

export type LogLine = Record<string, unknown> & { reqId?: string; level?: number; req?: { url?: string } };

/** The real logger factory, writing parsed lines to memory instead of stdout. */
export function captureLogs(role = 'w0'): { logger: Logger; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: createLogger('info', role, sink), logs };
}

/**
 * The access-log lines for one request id. The line is written on the response's
 * 'finish', which can trail the client seeing the response, so poll briefly.
 */
export async function logLinesFor(logs: readonly LogLine[], requestId: string, timeoutMs = 1_000): Promise<LogLine[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = logs.filter((l) => l.reqId === requestId);
    if (lines.length > 0 || Date.now() >= deadline) return lines;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
