-- Search ranks by word similarity and returns the best few. GIN trigram indexes can only
-- filter, so a loose query (every well's code shares "SEED-0000…") scored every row.
-- GiST trigram indexes also serve ORDER BY q <<-> column LIMIT n (nearest first), so each
-- field's best candidates come straight from its index, and ILIKE '%q%' still uses them.
-- siglen: a longer signature (bytes) keeps names of many trigrams from matching everything.
DROP INDEX wells_site_code_trgm_idx;
DROP INDEX wells_name_trgm_idx;
DROP INDEX wells_county_trgm_idx;
DROP INDEX contacts_name_trgm_idx;
DROP INDEX contacts_organization_trgm_idx;
CREATE INDEX wells_site_code_trgm_idx ON wells USING gist (site_code gist_trgm_ops (siglen = 32));
CREATE INDEX wells_name_trgm_idx ON wells USING gist (name gist_trgm_ops (siglen = 64));
CREATE INDEX wells_county_trgm_idx ON wells USING gist (county gist_trgm_ops (siglen = 32));
CREATE INDEX contacts_name_trgm_idx ON contacts USING gist (name gist_trgm_ops (siglen = 64));
CREATE INDEX contacts_organization_trgm_idx ON contacts USING gist (organization gist_trgm_ops (siglen = 64));
-- An exact site_code match (any case) scores highest; this finds it without a scan.
CREATE INDEX wells_site_code_lower_idx ON wells (lower(site_code));
