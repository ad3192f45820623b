-- Per-request serving log. Grain: one request (source_path × line). ts_utc: when it arrived;
-- latency_s: end to end, seconds; energy_wh: energy the server measured for it, when it logs one.
CREATE TABLE IF NOT EXISTS raw_requests (
    source_path    VARCHAR NOT NULL,
    line           BIGINT NOT NULL,
    ts_utc         TIMESTAMP NOT NULL,
    model          VARCHAR NOT NULL,
    deployment     VARCHAR,
    request_id     VARCHAR,
    input_tokens   BIGINT NOT NULL,
    output_tokens  BIGINT NOT NULL,
    latency_s      DOUBLE,
    energy_wh      DOUBLE
);
