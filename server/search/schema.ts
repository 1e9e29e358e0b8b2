import Joi from 'joi';

export const SEARCH_KINDS = ['well', 'contact'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

export const SEARCH_FIELDS = ['site_code', 'name', 'county', 'organization'] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

export const searchQuery = Joi.object<{ q: string; limit: number }>({
  q: Joi.string()
    .trim()
    .min(2)
    .max(100)
    .required()
    .description('What to look for (2–100 characters after trimming); matched loosely, by trigrams'),
  limit: Joi.number().integer().min(1).max(50).default(20).description('How many matches (1–50)'),
});

export const searchHit = Joi.object({
  kind: Joi.string()
    .valid(...SEARCH_KINDS)
    .required(),
  id: Joi.number().integer().required(),
  label: Joi.string().required().description('What to show: a well’s name and site code, a contact’s name'),
  matched: Joi.string()
    .valid(...SEARCH_FIELDS)
    .required()
    .description('The field that matched best'),
  score: Joi.number().required().description('Higher is better; an exact or prefix site_code match scores above 1'),
}).label('SearchHit');

export const searchResult = Joi.object({
  q: Joi.string().required().description('The query as matched (trimmed)'),
  items: Joi.array().items(searchHit).required(),
}).label('SearchResult');
