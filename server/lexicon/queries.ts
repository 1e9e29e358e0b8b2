import type { Db } from '../lib/db';
import { VOCABULARIES, type VocabularyName } from './vocabularies';

export interface TermRow {
  vocabulary: VocabularyName;
  term: string;
  label: string;
  description: string;
}

// Table names come from the constant, never from a request.
const ALL_TERMS = (Object.keys(VOCABULARIES) as VocabularyName[])
  .map(
    (name) => `SELECT '${name}' AS vocabulary, term, label, description, sort_order FROM ${VOCABULARIES[name].table}`,
  )
  .join('\nUNION ALL\n');

export const listAllTerms = (db: Db) =>
  db.many<TermRow>({
    name: 'lexicon.all',
    text: `SELECT vocabulary, term, label, description FROM (${ALL_TERMS}) t ORDER BY vocabulary, sort_order, term`,
  });
