-- One row per landing file ingested. Grain: source_path. A changed file replaces its rows.
CREATE TABLE IF NOT EXISTS ingest_manifest (
    source_path       VARCHAR PRIMARY KEY,
    sha256            VARCHAR NOT NULL,
    size_bytes        BIGINT NOT NULL,
    format            VARCHAR NOT NULL,
    target_table      VARCHAR NOT NULL,
    rows_read         BIGINT NOT NULL,
    rows_accepted     BIGINT NOT NULL,
    rows_quarantined  BIGINT NOT NULL,
    min_ts_utc        TIMESTAMP,
    max_ts_utc        TIMESTAMP,
    ingested_at       TIMESTAMP NOT NULL,
    -- the file's modification time when read: same size and mtime = unchanged, not re-hashed
    mtime_ns          BIGINT,
    -- what reading depended on (Config.reader_sha256): a change reads the file again
    reader_sha256     VARCHAR
);
