-- Footprint per hour × site × job (job_key NULL = idle). Energy in kWh, carbon in kg CO2e, water
-- in L. IT energy = GPU energy + host overhead (host_measured_kwh: the part from node power
-- readings; the rest is the configured server watts). measured_kwh: GPU energy from the energy counter or power samples;
-- scheduler_estimated_kwh: GPU energy estimated from allocations without telemetry.
-- intensity_source: 'hourly' (grid data), 'monthly_mean' (same zone and month), 'annual'
-- (config fallback). Market-based: hourly-matched instruments (instrument_kwh) at their factor,
-- the rest at the residual mix when configured, else the location intensity (market_basis);
-- co2e_kg_market_residual is that rest, which annual instruments may still cover per period.
-- cfe_kwh: carbon-free energy (matched instruments + the grid's carbon-free share of the rest;
-- grid_cfe_pct NULL = no grid CFE data for the hour, counted as 0).
CREATE TABLE IF NOT EXISTS footprint_hourly (
    hour_utc                 TIMESTAMP NOT NULL,
    site                     VARCHAR NOT NULL,
    job_key                  VARCHAR,
    gpu_hours                DOUBLE NOT NULL,
    gpu_energy_kwh           DOUBLE NOT NULL,
    host_energy_kwh          DOUBLE NOT NULL,
    host_measured_kwh        DOUBLE NOT NULL,
    it_energy_kwh            DOUBLE NOT NULL,
    measured_kwh             DOUBLE NOT NULL,
    scheduler_estimated_kwh  DOUBLE NOT NULL,
    pue                      DOUBLE NOT NULL,
    facility_energy_kwh      DOUBLE NOT NULL,
    gco2e_per_kwh            DOUBLE NOT NULL,
    intensity_source         VARCHAR NOT NULL,
    co2e_kg_location         DOUBLE NOT NULL,
    market_basis             VARCHAR NOT NULL,
    instrument_kwh           DOUBLE NOT NULL,
    co2e_kg_market           DOUBLE NOT NULL,
    co2e_kg_market_residual  DOUBLE NOT NULL,  -- the part not covered by instruments
    grid_cfe_pct             DOUBLE,
    cfe_kwh                  DOUBLE NOT NULL,
    water_onsite_l           DOUBLE NOT NULL,
    water_offsite_l          DOUBLE NOT NULL,
    water_l                  DOUBLE NOT NULL,
    embodied_gpu_kg          DOUBLE NOT NULL,
    embodied_server_kg       DOUBLE NOT NULL,
    embodied_kg              DOUBLE NOT NULL
);
