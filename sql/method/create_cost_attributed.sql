-- Billing lines attributed to jobs. Grain: billing line (source_path, line) × job_key; job_key
-- NULL for the line's idle remainder, a tagged line or an unattributed one. Costs in the line's
-- billing_currency (never converted); share is the fraction (0-1) of the line this row carries,
-- applied to both effective_cost (amortised, FOCUS EffectiveCost) and billed_cost.
-- Per line the rows sum to the line's costs; day is the UTC date of its charge_period_start.
CREATE TABLE IF NOT EXISTS cost_attributed (
    day               DATE NOT NULL,
    source_path       VARCHAR NOT NULL,
    line              BIGINT NOT NULL,
    billing_currency  VARCHAR,
    basis             VARCHAR NOT NULL,  -- gpu_share | idle | tagged | unattributed
    host              VARCHAR,
    job_key           VARCHAR,
    phase             VARCHAR,
    model             VARCHAR,
    team              VARCHAR,
    share             DOUBLE NOT NULL,
    effective_cost    DOUBLE,
    billed_cost       DOUBLE
);
