import type { Database } from '../lib/db';
import { endpoint, type Endpoint } from '../lib/endpoint';
import { sendJson } from '../lib/respond';
import { searchAll } from './queries';
import { searchQuery, searchResult } from './schema';

export function searchEndpoints(db: Database): Endpoint[] {
  return [
    endpoint({
      operationId: 'search',
      method: 'get',
      path: '/search',
      tag: 'search',
      summary: 'Find wells and contacts by approximate text',
      description:
        'Matches wells by site_code, name and county and contacts by name and organization, with trigram similarity or as a substring. Ordered by score (highest first), then kind, then id; an exact or prefix site_code match ranks above everything else.',
      scope: 'read',
      query: searchQuery,
      normalize: { query: { q: 'text' } },
      responses: { 200: { description: 'The best matches', schema: searchResult } },
      async handle({ query }, _req, res) {
        const rows = await searchAll(db, query.q, query.limit);
        sendJson(res, {
          q: query.q,
          items: rows.map((r) => ({
            kind: r.kind,
            id: Number(r.id),
            label: r.label,
            matched: r.matched,
            score: r.score,
          })),
        });
      },
    }),
  ];
}
