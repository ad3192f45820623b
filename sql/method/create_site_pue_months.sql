-- Monthly PUE overrides from the config. Grain: site × month ('YYYY-MM', UTC).
CREATE TABLE IF NOT EXISTS site_pue_months (
    site  VARCHAR NOT NULL,
    month VARCHAR NOT NULL,
    pue   DOUBLE NOT NULL,
    PRIMARY KEY (site, month)
);
