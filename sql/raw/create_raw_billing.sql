-- Billing lines normalised to FOCUS 1.x columns. Costs in billing_currency; tags as JSON text.
CREATE TABLE IF NOT EXISTS raw_billing (
    source_path          VARCHAR NOT NULL,
    line                 BIGINT NOT NULL,
    provider             VARCHAR,
    billing_account_id   VARCHAR,
    billing_currency     VARCHAR,
    charge_period_start  TIMESTAMP,
    charge_period_end    TIMESTAMP,
    charge_category      VARCHAR,
    service_name         VARCHAR,
    service_category     VARCHAR,
    resource_id          VARCHAR,
    resource_name        VARCHAR,
    region_id            VARCHAR,
    sku_id               VARCHAR,
    consumed_quantity    DOUBLE,
    consumed_unit        VARCHAR,
    billed_cost          DOUBLE,
    effective_cost       DOUBLE,
    list_cost            DOUBLE,
    tags                 VARCHAR
);
