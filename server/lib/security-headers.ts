import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

export type HeaderList = readonly (readonly [name: string, value: string])[];

/**
 * The headers helmet's defaults set, recorded once at start-up by running
 * helmet against a recording response. With its default options every value is
 * a constant, so setting the recorded list is what helmet would do on each
 * request, without its thirteen nested middleware calls per request.
 */
export function securityHeaders(options?: Parameters<typeof helmet>[0]): HeaderList {
  const recorded = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: unknown) {
      recorded.set(name, Array.isArray(value) ? value.join(', ') : String(value));
      return recorder;
    },
    removeHeader(name: string) {
      recorded.delete(name);
    },
    getHeader: (name: string) => recorded.get(name),
  };
  let failed: unknown;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    failed = err;
  });
  if (failed !== undefined) throw new Error(`helmet failed while recording its headers: ${String(failed)}`);
  return [...recorded];
}
