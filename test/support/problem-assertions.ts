import type { Response } from 'supertest';

/** The RFC 9457 shape every error response must have, whatever produced it. */
export function expectProblem(res: Response, status: number, code?: string): void {
  expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  expect(res.body).toEqual(
    expect.objectContaining({
      type: expect.stringMatching(/^urn:aquifer:problem:[a-z-]+$/),
      title: expect.any(String),
      status,
      detail: expect.any(String),
      instance: expect.any(String),
      request_id: expect.any(String),
    }),
  );
  expect(res.body.request_id).toBe(res.headers['x-request-id']);
  if (code !== undefined) expect(res.body.type).toBe(`urn:aquifer:problem:${code}`);
}

/** The paths named in a problem's `errors` list, sorted. */
export const errorPaths = (res: Response): string[] =>
  ((res.body.errors ?? []) as { path: string }[]).map((e) => e.path).sort();
