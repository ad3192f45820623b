-- The telemetry lake's files. Grain: one Parquet file (landing file × UTC day × host bucket).
-- GPU samples are not stored in the warehouse: each landing file's accepted samples are written
-- once, at ingest, as Parquet under <warehouse>.lake/ (pipeline/warehouse/lake.py), and this
-- table is the list of the files that count. A file not listed here is not read (a write that
-- crashed before its transaction committed), so the lake changes with the warehouse, atomically.
-- path: relative to the lake folder. rows, bytes, min/max: what the file holds, for planning.
CREATE TABLE IF NOT EXISTS lake_files (
    source_path VARCHAR NOT NULL,
    day         DATE NOT NULL,
    bucket      INTEGER NOT NULL,
    path        VARCHAR NOT NULL,
    rows        BIGINT NOT NULL,
    bytes       BIGINT NOT NULL,
    min_ts_utc  TIMESTAMP NOT NULL,
    max_ts_utc  TIMESTAMP NOT NULL
);
