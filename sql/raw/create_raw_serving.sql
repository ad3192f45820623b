-- Hourly serving statistics. Grain: hour_utc × model × deployment.
CREATE TABLE IF NOT EXISTS raw_serving (
    source_path   VARCHAR NOT NULL,
    line          BIGINT NOT NULL,
    hour_utc      TIMESTAMP NOT NULL,
    model         VARCHAR NOT NULL,
    deployment    VARCHAR,
    requests      BIGINT NOT NULL,
    input_tokens  BIGINT,
    output_tokens BIGINT
);
