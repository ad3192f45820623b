-- Reconcile the disclosure's totals (bound as parameters, as the report is about to publish them)
-- with daily_summary and cost_attributed. Grain: the reporting period, days [$start_day,
-- $end_day]; one row per figure, checked = 1 when daily_summary has rows for the period (else no
-- rows: nothing to publish from). Each figure is the sum of the daily rows, except:
--  * facility_overhead_kwh = facility − IT energy; phases_energy_kwh, sites_energy_kwh and
--    full_boundary_energy_kwh: the phase, site and full-boundary lines add up to the facility
--    total;
--  * instrument_kwh: the hourly-matched kWh plus annual instruments (period.py), so at least
--    the daily sum and at most the facility energy;
--  * co2e_kg_market: annual instruments replace part of the residual, so with annual kWh
--    ($annual_instrument_kwh > 0) it lies between Σ(market − residual) and Σ market + annual kWh ×
--    the highest annual factor; without, it is Σ market;
--  * cost_usd: the USD billing lines attributed (to jobs, idle, tags, or unattributed).
-- Differences above $atol + $rtol × |daily_summary| fail; totals: disclosed, daily_summary.
WITH d AS (
    SELECT
        count(*) AS n,
        sum(facility_energy_kwh) AS facility_energy_kwh, sum(it_energy_kwh) AS it_energy_kwh,
        sum(gpu_hours) AS gpu_hours, sum(gpu_energy_kwh) AS gpu_energy_kwh,
        sum(host_energy_kwh) AS host_energy_kwh, sum(co2e_kg_location) AS co2e_kg_location,
        sum(co2e_kg_market) AS co2e_kg_market,
        sum(co2e_kg_market - co2e_kg_market_residual) AS co2e_kg_market_matched,
        sum(instrument_kwh) AS instrument_kwh,
        sum(water_l) AS water_l, sum(water_onsite_l) AS water_onsite_l,
        sum(water_offsite_l) AS water_offsite_l, sum(embodied_kg) AS embodied_kg,
        sum(embodied_gpu_kg) AS embodied_gpu_kg, sum(embodied_server_kg) AS embodied_server_kg,
        (SELECT coalesce(max(gco2e_per_kwh), 0.0) FROM instruments WHERE NOT hourly) AS annual_g,
        (SELECT coalesce(sum(effective_cost), 0.0) FROM cost_attributed
         WHERE day BETWEEN $start_day AND $end_day AND billing_currency = 'USD') AS cost_usd
    FROM daily_summary
    WHERE day BETWEEN $start_day AND $end_day
),
compared AS (
    SELECT unnest([
        {quantity: 'energy_kwh', a: $energy_kwh, b: facility_energy_kwh},
        {quantity: 'it_energy_kwh', a: $it_energy_kwh, b: it_energy_kwh},
        {quantity: 'facility_overhead_kwh', a: $facility_overhead_kwh,
         b: facility_energy_kwh - it_energy_kwh},
        {quantity: 'gpu_energy_kwh', a: $gpu_energy_kwh, b: gpu_energy_kwh},
        {quantity: 'host_energy_kwh', a: $host_energy_kwh, b: host_energy_kwh},
        {quantity: 'gpu_hours', a: $gpu_hours, b: gpu_hours},
        {quantity: 'co2e_kg_location', a: $co2e_kg_location, b: co2e_kg_location},
        {quantity: 'co2e_kg_market', a: $co2e_kg_market,
         b: CASE WHEN $annual_instrument_kwh > $atol
                 THEN least(greatest($co2e_kg_market, co2e_kg_market_matched),
                            co2e_kg_market + $annual_instrument_kwh * annual_g / 1000.0)
                 ELSE co2e_kg_market END},
        {quantity: 'instrument_kwh', a: $instrument_kwh,
         b: least(greatest($instrument_kwh, instrument_kwh), facility_energy_kwh)},
        {quantity: 'water_l', a: $water_l, b: water_l},
        {quantity: 'water_onsite_l', a: $water_onsite_l, b: water_onsite_l},
        {quantity: 'water_offsite_l', a: $water_offsite_l, b: water_offsite_l},
        {quantity: 'embodied_kg', a: $embodied_kg, b: embodied_kg},
        {quantity: 'embodied_gpu_kg', a: $embodied_gpu_kg, b: embodied_gpu_kg},
        {quantity: 'embodied_server_kg', a: $embodied_server_kg, b: embodied_server_kg},
        {quantity: 'phases_energy_kwh', a: $phases_energy_kwh, b: facility_energy_kwh},
        {quantity: 'sites_energy_kwh', a: $sites_energy_kwh, b: facility_energy_kwh},
        {quantity: 'full_boundary_energy_kwh', a: $full_boundary_energy_kwh,
         b: facility_energy_kwh},
        {quantity: 'cost_usd', a: $cost_usd, b: cost_usd}
    ], recursive := true)
    FROM d
    WHERE n > 0
)
SELECT
    quantity,
    CASE WHEN quantity = 'cost_usd' THEN 'cost_attributed' ELSE 'daily_summary' END AS against,
    count(*) AS checked,
    count(*) FILTER (WHERE abs(a - b) > $atol + $rtol * abs(b)) AS failing,
    coalesce(max(abs(a - b)), 0.0) AS worst_abs_diff,
    concat_ws('..', $start_day, $end_day) AS worst_at,
    coalesce(sum(a), 0.0) AS total,
    coalesce(sum(b), 0.0) AS upstream_total
FROM compared
GROUP BY quantity
ORDER BY quantity;
