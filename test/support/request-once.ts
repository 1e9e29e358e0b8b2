import http from 'node:http';
import { performance } from 'node:perf_hooks';

/** What a request was: the load's three kinds, or a label the caller gives (e.g. 'patch'). */
export type RequestKind = 'get' | 'list' | 'write' | (string & {});

/** One request, as the client saw it. Times are performance.now() milliseconds. */
export interface RequestRecord {
  readonly kind: RequestKind;
  readonly startedAt: number;
  endedAt: number;
  /** Set when a complete response arrived; otherwise `error` is. */
  status?: number;
  /** Transport error code (ECONNRESET, ECONNREFUSED, …) or 'timeout' past the request's own limit. */
  error?: string;
  /** The response's X-Request-Id, to find the worker's access line. */
  requestId?: string;
  /** For statuses ≥ 400: whether the body is problem+json whose request_id matches X-Request-Id. */
  problem?: { readonly ok: boolean; readonly type?: string; readonly retryAfter?: string };
  /** For a 201 write: the well it created. */
  created?: { readonly id: string; readonly siteCode: string };
}

export interface RequestSpec {
  readonly kind: RequestKind;
  readonly method: 'GET' | 'POST' | 'PATCH';
  readonly path: string;
  readonly body?: unknown;
  /** Sent as a bearer token. */
  readonly key?: string;
}

/**
 * Sends one request on loopback and records how it ended; never rejects. Past
 * `timeoutMs` the request is destroyed and recorded as error 'timeout'.
 */
export function requestOnce(port: number, spec: RequestSpec, timeoutMs: number): Promise<RequestRecord> {
  const record: RequestRecord = { kind: spec.kind, startedAt: performance.now(), endedAt: 0 };
  const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
  const headers: Record<string, string> = {
    ...(body !== undefined && { 'Content-Type': 'application/json' }),
    ...(spec.key !== undefined && { Authorization: `Bearer ${spec.key}` }),
  };
  return new Promise((resolve) => {
    const finish = (fields: Partial<RequestRecord>) => {
      if (record.endedAt > 0) return;
      Object.assign(record, fields);
      record.endedAt = performance.now();
      resolve(record);
    };
    // No keep-alive (agent: false): each request has its own connection, so a reset or refusal
    // belongs to exactly one request, and the cluster's round robin spreads requests over workers.
    const req = http.request(
      { host: '127.0.0.1', port, path: spec.path, method: spec.method, headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? 'response-error' }));
        res.on('end', () => finish(responseFields(res, text, spec.kind)));
      },
    );
    const timer = setTimeout(() => {
      finish({ error: 'timeout' });
      req.destroy();
    }, timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message }));
    req.end(body);
  });
}

/** What a complete response tells: status, request id, the well a write created, the problem it reports. */
function responseFields(res: http.IncomingMessage, text: string, kind: RequestKind): Partial<RequestRecord> {
  const status = res.statusCode ?? 0;
  const header = res.headers['x-request-id'];
  const requestId = typeof header === 'string' ? header : undefined;
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  const base = { status, ...(requestId !== undefined && { requestId }) };
  if (status === 201 && kind === 'write' && parsed) {
    return { ...base, created: { id: String(parsed.id), siteCode: String(parsed.site_code) } };
  }
  if (status < 400) return base;
  const ok =
    /^application\/problem\+json\b/.test(res.headers['content-type'] ?? '') &&
    parsed?.status === status &&
    typeof parsed.request_id === 'string' &&
    parsed.request_id === requestId;
  const retryAfter = res.headers['retry-after'];
  return {
    ...base,
    problem: {
      ok,
      ...(typeof parsed?.type === 'string' && { type: parsed.type }),
      ...(retryAfter !== undefined && { retryAfter }),
    },
  };
}
