-- Contractual instruments (PPA, REC, GO...) from the config. Grain: instrument. `hourly` ones
-- deliver by the profile in instrument_hours; the others' MWh over [start_day, end_day] are
-- matched annually (prorated to each reporting period). Emission factor in gCO2e/kWh.
CREATE TABLE IF NOT EXISTS instruments (
    name           VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,
    site           VARCHAR NOT NULL,
    start_day      DATE NOT NULL,
    end_day        DATE NOT NULL,
    mwh            DOUBLE,
    hourly         BOOLEAN NOT NULL,
    gco2e_per_kwh  DOUBLE NOT NULL,
    source         VARCHAR NOT NULL
);
