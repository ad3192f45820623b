-- Footprint per hour × site × job (job_key NULL = idle). Energy in kWh, carbon in kg CO2e,
-- water in L. intensity_source: 'hourly' (grid data), 'monthly_mean' (same zone, same month),
-- 'annual' (config fallback). Market-based uses the site's residual mix when configured, else
-- the location intensity (market_basis says which).
CREATE TABLE IF NOT EXISTS footprint_hourly (
    hour_utc              TIMESTAMP NOT NULL,
    site                  VARCHAR NOT NULL,
    job_key               VARCHAR,
    gpu_hours             DOUBLE NOT NULL,
    it_energy_kwh         DOUBLE NOT NULL,
    measured_kwh          DOUBLE NOT NULL,
    pue                   DOUBLE NOT NULL,
    facility_energy_kwh   DOUBLE NOT NULL,
    gco2e_per_kwh         DOUBLE NOT NULL,
    intensity_source      VARCHAR NOT NULL,
    co2e_kg_location      DOUBLE NOT NULL,
    market_basis          VARCHAR NOT NULL,
    co2e_kg_market        DOUBLE NOT NULL,
    water_l               DOUBLE NOT NULL,
    embodied_kg           DOUBLE NOT NULL
);
