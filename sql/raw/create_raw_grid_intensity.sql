-- Grid carbon intensity. Grain: zone × datetime_utc (hourly or half-hourly). gCO2e per kWh.
CREATE TABLE IF NOT EXISTS raw_grid_intensity (
    source_path            VARCHAR NOT NULL,
    line                   BIGINT NOT NULL,
    zone                   VARCHAR NOT NULL,
    datetime_utc           TIMESTAMP NOT NULL,
    gco2e_per_kwh_direct   DOUBLE,
    gco2e_per_kwh_lca      DOUBLE,
    cfe_pct                DOUBLE,
    renewable_pct          DOUBLE,
    is_estimated           BOOLEAN,
    data_source            VARCHAR
);
