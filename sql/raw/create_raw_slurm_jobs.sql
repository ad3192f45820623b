-- Slurm sacct lines, as read (steps kept with `step` set; jobs have step NULL). Times in UTC.
-- gpus: GPUs allocated (AllocTRES); a MIG slice `<N>g.<M>gb` counts as N/7 of a GPU.
-- end_from_elapsed: true when sacct printed End=Unknown for a finished job and end_utc is
-- Start + Elapsed (pipeline/readers/_sacct_end.py); false when end_utc is the End as printed.
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
    comment     VARCHAR,
    end_from_elapsed BOOLEAN
);
