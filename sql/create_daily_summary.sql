-- Daily footprint by site × phase × model × team. phase 'idle' is unallocated GPU capacity;
-- model and team are '' when unknown. Units as named.
CREATE TABLE IF NOT EXISTS daily_summary (
    day                   DATE NOT NULL,
    site                  VARCHAR NOT NULL,
    phase                 VARCHAR NOT NULL,
    model                 VARCHAR NOT NULL,
    team                  VARCHAR NOT NULL,
    jobs                  BIGINT NOT NULL,
    gpu_hours             DOUBLE NOT NULL,
    it_energy_kwh         DOUBLE NOT NULL,
    measured_kwh          DOUBLE NOT NULL,
    facility_energy_kwh   DOUBLE NOT NULL,
    co2e_kg_location      DOUBLE NOT NULL,
    co2e_kg_market        DOUBLE NOT NULL,
    water_l               DOUBLE NOT NULL,
    embodied_kg           DOUBLE NOT NULL
);
