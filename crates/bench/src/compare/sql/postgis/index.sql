-- After COPY and region_tree.sql: geometry and the indexes a PostGIS expert would choose.
SET maintenance_work_mem = '2GB';
ALTER TABLE places ADD COLUMN geom geometry(Point, 4326);
UPDATE places SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326) WHERE lon IS NOT NULL AND lat IS NOT NULL;
CREATE INDEX places_geom ON places USING gist (geom);
CREATE INDEX places_region ON places (region_code);
ALTER TABLE areas ADD COLUMN geom geometry(Geometry, 4326);
UPDATE areas SET geom = ST_SetSRID(ST_GeomFromGeoJSON(geojson), 4326) WHERE geojson IS NOT NULL;
CREATE INDEX region_tree_ancestor ON region_tree (ancestor, code);
CREATE INDEX region_tree_code ON region_tree (code, ancestor);
CREATE INDEX sightings_subject ON sightings (subject, start_ms);
CREATE INDEX sightings_place ON sightings (place_id, start_ms);
CREATE INDEX sightings_place_during ON sightings USING gist (place_id, during);
CREATE INDEX sightings_pharmacy ON sightings (start_ms) WHERE source = 'pharmacy';
ANALYZE;
