-- After COPY: geometry, the region closure, and the indexes a PostGIS expert would choose.
SET maintenance_work_mem = '2GB';
ALTER TABLE places ADD COLUMN geom geometry(Point, 4326);
UPDATE places SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326) WHERE lon IS NOT NULL AND lat IS NOT NULL;
CREATE INDEX places_geom ON places USING gist (geom);
CREATE INDEX places_region ON places (region_code);
ALTER TABLE areas ADD COLUMN geom geometry(Geometry, 4326);
UPDATE areas SET geom = ST_SetSRID(ST_GeomFromGeoJSON(geojson), 4326) WHERE geojson IS NOT NULL;
-- Every region with each of its ancestors and itself: "inside" is one index lookup.
CREATE TABLE region_tree AS
WITH RECURSIVE t(code, ancestor) AS (
    SELECT code, code FROM regions
    UNION ALL
    SELECT t.code, r.parent_code FROM t JOIN regions r ON r.code = t.ancestor
    WHERE r.parent_code IS NOT NULL
)
SELECT code, ancestor FROM t;
CREATE INDEX region_tree_ancestor ON region_tree (ancestor, code);
CREATE INDEX region_tree_code ON region_tree (code, ancestor);
CREATE INDEX sightings_subject ON sightings (subject, start_ms);
CREATE INDEX sightings_place ON sightings (place_id, start_ms);
CREATE INDEX sightings_place_during ON sightings USING gist (place_id, during);
CREATE INDEX sightings_pharmacy ON sightings (start_ms) WHERE source = 'pharmacy';
ANALYZE;
