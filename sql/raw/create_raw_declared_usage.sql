-- Declared usage: runs no telemetry or scheduler file covers, as declared (docs/declared-usage.md).
-- Grain: one row per run of a landing file. end_utc is the declared end, else derived by the
-- reader (start + duration_h, or start + gpu_hours / gpus); the config's gpu_model and site are
-- resolved when the run is computed (pipeline/method/declared.py), not here.
CREATE TABLE IF NOT EXISTS raw_declared_usage (
    source_path          VARCHAR NOT NULL,
    line                 BIGINT NOT NULL,
    run                  VARCHAR NOT NULL,
    model                VARCHAR NOT NULL,
    phase                VARCHAR NOT NULL,
    gpu_model            VARCHAR NOT NULL,
    gpus                 BIGINT NOT NULL,
    start_utc            TIMESTAMP NOT NULL,
    end_utc              TIMESTAMP NOT NULL,
    duration_h           DOUBLE,
    gpu_hours            DOUBLE,
    average_power_w      DOUBLE,
    site                 VARCHAR,
    grid_gco2e_per_kwh   DOUBLE,
    market_gco2e_per_kwh DOUBLE,
    pue                  DOUBLE,
    requests             BIGINT,
    cost_usd             DOUBLE,
    flops                DOUBLE,
    source               VARCHAR NOT NULL
);
