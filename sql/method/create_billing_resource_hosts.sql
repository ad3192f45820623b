-- Billing resource ids that name a host, from the config (`billing.resource_hosts`).
CREATE TABLE IF NOT EXISTS billing_resource_hosts (
    resource_id VARCHAR PRIMARY KEY,
    host        VARCHAR NOT NULL
);
