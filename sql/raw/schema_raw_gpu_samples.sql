-- GPU telemetry samples, as read: the columns of the telemetry lake's Parquet files, which the
-- raw_gpu_samples view reads (pipeline/warehouse/lake.py); not a warehouse table.
-- Grain: host × gpu_index × ts_utc. Power in W, utilisation in %, energy_mj the GPU's energy
-- counter in mJ since boot (DCGM). workload is the job the telemetry itself says the GPU ran,
-- spelled as its allocation's job_id: a Slurm job id ('4211') or a Kubernetes pod as
-- '<namespace>/<pod>'; NULL when the telemetry names none.
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
    energy_mj   DOUBLE,
    workload    VARCHAR
);
