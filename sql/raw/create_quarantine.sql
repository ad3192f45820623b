-- Rows a reader could not accept. Grain: source_path × line. Nothing read is dropped silently.
CREATE TABLE IF NOT EXISTS quarantine (
    source_path VARCHAR NOT NULL,
    line        BIGINT NOT NULL,
    reason      VARCHAR NOT NULL,
    raw_text    VARCHAR
);
