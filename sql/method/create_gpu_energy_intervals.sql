-- GPU energy pieces. Grain: host × gpu_index × piece (start_utc); pieces never cross an hour.
-- Power is linear across a piece (trapezoid rule), so any sub-span's energy is exact.
-- source: 'counter' (measured: the GPU's energy counter delta, placed at constant power),
-- 'samples' (measured: power samples integrated) or 'estimated' (gap filled, or a sample without
-- power). workload: the job the telemetry labelled the GPU with at the piece's starting sample,
-- spelled as job_allocations.job_id; NULL when unlabelled.
CREATE TABLE IF NOT EXISTS gpu_energy_intervals (
    hour_utc       TIMESTAMP NOT NULL,
    site           VARCHAR NOT NULL,
    host           VARCHAR NOT NULL,
    gpu_index      INTEGER NOT NULL,
    start_utc      TIMESTAMP NOT NULL,
    end_utc        TIMESTAMP NOT NULL,
    start_power_w  DOUBLE NOT NULL,
    end_power_w    DOUBLE NOT NULL,
    energy_wh      DOUBLE NOT NULL,
    source         VARCHAR NOT NULL,
    workload       VARCHAR,
    covered_s      DOUBLE
);
