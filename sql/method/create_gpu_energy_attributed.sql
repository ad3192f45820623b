-- GPU energy per hour × GPU × job (job_key NULL = idle: provisioned, unallocated).
-- gpu_s is GPU-seconds held (allocated share × time for jobs; the rest for idle).
-- measured_wh is the part of energy_wh that was measured (energy counter or power samples). Conservation: per GPU and hour the
-- rows sum to the GPU's energy in gpu_energy_intervals. gpu_index NULL: an allocation estimated
-- from the scheduler (no telemetry on that host-hour): GPU-hours × estimated power.
CREATE TABLE IF NOT EXISTS gpu_energy_attributed (
    hour_utc     TIMESTAMP NOT NULL,
    site         VARCHAR NOT NULL,
    host         VARCHAR NOT NULL,
    gpu_index    INTEGER,
    job_key      VARCHAR,
    energy_wh    DOUBLE NOT NULL,
    gpu_s        DOUBLE NOT NULL,
    measured_wh  DOUBLE NOT NULL
);
