-- Slurm sacct lines, as read (steps kept with `step` set; jobs have step NULL). Times in UTC.
-- gpus: GPUs allocated (AllocTRES); a MIG slice `<N>g.<M>gb` counts as N/7 of a GPU.
CREATE TABLE IF NOT EXISTS raw_slurm_jobs (
    source_path VARCHAR NOT NULL,
    line        BIGINT NOT NULL,
    job_id      VARCHAR NOT NULL,
    step        VARCHAR,
    job_name    VARCHAR,
    user_name   VARCHAR,
    account     VARCHAR,
    partition   VARCHAR,
    state       VARCHAR,
    start_utc   TIMESTAMP,
    end_utc     TIMESTAMP,
    node_list   VARCHAR,
    hosts       VARCHAR[],
    gpus        DOUBLE,
    comment     VARCHAR
);
