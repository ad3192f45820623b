-- Inventory from the config, one row per host. Rebuilt from the config on every run.
-- Powers in W; embodied carbon in kg CO2e per GPU-hour held (SCI's M term).
CREATE TABLE IF NOT EXISTS hosts (
    host                      VARCHAR PRIMARY KEY,
    site                      VARCHAR NOT NULL,
    grid_zone                 VARCHAR NOT NULL,
    gpu_model                 VARCHAR NOT NULL,
    gpus                      INTEGER NOT NULL,
    tdp_w                     DOUBLE NOT NULL,
    idle_w                    DOUBLE NOT NULL,
    average_power_w           DOUBLE,           -- estimation path; NULL: power model by phase
    host_overhead_w           DOUBLE NOT NULL,  -- configured non-GPU server power, W per server
    embodied_kg_per_gpu_hour  DOUBLE NOT NULL,
    server_embodied_kg_per_gpu_hour DOUBLE NOT NULL, -- server (GPUs excluded) per GPU-hour held
    in_service_from           DATE,             -- first UTC day expected to report; NULL: always
    in_service_to             DATE              -- last UTC day (inclusive); NULL: always
);
