-- Data-quality figures of the daily summary for days in [$start, $end): facility energy (kWh),
-- the share of GPU energy measured, the share of facility energy priced with hourly grid data,
-- and rows with a negative quantity.
SELECT
    coalesce(sum(facility_energy_kwh), 0.0) AS facility_energy_kwh,
    coalesce(sum(measured_kwh) / nullif(sum(gpu_energy_kwh), 0), 1.0) AS measured_share,
    coalesce(1.0 - sum(fallback_facility_kwh) / nullif(sum(facility_energy_kwh), 0), 1.0)
        AS grid_hourly_share,
    count(*) FILTER (WHERE least(gpu_hours, gpu_energy_kwh, host_energy_kwh, it_energy_kwh,
        facility_energy_kwh, co2e_kg_location, co2e_kg_market, water_l, embodied_kg,
        instrument_kwh, cfe_kwh) < -1e-9) AS negative_rows
FROM daily_summary
WHERE day >= CAST($start AS DATE) AND day < CAST($end AS DATE);
