import type { Db } from '../lib/db';
import type { WellRow } from '../wells/queries';
import type { ContactPatch, ContactRole, NewContact } from './schema';

/** A contacts row as pg returns it: bigint ids arrive as strings. */
export interface ContactRow extends NewContact {
  id: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, name, organization, emails, phones, notes, created_at, updated_at';

const qualified = (alias: string, columns: string) =>
  columns
    .split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');

/** Writable columns in a fixed order; PATCH writes only those present. */
const WRITABLE = ['name', 'organization', 'emails', 'phones', 'notes'] as const satisfies readonly (keyof NewContact)[];

export const findContact = (db: Db, id: string) =>
  db.maybeOne<ContactRow>({
    name: 'contacts.find',
    text: `SELECT ${COLUMNS} FROM contacts WHERE id = $1`,
    values: [id],
  });

/** One page in id order, with one extra row to learn whether another follows. */
export const listContacts = (db: Db, limit: number, afterId: string | null) =>
  db.many<ContactRow>({
    name: 'contacts.list',
    text: `SELECT ${COLUMNS} FROM contacts WHERE $1::bigint IS NULL OR id > $1 ORDER BY id LIMIT $2`,
    values: [afterId, limit + 1],
  });

export const insertContact = (db: Db, contact: NewContact) =>
  db.one<ContactRow>({
    name: 'contacts.insert',
    text: `INSERT INTO contacts (${WRITABLE.join(', ')})
           VALUES (${WRITABLE.map((_, i) => `$${i + 1}`).join(', ')})
           RETURNING ${COLUMNS}`,
    values: WRITABLE.map((k) => contact[k]),
  });

/** Applies the fields present in `patch`; null when the contact does not exist. */
export function updateContact(db: Db, id: string, patch: ContactPatch) {
  const present = WRITABLE.filter((k) => patch[k] !== undefined);
  return db.maybeOne<ContactRow>({
    text: `UPDATE contacts SET ${present.map((k, i) => `${k} = $${i + 2}`).join(', ')}, updated_at = now()
           WHERE id = $1 RETURNING ${COLUMNS}`,
    values: [id, ...present.map((k) => patch[k])],
  });
}

/** Links go with the contact (ON DELETE CASCADE); returns the number of contacts deleted. */
export const deleteContact = (db: Db, id: string) =>
  db.exec({ name: 'contacts.delete', text: 'DELETE FROM contacts WHERE id = $1', values: [id] });

/**
 * True when the well exists, and keeps it from being deleted until the
 * transaction ends (the same lock the foreign key check would take).
 */
export const lockWellForLink = (db: Db, wellId: string) =>
  db
    .maybeOne<{ id: string }>({
      name: 'contacts.lock-well',
      text: 'SELECT id FROM wells WHERE id = $1 FOR KEY SHARE',
      values: [wellId],
    })
    .then((row) => row !== null);

/** The contact, locked against deletion until the transaction ends; null when it does not exist. */
export const lockContactForLink = (db: Db, contactId: string) =>
  db.maybeOne<ContactRow>({
    name: 'contacts.lock-contact',
    text: `SELECT ${COLUMNS} FROM contacts WHERE id = $1 FOR KEY SHARE`,
    values: [contactId],
  });

export interface LinkRow {
  well_id: string;
  contact_id: string;
  role: ContactRole;
  created_at: Date;
}

/**
 * Creates the link or sets its role. `created` relies on xmax being 0 only for
 * a freshly inserted row version, the usual way to tell the two upsert paths apart.
 */
export const upsertLink = (db: Db, wellId: string, contactId: string, role: ContactRole) =>
  db.one<LinkRow & { created: boolean }>({
    name: 'contacts.upsert-link',
    text: `INSERT INTO well_contacts (well_id, contact_id, role) VALUES ($1, $2, $3)
           ON CONFLICT (well_id, contact_id) DO UPDATE SET role = EXCLUDED.role
           RETURNING well_id, contact_id, role, created_at, (xmax = 0) AS created`,
    values: [wellId, contactId, role],
  });

export const deleteLink = (db: Db, wellId: string, contactId: string) =>
  db.exec({
    name: 'contacts.delete-link',
    text: 'DELETE FROM well_contacts WHERE well_id = $1 AND contact_id = $2',
    values: [wellId, contactId],
  });

/** A contact as linked to a well: the contact's columns plus the link's role and time. */
export interface LinkedContactRow extends ContactRow {
  well_id: string;
  role: ContactRole;
  linked_at: Date;
}

export const contactsOfWell = (db: Db, wellId: string) =>
  db.many<LinkedContactRow>({
    name: 'contacts.of-well',
    text: `SELECT ${qualified('c', COLUMNS)}, l.well_id, l.role, l.created_at AS linked_at
           FROM well_contacts l JOIN contacts c ON c.id = l.contact_id
           WHERE l.well_id = $1 ORDER BY l.contact_id`,
    values: [wellId],
  });

const WELL_COLUMNS = `w.id, w.site_code, w.name, w.status, w.type, w.county, w.latitude, w.longitude, w.elevation_ft,
  w.well_depth_ft, to_char(w.construction_date, 'YYYY-MM-DD') AS construction_date, w.created_at, w.updated_at`;

/** A well as linked to a contact: the well's columns plus the link's role and time. */
export interface LinkedWellRow extends WellRow {
  contact_id: string;
  role: ContactRole;
  linked_at: Date;
}

export const wellsOfContact = (db: Db, contactId: string) =>
  db.many<LinkedWellRow>({
    name: 'contacts.wells-of',
    text: `SELECT ${WELL_COLUMNS}, l.contact_id, l.role, l.created_at AS linked_at
           FROM well_contacts l JOIN wells w ON w.id = l.well_id
           WHERE l.contact_id = $1 ORDER BY l.well_id`,
    values: [contactId],
  });
