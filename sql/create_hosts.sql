-- Inventory from the config, one row per host. Rebuilt from the config on every run.
CREATE TABLE IF NOT EXISTS hosts (
    host                      VARCHAR PRIMARY KEY,
    site                      VARCHAR NOT NULL,
    grid_zone                 VARCHAR NOT NULL,
    gpu_model                 VARCHAR NOT NULL,
    gpus                      INTEGER NOT NULL,
    tdp_w                     DOUBLE NOT NULL,
    idle_w                    DOUBLE NOT NULL,
    embodied_kg_per_gpu_hour  DOUBLE NOT NULL
);
