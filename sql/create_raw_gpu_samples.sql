-- GPU telemetry samples, as read. Grain: host × gpu_index × ts_utc. Power in W, utilisation in %.
CREATE TABLE IF NOT EXISTS raw_gpu_samples (
    source_path VARCHAR NOT NULL,
    line        BIGINT NOT NULL,
    host        VARCHAR NOT NULL,
    gpu_index   INTEGER NOT NULL,
    gpu_uuid    VARCHAR,
    gpu_name    VARCHAR,
    ts_utc      TIMESTAMP NOT NULL,
    power_w     DOUBLE,
    util_pct    DOUBLE,
    energy_mj   DOUBLE
);
