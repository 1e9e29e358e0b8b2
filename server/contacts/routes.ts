import type { Database } from '../lib/db';
import { decodeCursor, encodeCursor } from '../lib/cursor';
import { endpoint, type Endpoint } from '../lib/endpoint';
import { AppError, NotFound } from '../lib/errors';
import type { ConstraintHints } from '../lib/problem';
import { sendJson } from '../lib/respond';
import { wellExists } from '../wells/queries';
import { toWellDto } from '../wells/routes';
import { wellIdParams } from '../wells/schema';
import {
  contactsOfWell,
  deleteContact,
  deleteLink,
  findContact,
  insertContact,
  listContacts,
  lockContactForLink,
  lockWellForLink,
  updateContact,
  upsertLink,
  wellsOfContact,
  type ContactRow,
  type LinkedContactRow,
  type LinkedWellRow,
} from './queries';
import {
  contactDto,
  contactIdParams,
  contactNormalization,
  contactPage,
  contactPatchBody,
  contactsCursor,
  contactWellList,
  linkBody,
  linkNormalization,
  listContactsQuery,
  newContactBody,
  wellContactLinkDto,
  wellContactList,
  wellContactParams,
} from './schema';

/** Public wording for the link constraints; the handlers check first, so these are a backstop for races. */
export const contactConstraintHints: ConstraintHints = {
  well_contacts_well_id_fkey: { path: 'params.id', message: 'the well does not exist' },
  well_contacts_contact_id_fkey: { path: 'params.contactId', message: 'the contact does not exist' },
};

export const toContactDto = (row: ContactRow) => ({
  id: Number(row.id),
  name: row.name,
  organization: row.organization,
  emails: row.emails,
  phones: row.phones,
  notes: row.notes,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

const toWellContactDto = (row: LinkedContactRow) => ({
  well_id: Number(row.well_id),
  contact_id: Number(row.id),
  role: row.role,
  created_at: row.linked_at.toISOString(),
  contact: toContactDto(row),
});

const toContactWellDto = (row: LinkedWellRow) => ({
  well_id: Number(row.id),
  contact_id: Number(row.contact_id),
  role: row.role,
  created_at: row.linked_at.toISOString(),
  well: toWellDto(row),
});

class LinkNotFound extends AppError {
  constructor(wellId: string, contactId: string) {
    super({
      code: 'not-found',
      status: 404,
      title: 'Not found',
      detail: `well ${wellId} has no link to contact ${contactId}`,
    });
  }
}

function contactCrudEndpoints(db: Database): Endpoint[] {
  return [
    endpoint({
      operationId: 'listContacts',
      method: 'get',
      path: '/contacts',
      tag: 'contacts',
      summary: 'List contacts in id order, a page at a time',
      scope: 'read',
      query: listContactsQuery,
      responses: { 200: { description: 'A page of contacts', schema: contactPage } },
      async handle({ query }, _req, res) {
        const afterId = query.cursor === undefined ? null : decodeCursor(query.cursor, contactsCursor).after_id;
        const rows = await listContacts(db, query.limit, afterId);
        const page = rows.slice(0, query.limit);
        const last = page[page.length - 1];
        sendJson(res, {
          items: page.map(toContactDto),
          next_cursor: rows.length > query.limit && last ? encodeCursor({ after_id: last.id }) : null,
        });
      },
    }),
    endpoint({
      operationId: 'getContact',
      method: 'get',
      path: '/contacts/:id',
      tag: 'contacts',
      summary: 'One contact',
      scope: 'read',
      params: contactIdParams,
      responses: { 200: { description: 'The contact', schema: contactDto } },
      errors: [404],
      async handle({ params }, _req, res) {
        const contact = await findContact(db, params.id);
        if (!contact) throw new NotFound('contact', params.id);
        sendJson(res, toContactDto(contact));
      },
    }),
    endpoint({
      operationId: 'createContact',
      method: 'post',
      path: '/contacts',
      tag: 'contacts',
      summary: 'Create a contact',
      description:
        'Emails are trimmed with the domain lower-cased; phones are stored as + and digits; duplicates are dropped, keeping the order.',
      scope: 'write',
      body: newContactBody,
      normalize: { body: contactNormalization },
      responses: { 201: { description: 'Created; Location names the new contact', schema: contactDto } },
      errors: [413, 415],
      async handle({ body }, req, res) {
        const contact = await insertContact(db, body);
        res.location(`${req.baseUrl}/contacts/${contact.id}`);
        sendJson(res, toContactDto(contact), 201);
      },
    }),
    endpoint({
      operationId: 'updateContact',
      method: 'patch',
      path: '/contacts/:id',
      tag: 'contacts',
      summary: 'Change some fields of a contact',
      description: 'Only the fields sent change; null clears an optional field; unknown fields are rejected.',
      scope: 'write',
      params: contactIdParams,
      body: contactPatchBody,
      normalize: { body: contactNormalization },
      responses: { 200: { description: 'The updated contact', schema: contactDto } },
      errors: [404, 413, 415],
      async handle({ params, body }, _req, res) {
        const contact = await updateContact(db, params.id, body);
        if (!contact) throw new NotFound('contact', params.id);
        sendJson(res, toContactDto(contact));
      },
    }),
    endpoint({
      operationId: 'deleteContact',
      method: 'delete',
      path: '/contacts/:id',
      tag: 'contacts',
      summary: 'Delete a contact and its links to wells',
      scope: 'write',
      params: contactIdParams,
      responses: { 204: { description: 'Deleted' } },
      errors: [404],
      async handle({ params }, _req, res) {
        if ((await deleteContact(db, params.id)) === 0) throw new NotFound('contact', params.id);
        res.status(204).end();
      },
    }),
  ];
}

function linkEndpoints(db: Database): Endpoint[] {
  return [
    endpoint({
      operationId: 'listWellContacts',
      method: 'get',
      path: '/wells/:id/contacts',
      tag: 'contacts',
      summary: 'The contacts of a well, with their roles, in contact id order',
      scope: 'read',
      params: wellIdParams,
      responses: { 200: { description: 'The well’s contacts', schema: wellContactList } },
      errors: [404],
      async handle({ params }, _req, res) {
        const rows = await contactsOfWell(db, params.id);
        if (rows.length === 0 && !(await wellExists(db, params.id))) throw new NotFound('well', params.id);
        sendJson(res, { items: rows.map(toWellContactDto) });
      },
    }),
    endpoint({
      operationId: 'listContactWells',
      method: 'get',
      path: '/contacts/:id/wells',
      tag: 'contacts',
      summary: 'The wells of a contact, with its role at each, in well id order',
      scope: 'read',
      params: contactIdParams,
      responses: { 200: { description: 'The contact’s wells', schema: contactWellList } },
      errors: [404],
      async handle({ params }, _req, res) {
        const rows = await wellsOfContact(db, params.id);
        if (rows.length === 0 && !(await findContact(db, params.id))) throw new NotFound('contact', params.id);
        sendJson(res, { items: rows.map(toContactWellDto) });
      },
    }),
    endpoint({
      operationId: 'putWellContact',
      method: 'put',
      path: '/wells/:id/contacts/:contactId',
      tag: 'contacts',
      summary: 'Link a contact to a well with a role, or change the role',
      description: '201 when the link is new, 200 when it existed (its role is set to the one sent).',
      scope: 'write',
      params: wellContactParams,
      body: linkBody,
      normalize: { body: linkNormalization },
      responses: {
        200: { description: 'The link existed; its role is now the one sent', schema: wellContactLinkDto },
        201: { description: 'The link was created', schema: wellContactLinkDto },
      },
      errors: [404, 413, 415, 422],
      async handle({ params, body }, _req, res) {
        const { link, contact } = await db.withTransaction(async (tx) => {
          if (!(await lockWellForLink(tx, params.id))) throw new NotFound('well', params.id);
          const found = await lockContactForLink(tx, params.contactId);
          if (!found) throw new NotFound('contact', params.contactId);
          return { link: await upsertLink(tx, params.id, params.contactId, body.role), contact: found };
        });
        sendJson(
          res,
          {
            well_id: Number(link.well_id),
            contact_id: Number(link.contact_id),
            role: link.role,
            created_at: link.created_at.toISOString(),
            contact: toContactDto(contact),
          },
          link.created ? 201 : 200,
        );
      },
    }),
    endpoint({
      operationId: 'deleteWellContact',
      method: 'delete',
      path: '/wells/:id/contacts/:contactId',
      tag: 'contacts',
      summary: 'Unlink a contact from a well',
      scope: 'write',
      params: wellContactParams,
      responses: { 204: { description: 'Unlinked' } },
      errors: [404],
      async handle({ params }, _req, res) {
        if ((await deleteLink(db, params.id, params.contactId)) === 0) {
          throw new LinkNotFound(params.id, params.contactId);
        }
        res.status(204).end();
      },
    }),
  ];
}

export function contactEndpoints(db: Database): Endpoint[] {
  return [...contactCrudEndpoints(db), ...linkEndpoints(db)];
}
