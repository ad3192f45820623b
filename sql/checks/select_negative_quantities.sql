-- Rows of days [$start_day, $end_day] where a quantity that cannot be negative is (beyond float
-- noise of 1e-9): energy, GPU-hours, carbon, water, embodied. Market carbon may not go below 0.
SELECT count(*) AS negative_rows
FROM daily_summary
WHERE day BETWEEN $start_day AND $end_day
  AND least(gpu_hours, gpu_energy_kwh, host_energy_kwh, it_energy_kwh, facility_energy_kwh,
            co2e_kg_location, co2e_kg_market, water_l, embodied_kg, instrument_kwh, cfe_kwh)
      < -1e-9;
