-- Sites from the config. Factors in the units their names carry.
CREATE TABLE IF NOT EXISTS sites (
    site                        VARCHAR PRIMARY KEY,
    grid_zone                   VARCHAR NOT NULL,
    timezone                    VARCHAR NOT NULL,
    pue                         DOUBLE NOT NULL,
    wue_l_per_kwh               DOUBLE NOT NULL,  -- on-site, per kWh of IT energy
    offsite_water_l_per_kwh     DOUBLE NOT NULL,  -- generation, per kWh of facility energy
    annual_gco2e_per_kwh        DOUBLE NOT NULL,
    residual_mix_gco2e_per_kwh  DOUBLE
);
