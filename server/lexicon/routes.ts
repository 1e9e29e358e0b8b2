import Joi from 'joi';
import type { Database } from '../lib/db';
import { endpoint, type Endpoint } from '../lib/endpoint';
import { sendJson } from '../lib/respond';
import { listAllTerms } from './queries';
import { VOCABULARIES } from './vocabularies';

const termDto = Joi.object({
  term: Joi.string().required(),
  label: Joi.string().required(),
  description: Joi.string().required(),
}).label('Term');

const lexiconDto = Joi.object(
  Object.fromEntries(Object.keys(VOCABULARIES).map((name) => [name, Joi.array().items(termDto).required()])),
).label('Lexicon');

/** The vocabularies as the database holds them, labels and descriptions included. */
export function lexiconEndpoints(db: Database): Endpoint[] {
  return [
    endpoint({
      operationId: 'getLexicon',
      method: 'get',
      path: '/lexicon',
      tag: 'lexicon',
      summary: 'The controlled vocabularies and their canonical terms',
      description:
        'Inputs are matched after canonicalisation ("Steel Tape" and "steel_tape" both mean steel-tape); any other value is a 422 listing the allowed terms.',
      scope: 'read',
      responses: { 200: { description: 'Every vocabulary, in display order', schema: lexiconDto } },
      async handle(_input, _req, res) {
        const lexicon: Record<string, { term: string; label: string; description: string }[]> = Object.fromEntries(
          Object.keys(VOCABULARIES).map((name) => [name, []]),
        );
        for (const { vocabulary, term, label, description } of await listAllTerms(db)) {
          lexicon[vocabulary]?.push({ term, label, description });
        }
        res.setHeader('Cache-Control', 'public, max-age=300');
        sendJson(res, lexicon);
      },
    }),
  ];
}
