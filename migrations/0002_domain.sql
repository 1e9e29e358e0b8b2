-- The domain: controlled vocabularies, richer wells, observations, contacts, API keys, search.

-- pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it without superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Controlled vocabularies. Terms are canonical (lower-case, hyphenated); the
-- application's copy in server/lexicon/vocabularies.ts must match these rows,
-- which a test checks. ON UPDATE CASCADE lets a later migration rename a term.
CREATE TABLE well_statuses (
  term        text PRIMARY KEY CHECK (term ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  label       text NOT NULL,
  description text NOT NULL,
  sort_order  integer NOT NULL
);
CREATE TABLE well_types (LIKE well_statuses INCLUDING ALL);
CREATE TABLE measurement_methods (LIKE well_statuses INCLUDING ALL);
CREATE TABLE data_qualities (LIKE well_statuses INCLUDING ALL);
CREATE TABLE contact_roles (LIKE well_statuses INCLUDING ALL);

INSERT INTO well_statuses (term, label, description, sort_order) VALUES
  ('active', 'Active', 'Measured on a regular schedule', 1),
  ('inactive', 'Inactive', 'Still standing but no longer measured', 2),
  ('plugged', 'Plugged', 'Sealed and abandoned according to regulations', 3),
  ('destroyed', 'Destroyed', 'No longer exists', 4),
  ('unknown', 'Unknown', 'Status not recorded', 5);

INSERT INTO well_types (term, label, description, sort_order) VALUES
  ('monitoring', 'Monitoring', 'Drilled to observe groundwater levels or quality', 1),
  ('domestic', 'Domestic', 'Household water supply', 2),
  ('irrigation', 'Irrigation', 'Agricultural irrigation supply', 3),
  ('public-supply', 'Public supply', 'Municipal or community water system', 4),
  ('industrial', 'Industrial', 'Industrial or commercial supply', 5),
  ('stock', 'Stock', 'Livestock watering', 6),
  ('unknown', 'Unknown', 'Use not recorded', 7);

INSERT INTO measurement_methods (term, label, description, sort_order) VALUES
  ('steel-tape', 'Steel tape', 'Graduated steel tape, chalked', 1),
  ('electric-tape', 'Electric tape', 'Electric sounder that signals on contact with water', 2),
  ('pressure-transducer', 'Pressure transducer', 'Submerged transducer logging automatically', 3),
  ('acoustic', 'Acoustic', 'Acoustic or sonic sounder', 4),
  ('airline', 'Airline', 'Air pressure in a line of known length', 5),
  ('other', 'Other', 'A method not listed here', 6),
  ('unknown', 'Unknown', 'Method not recorded', 7);

INSERT INTO data_qualities (term, label, description, sort_order) VALUES
  ('provisional', 'Provisional', 'Not yet reviewed; may change', 1),
  ('approved', 'Approved', 'Reviewed and approved', 2),
  ('estimated', 'Estimated', 'Estimated rather than measured directly', 3),
  ('suspect', 'Suspect', 'Reviewed and believed to be wrong', 4);

INSERT INTO contact_roles (term, label, description, sort_order) VALUES
  ('owner', 'Owner', 'Owns the well or the land it stands on', 1),
  ('operator', 'Operator', 'Operates or maintains the well', 2),
  ('observer', 'Observer', 'Takes the measurements', 3),
  ('driller', 'Driller', 'Drilled or constructed the well', 4),
  ('agency', 'Agency', 'Agency responsible for the monitoring program', 5);

-- Wells gain a type, elevation and construction date; status moves from a CHECK to the lookup table.
ALTER TABLE wells
  DROP CONSTRAINT wells_status_check,
  ADD COLUMN type text NOT NULL DEFAULT 'unknown',
  ADD COLUMN elevation_ft double precision,
  ADD COLUMN construction_date date,
  ADD CONSTRAINT wells_status_fkey FOREIGN KEY (status) REFERENCES well_statuses (term) ON UPDATE CASCADE,
  ADD CONSTRAINT wells_type_fkey FOREIGN KEY (type) REFERENCES well_types (term) ON UPDATE CASCADE,
  -- From the Dead Sea shore to above Everest, in feet.
  ADD CONSTRAINT wells_elevation_ft_check CHECK (elevation_ft BETWEEN -1500 AND 30000),
  ADD CONSTRAINT wells_construction_date_check CHECK (construction_date >= DATE '1800-01-01');

-- Filters on GET /wells page in id order, so each index ends with id (keyset scans).
CREATE INDEX wells_status_id_idx ON wells (status, id);
CREATE INDEX wells_type_id_idx ON wells (type, id);
CREATE INDEX wells_county_id_idx ON wells (lower(county), id);
CREATE INDEX wells_location_idx ON wells USING gist (point(longitude, latitude));
-- Trigram indexes for GET /search.
CREATE INDEX wells_site_code_trgm_idx ON wells USING gin (site_code gin_trgm_ops);
CREATE INDEX wells_name_trgm_idx ON wells USING gin (name gin_trgm_ops);
CREATE INDEX wells_county_trgm_idx ON wells USING gin (county gin_trgm_ops);

-- Water-level observations. Millisecond precision keeps every stored instant exact in JSON and JavaScript.
CREATE TABLE observations (
  id                bigint GENERATED ALWAYS AS IDENTITY (MAXVALUE 9007199254740991) PRIMARY KEY,
  -- No ON DELETE: deleting a well with observations is refused unless the client asks for cascade.
  well_id           bigint NOT NULL REFERENCES wells (id),
  observed_at       timestamptz(3) NOT NULL,
  -- Negative means the water stands above land surface (a flowing artesian well).
  depth_to_water_ft double precision NOT NULL,
  method            text NOT NULL DEFAULT 'unknown' REFERENCES measurement_methods (term) ON UPDATE CASCADE,
  data_quality      text NOT NULL DEFAULT 'provisional' REFERENCES data_qualities (term) ON UPDATE CASCADE,
  observer          text,
  notes             text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  -- One reading per well per instant. The included depth lets summaries and
  -- "latest reading" lookups run as index-only scans.
  CONSTRAINT observations_well_instant_key UNIQUE (well_id, observed_at) INCLUDE (depth_to_water_ft),
  CONSTRAINT observations_depth_check CHECK (depth_to_water_ft > -1000 AND depth_to_water_ft < 100000),
  CONSTRAINT observations_observer_check CHECK (char_length(observer) BETWEEN 1 AND 200),
  CONSTRAINT observations_notes_check CHECK (char_length(notes) <= 2000)
);

CREATE TABLE contacts (
  id           bigint GENERATED ALWAYS AS IDENTITY (MAXVALUE 9007199254740991) PRIMARY KEY,
  name         text NOT NULL,
  organization text,
  emails       text[] NOT NULL DEFAULT '{}',
  phones       text[] NOT NULL DEFAULT '{}',
  notes        text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT contacts_name_check CHECK (char_length(name) BETWEEN 1 AND 200),
  CONSTRAINT contacts_organization_check CHECK (char_length(organization) BETWEEN 1 AND 200),
  CONSTRAINT contacts_emails_check CHECK (cardinality(emails) <= 10),
  CONSTRAINT contacts_phones_check CHECK (cardinality(phones) <= 10),
  CONSTRAINT contacts_notes_check CHECK (char_length(notes) <= 2000)
);
CREATE INDEX contacts_name_trgm_idx ON contacts USING gin (name gin_trgm_ops);
CREATE INDEX contacts_organization_trgm_idx ON contacts USING gin (organization gin_trgm_ops);

-- A link is not data of its own: it goes with either end.
CREATE TABLE well_contacts (
  well_id    bigint NOT NULL REFERENCES wells (id) ON DELETE CASCADE,
  contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  role       text NOT NULL REFERENCES contact_roles (term) ON UPDATE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (well_id, contact_id)
);
CREATE INDEX well_contacts_contact_idx ON well_contacts (contact_id, well_id);

-- API keys: only a SHA-256 of the secret is stored. The prefix is public and finds the row.
CREATE TABLE api_keys (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL,
  scope      text NOT NULL,
  key_prefix text NOT NULL,
  key_hash   bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  CONSTRAINT api_keys_prefix_key UNIQUE (key_prefix),
  CONSTRAINT api_keys_name_check CHECK (char_length(name) BETWEEN 1 AND 100),
  CONSTRAINT api_keys_scope_check CHECK (scope IN ('read', 'write', 'admin')),
  CONSTRAINT api_keys_hash_check CHECK (octet_length(key_hash) = 32)
);
