import Joi from 'joi';

/**
 * The controlled vocabularies, as the API validates and documents them. The
 * lookup tables seeded by migrations/0002_domain.sql hold the same terms (a
 * test checks they agree): the database enforces them with foreign keys, this
 * copy lets a request fail with the allowed values before it reaches SQL and
 * puts them into the OpenAPI document as enums.
 */
export const VOCABULARIES = {
  well_status: { table: 'well_statuses', terms: ['active', 'inactive', 'plugged', 'destroyed', 'unknown'] },
  well_type: {
    table: 'well_types',
    terms: ['monitoring', 'domestic', 'irrigation', 'public-supply', 'industrial', 'stock', 'unknown'],
  },
  measurement_method: {
    table: 'measurement_methods',
    terms: ['steel-tape', 'electric-tape', 'pressure-transducer', 'acoustic', 'airline', 'other', 'unknown'],
  },
  data_quality: { table: 'data_qualities', terms: ['provisional', 'approved', 'estimated', 'suspect'] },
  contact_role: { table: 'contact_roles', terms: ['owner', 'operator', 'observer', 'driller', 'agency'] },
} as const;

export type VocabularyName = keyof typeof VOCABULARIES;
export type Term<V extends VocabularyName> = (typeof VOCABULARIES)[V]['terms'][number];

export const termsOf = <V extends VocabularyName>(name: V): readonly Term<V>[] => VOCABULARIES[name].terms;

export const isTerm = <V extends VocabularyName>(name: V, value: string): value is Term<V> =>
  (VOCABULARIES[name].terms as readonly string[]).includes(value);

/**
 * A schema for one term. Its `any.only` failure is what `validate` turns into a
 * 422 unknown-term problem; the message lists the allowed values.
 */
export const termSchema = <V extends VocabularyName>(name: V) => {
  const terms = termsOf(name);
  return Joi.string()
    .valid(...terms)
    .messages({ 'any.only': `{{#label}} must be one of: ${terms.join(', ')}` })
    .meta({ vocabulary: name });
};
