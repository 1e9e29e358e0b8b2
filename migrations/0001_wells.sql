-- Wells: the monitoring sites every other resource hangs off.
CREATE TABLE wells (
  -- Capped at 2^53 − 1 so ids stay exact as JSON numbers.
  id            bigint GENERATED ALWAYS AS IDENTITY (MAXVALUE 9007199254740991) PRIMARY KEY,
  site_code     text NOT NULL,
  name          text NOT NULL,
  status        text NOT NULL DEFAULT 'unknown',
  county        text,
  latitude      double precision NOT NULL,
  longitude     double precision NOT NULL,
  well_depth_ft double precision,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT wells_site_code_key UNIQUE (site_code),
  CONSTRAINT wells_site_code_check CHECK (char_length(site_code) BETWEEN 1 AND 64),
  CONSTRAINT wells_name_check CHECK (char_length(name) BETWEEN 1 AND 200),
  CONSTRAINT wells_status_check CHECK (status IN ('active', 'inactive', 'destroyed', 'unknown')),
  CONSTRAINT wells_county_check CHECK (county IS NULL OR char_length(county) BETWEEN 1 AND 100),
  CONSTRAINT wells_latitude_check CHECK (latitude BETWEEN -90 AND 90),
  CONSTRAINT wells_longitude_check CHECK (longitude BETWEEN -180 AND 180),
  CONSTRAINT wells_well_depth_ft_check CHECK (well_depth_ft > 0 AND well_depth_ft < 100000)
);

-- Rows written once by the application itself, e.g. whether the sample data was loaded.
CREATE TABLE app_markers (
  name       text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);
