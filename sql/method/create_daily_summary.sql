-- Daily footprint by site × phase × model × team. phase 'idle' is unallocated GPU capacity;
-- model and team are '' when unknown. Columns as in footprint_hourly, summed; the *_fallback
-- columns are the parts priced with a fallback grid intensity (monthly mean or annual factor).
CREATE TABLE IF NOT EXISTS daily_summary (
    day                        DATE NOT NULL,
    site                       VARCHAR NOT NULL,
    phase                      VARCHAR NOT NULL,
    model                      VARCHAR NOT NULL,
    team                       VARCHAR NOT NULL,
    jobs                       BIGINT NOT NULL,
    gpu_hours                  DOUBLE NOT NULL,
    gpu_energy_kwh             DOUBLE NOT NULL,
    host_energy_kwh            DOUBLE NOT NULL,
    host_measured_kwh          DOUBLE NOT NULL,
    it_energy_kwh              DOUBLE NOT NULL,
    measured_kwh               DOUBLE NOT NULL,
    scheduler_estimated_kwh    DOUBLE NOT NULL,
    facility_energy_kwh        DOUBLE NOT NULL,
    fallback_facility_kwh      DOUBLE NOT NULL,
    co2e_kg_location           DOUBLE NOT NULL,
    co2e_kg_location_fallback  DOUBLE NOT NULL,
    instrument_kwh             DOUBLE NOT NULL,
    co2e_kg_market             DOUBLE NOT NULL,
    co2e_kg_market_residual    DOUBLE NOT NULL,
    co2e_kg_market_fallback    DOUBLE NOT NULL,
    cfe_kwh                    DOUBLE NOT NULL,
    water_onsite_l             DOUBLE NOT NULL,
    water_offsite_l            DOUBLE NOT NULL,
    water_l                    DOUBLE NOT NULL,
    embodied_gpu_kg            DOUBLE NOT NULL,
    embodied_server_kg         DOUBLE NOT NULL,
    embodied_kg                DOUBLE NOT NULL
);
