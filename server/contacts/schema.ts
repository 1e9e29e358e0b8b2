import Joi from 'joi';
import { pageCursor, pageLimit } from '../lib/common-schemas';
import { bigintId, idParams } from '../lib/ids';
import type { NormalizationSpec } from '../lib/normalize';
import { termSchema, type Term } from '../lexicon/vocabularies';
import { wellDto } from '../wells/schema';

export type ContactRole = Term<'contact_role'>;

export const MAX_EMAILS = 10;
export const MAX_PHONES = 10;

/** Trims and lower-cases the domain; the local part keeps its case (RFC 5321 leaves it to the receiving host). */
export function normalizeEmail(value: string): string {
  const trimmed = value.trim();
  const at = trimmed.lastIndexOf('@');
  return at < 0 ? trimmed : trimmed.slice(0, at) + trimmed.slice(at).toLowerCase();
}

const PHONE_CHARS = /^\+?[0-9 ().-]+$/;

/** "+1 (620) 555-0100" → "+16205550100"; undefined unless it holds 7–15 digits (E.164 lengths). */
export function normalizePhone(value: string): string | undefined {
  const trimmed = value.trim();
  if (!PHONE_CHARS.test(trimmed)) return undefined;
  const digits = trimmed.replace(/\D/g, '');
  return digits.length >= 7 && digits.length <= 15 ? `+${digits}` : undefined;
}

/** First occurrence wins, so the client's order is kept. */
export const withoutDuplicates = (values: readonly string[]): string[] => [...new Set(values)];

const email = Joi.string()
  .max(254)
  .custom((value: string, helpers) => {
    const normalized = normalizeEmail(value);
    return Joi.string()
      .email({ tlds: { allow: false } })
      .validate(normalized).error
      ? helpers.error('any.invalid')
      : normalized;
  })
  .messages({ 'any.invalid': '{{#label}} must be a valid email address' });

const phone = Joi.string()
  .max(40)
  .custom((value: string, helpers) => normalizePhone(value) ?? helpers.error('any.invalid'))
  .messages({
    'any.invalid':
      '{{#label}} must be a phone number of 7–15 digits, optionally with a leading + and spaces, dashes, dots or parentheses',
  });

// Duplicates are dropped before the count is checked, so ten distinct values with a repeat still fit.
const emails = Joi.array()
  .items(email)
  .custom((value: string[]) => withoutDuplicates(value))
  .max(MAX_EMAILS)
  .description(`Email addresses (at most ${MAX_EMAILS}); the domain is lower-cased and duplicates dropped`);

const phones = Joi.array()
  .items(phone)
  .custom((value: string[]) => withoutDuplicates(value))
  .max(MAX_PHONES)
  .description(`Phone numbers (at most ${MAX_PHONES}), stored as + and 7–15 digits; duplicates dropped`);

export interface NewContact {
  name: string;
  organization: string | null;
  emails: string[];
  phones: string[];
  notes: string | null;
}

export type ContactPatch = Partial<NewContact>;

/** Every writable field once; creation and PATCH differ only in which are required and defaulted. */
const fields = {
  name: Joi.string().min(1).max(200),
  organization: Joi.string().min(1).max(200).allow(null),
  emails,
  phones,
  notes: Joi.string().max(2000).allow(null),
};

export const newContactBody = Joi.object<NewContact>({
  name: fields.name.required(),
  organization: fields.organization.default(null),
  emails: fields.emails.default([]),
  phones: fields.phones.default([]),
  notes: fields.notes.default(null),
})
  .required()
  .label('body')
  .example({
    name: 'Ana Ruiz',
    organization: 'Southwest Kansas Groundwater Management District No. 3',
    emails: ['ana.ruiz@gmd3.example.org'],
    phones: ['+1 620 555 0100'],
    notes: 'Measures the Finney County network each January',
  } satisfies NewContact);

export const contactPatchBody = Joi.object<ContactPatch>(fields)
  .min(1)
  .required()
  .label('body')
  .messages({ 'object.min': 'the body must change at least one field' })
  .example({ organization: 'Kansas Geological Survey', phones: ['+1 (785) 555-0143'] } satisfies ContactPatch);

export const contactNormalization: NormalizationSpec = { name: 'text', organization: 'text', notes: 'text' };

export const contactIdParams = idParams<{ id: string }>({ id: 'Contact id' });

export const wellContactParams = idParams<{ id: string; contactId: string }>({
  id: 'Well id',
  contactId: 'Contact id',
});

export const listContactsQuery = Joi.object<{ limit: number; cursor?: string }>({
  limit: pageLimit,
  cursor: pageCursor,
});

/** What a keyset cursor over contacts carries. */
export const contactsCursor = Joi.object<{ after_id: string }>({ after_id: bigintId.required() });

export const linkBody = Joi.object<{ role: ContactRole }>({ role: termSchema('contact_role').required() })
  .required()
  .label('body')
  .example({ role: 'observer' } satisfies { role: ContactRole });

export const linkNormalization: NormalizationSpec = { role: 'term' };

const timestamps = {
  created_at: Joi.string().isoDate().required(),
  updated_at: Joi.string().isoDate().required(),
};

export const contactDto = Joi.object({
  id: Joi.number().integer().required(),
  ...Object.fromEntries(Object.entries(fields).map(([k, s]) => [k, s.required()])),
  ...timestamps,
}).label('Contact');

export const contactPage = Joi.object({
  items: Joi.array().items(contactDto).required(),
  next_cursor: Joi.string().allow(null).required(),
}).label('ContactPage');

export const wellContactLinkDto = Joi.object({
  well_id: Joi.number().integer().required(),
  contact_id: Joi.number().integer().required(),
  role: termSchema('contact_role').required(),
  created_at: Joi.string().isoDate().required(),
  contact: contactDto.required(),
}).label('WellContactLink');

export const wellContactList = Joi.object({
  items: Joi.array().items(wellContactLinkDto).required(),
}).label('WellContactList');

export const contactWellLinkDto = Joi.object({
  well_id: Joi.number().integer().required(),
  contact_id: Joi.number().integer().required(),
  role: termSchema('contact_role').required(),
  created_at: Joi.string().isoDate().required(),
  well: wellDto.required(),
}).label('ContactWellLink');

export const contactWellList = Joi.object({
  items: Joi.array().items(contactWellLinkDto).required(),
}).label('ContactWellList');
