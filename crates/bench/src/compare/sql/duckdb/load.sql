-- DuckDB: the registries from the CSV tables ({tables}), the sightings from tracegrid's
-- Parquet export ({parquet}), sorted by place and time so that each block's min/max
-- (DuckDB's zone maps) skip most of the table in a place's lookups; an ART index on subject.
-- Then region_tree.sql and a checkpoint.
CREATE TABLE regions AS SELECT * FROM read_csv('{tables}/regions.csv', header = true,
    columns = {'code': 'VARCHAR', 'parent_code': 'VARCHAR'});
CREATE TABLE places AS
SELECT *, CASE WHEN lon IS NOT NULL AND lat IS NOT NULL THEN ST_Point(lon, lat) END AS geom
FROM read_csv('{tables}/places.csv', header = true,
    columns = {'place_id': 'VARCHAR', 'kind': 'VARCHAR', 'tier': 'INTEGER', 'tau': 'BIGINT',
               'region_code': 'VARCHAR', 'lon': 'DOUBLE', 'lat': 'DOUBLE'});
CREATE TABLE persons AS SELECT * FROM read_csv('{tables}/persons.csv', header = true,
    columns = {'person_id': 'VARCHAR', 'household_id': 'VARCHAR'});
CREATE TABLE cases AS SELECT * FROM read_csv('{tables}/cases.csv', header = true,
    columns = {'subject': 'VARCHAR', 'status': 'VARCHAR', 'onset': 'BIGINT',
               'confirmed': 'BIGINT', 'isolated': 'BIGINT'});
CREATE TABLE areas AS
SELECT area_id, region_code, from_ms, to_ms,
       CASE WHEN geojson IS NOT NULL THEN ST_GeomFromGeoJSON(geojson) END AS geom
FROM read_csv('{tables}/areas.csv', header = true,
    columns = {'area_id': 'VARCHAR', 'region_code': 'VARCHAR', 'geojson': 'VARCHAR',
               'from_ms': 'BIGINT', 'to_ms': 'BIGINT'});
CREATE TABLE deliveries AS SELECT * FROM read_csv('{tables}/deliveries.csv', header = true,
    columns = {'recipient': 'VARCHAR', 'origin_region_code': 'VARCHAR', 'shipped': 'BIGINT',
               'delivered': 'BIGINT'});
CREATE TABLE health_reports AS SELECT * FROM read_csv('{tables}/health_reports.csv',
    header = true, columns = {'subject': 'VARCHAR', 'time_ms': 'BIGINT',
                              'temperature_dc': 'INTEGER', 'symptoms': 'INTEGER'});
CREATE TABLE sightings AS
SELECT subject, place_id, epoch_ms("start") AS start_ms, epoch_ms("end") AS end_ms,
       source, tag
FROM read_parquet('{parquet}/*/*/*.parquet', hive_partitioning = true)
ORDER BY place_id, start_ms;
CREATE INDEX sightings_subject ON sightings (subject);
