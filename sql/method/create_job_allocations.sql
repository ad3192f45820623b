-- Scheduler allocations with their phase, clipped to each UTC day. Grain: day × job_key × host.
-- job_key = site/job_id, so two clusters' job numbers never collide. gpus_on_host is the job's GPU
-- count on that host (AllocTRES GPUs spread evenly over its nodes; whole node when not given).
CREATE TABLE IF NOT EXISTS job_allocations (
    day           DATE NOT NULL,
    job_key       VARCHAR NOT NULL,
    job_id        VARCHAR NOT NULL,
    site          VARCHAR NOT NULL,
    host          VARCHAR NOT NULL,
    gpus_on_host  DOUBLE NOT NULL,
    start_utc     TIMESTAMP NOT NULL,
    end_utc       TIMESTAMP NOT NULL,
    job_name      VARCHAR,
    user_name     VARCHAR,
    account       VARCHAR,
    partition     VARCHAR,
    state         VARCHAR,
    phase         VARCHAR NOT NULL,
    model         VARCHAR,
    team          VARCHAR,
    phase_rule    VARCHAR NOT NULL
);
