-- Hourly delivery of profiled instruments. Grain: instrument × UTC hour. Energy in kWh.
CREATE TABLE IF NOT EXISTS instrument_hours (
    name           VARCHAR NOT NULL,
    site           VARCHAR NOT NULL,
    hour_utc       TIMESTAMP NOT NULL,
    kwh            DOUBLE NOT NULL,
    gco2e_per_kwh  DOUBLE NOT NULL
);
