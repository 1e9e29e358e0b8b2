import {
  contactPatchBody,
  linkBody,
  newContactBody,
  normalizeEmail,
  normalizePhone,
  withoutDuplicates,
} from '../../server/contacts/schema';
import { UnknownTerm, ValidationFailed } from '../../server/lib/errors';
import { validate } from '../../server/lib/validate';

const failure = (fn: () => unknown): ValidationFailed | UnknownTerm => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationFailed || err instanceof UnknownTerm) return err;
    throw err;
  }
  throw new Error('expected a validation failure');
};

const paths = (err: ValidationFailed | UnknownTerm) => (err.errors ?? []).map((e) => e.path).sort();

describe('normalizeEmail', () => {
  it.each([
    [' Ann.Lee@Example.COM ', 'Ann.Lee@example.com'],
    ['x@Y.org', 'x@y.org'],
    ['odd"@"local@HOST.io', 'odd"@"local@host.io'],
  ])('%p → %p', (input, expected) => {
    expect(normalizeEmail(input)).toBe(expected);
  });
});

describe('normalizePhone', () => {
  it.each([
    ['+1 (620) 555-0100', '+16205550100'],
    ['620.555.0100', '+6205550100'],
    [' 555 0100 ', '+5550100'],
    ['+44 20 7946 0958', '+442079460958'],
    ['123456789012345', '+123456789012345'],
  ])('%p → %p', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it.each(['123456', '1234567890123456', '+1 620 CALL NOW', '620+555+0100', '++16205550100', '', '  ', '555_0100'])(
    'rejects %p',
    (input) => {
      expect(normalizePhone(input)).toBeUndefined();
    },
  );
});

describe('withoutDuplicates', () => {
  it('keeps the first occurrence and the order', () => {
    expect(withoutDuplicates(['b', 'a', 'b', 'c', 'a'])).toEqual(['b', 'a', 'c']);
  });
});

describe('contact bodies', () => {
  it('normalizes emails and phones and drops duplicates that appear after normalizing', () => {
    const body = validate(
      newContactBody,
      {
        name: 'Ann',
        emails: [' Ann@Example.COM', 'ann@example.com', 'Ann@example.com'],
        phones: ['+1 (620) 555-0100', '1.620.555.0100', '555-0100'],
      },
      'body',
    );
    expect(body).toEqual({
      name: 'Ann',
      organization: null,
      emails: ['Ann@example.com', 'ann@example.com'],
      phones: ['+16205550100', '+5550100'],
      notes: null,
    });
  });

  it('names the bad element by its index', () => {
    const err = failure(() =>
      validate(newContactBody, { name: 'Ann', emails: ['a@b.co', 'not-an-email'], phones: ['12'] }, 'body'),
    );
    expect(err).toBeInstanceOf(ValidationFailed);
    expect(paths(err)).toEqual(['body.emails.1', 'body.phones.0']);
  });

  it('counts after dropping duplicates: eleven copies of one address is one address', () => {
    const body = validate(newContactBody, { name: 'Ann', emails: Array(11).fill('a@b.co') }, 'body');
    expect(body.emails).toEqual(['a@b.co']);
    const err = failure(() =>
      validate(newContactBody, { name: 'Ann', emails: Array.from({ length: 11 }, (_, i) => `a${i}@b.co`) }, 'body'),
    );
    expect(paths(err)).toEqual(['body.emails']);
  });

  it('rejects an empty PATCH and unknown or null-for-required fields', () => {
    expect(paths(failure(() => validate(contactPatchBody, {}, 'body')))).toEqual(['body']);
    expect(paths(failure(() => validate(contactPatchBody, { name: null, phone: '1' }, 'body')))).toEqual([
      'body.name',
      'body.phone',
    ]);
  });

  it('treats an unknown role as an unknown term (422), a missing one as invalid (400)', () => {
    expect(failure(() => validate(linkBody, { role: 'landlord' }, 'body'))).toBeInstanceOf(UnknownTerm);
    expect(failure(() => validate(linkBody, {}, 'body'))).toBeInstanceOf(ValidationFailed);
  });
});
