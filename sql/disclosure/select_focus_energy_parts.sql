-- The footprint of hours [$start, $end) for the FOCUS export (pipeline/exports/focus.py), split
-- onto the billing lines that cover it. Grain: one row per part, by `kind`:
--   'billed'     billing line (source_path, line) × job_key (NULL = idle), for the host-hours that
--                a line with a host and a charge period (cost_attributed basis gpu_share or idle,
--                days [$start, $end)) covers;
--   'not_billed' UTC day × host × job_key, for the host-hours or parts of them that no such line
--                covers (a host without a bill, hours outside every charge period).
-- Units: GPU-hours, kWh, kg CO2e, L. Market-based carbon is before annual instruments (applied
-- per period in Python, as the disclosure does). Per metric the parts sum to footprint_hourly's.
-- 1. footprint_hourly is per hour × site × job; each row is split over the hosts the job used
--    that hour (gpu_energy_attributed): GPU energy by the GPU energy drawn on each host, GPU-hours
--    and host overhead by GPU-seconds, embodied carbon by each host's embodied rate × GPU-seconds,
--    and everything priced on IT energy (IT, facility, carbon, water) by the host's IT share.
-- 2. A host-hour is covered by a line for the part of the hour inside the line's charge period
--    (use taken as even across the hour, as the cost split does). Lines that together cover more
--    than the hour share it pro rata; the rest of the hour is 'not_billed'.
WITH host_use AS (
    SELECT a.hour_utc, a.site, a.host, a.job_key,
           sum(a.energy_wh ORDER BY a.gpu_index, a.energy_wh, a.gpu_s) AS energy_wh,
           sum(a.gpu_s ORDER BY a.gpu_index, a.energy_wh, a.gpu_s) AS gpu_s,
           sum(a.gpu_s * (h.embodied_kg_per_gpu_hour + h.server_embodied_kg_per_gpu_hour)
               ORDER BY a.gpu_index, a.energy_wh, a.gpu_s) AS embodied
    FROM gpu_energy_attributed AS a
    JOIN hosts AS h USING (host)
    WHERE a.hour_utc >= $start AND a.hour_utc < $end
    GROUP BY a.hour_utc, a.site, a.host, a.job_key
),
weights AS (
    SELECT
        hour_utc, site, host, job_key,
        coalesce(gpu_s / nullif(sum(gpu_s) OVER w, 0), 1.0 / count(*) OVER w) AS w_time,
        coalesce(energy_wh / nullif(sum(energy_wh) OVER w, 0),
                 gpu_s / nullif(sum(gpu_s) OVER w, 0), 1.0 / count(*) OVER w) AS w_energy,
        coalesce(embodied / nullif(sum(embodied) OVER w, 0),
                 gpu_s / nullif(sum(gpu_s) OVER w, 0), 1.0 / count(*) OVER w) AS w_embodied
    FROM host_use
    -- ordered, whole-partition frames: the sums come out the same bits on every run
    WINDOW w AS (PARTITION BY hour_utc, site, job_key ORDER BY host
                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
host_footprint AS (
    SELECT
        f.hour_utc, f.site, w.host, f.job_key,
        f.gpu_hours * w.w_time AS gpu_hours,
        f.gpu_energy_kwh * w.w_energy AS gpu_energy_kwh,
        coalesce((f.gpu_energy_kwh * w.w_energy + f.host_energy_kwh * w.w_time)
                 / nullif(f.it_energy_kwh, 0), w.w_time) AS w_it,
        f.it_energy_kwh, f.facility_energy_kwh, f.co2e_kg_location, f.co2e_kg_market,
        f.co2e_kg_market_residual, f.instrument_kwh, f.water_l,
        f.embodied_kg * w.w_embodied AS embodied_kg
    FROM footprint_hourly AS f
    JOIN weights AS w
      ON w.hour_utc = f.hour_utc AND w.site = f.site AND w.job_key IS NOT DISTINCT FROM f.job_key
    WHERE f.hour_utc >= $start AND f.hour_utc < $end
),
host_hours AS (
    SELECT DISTINCT host, hour_utc FROM host_footprint
),
lines AS (
    SELECT DISTINCT c.source_path, c.line, c.host, r.charge_period_start AS cps,
           r.charge_period_end AS cpe
    FROM cost_attributed AS c
    JOIN raw_billing AS r USING (source_path, line)
    WHERE c.day >= CAST($start AS DATE) AND c.day < CAST($end AS DATE)
      AND c.basis IN ('gpu_share', 'idle')
),
line_hours AS (
    SELECT l.source_path, l.line, h.host, h.hour_utc,
           epoch(least(h.hour_utc + INTERVAL 1 HOUR, l.cpe) - greatest(h.hour_utc, l.cps))
               / 3600.0 AS covered
    FROM lines AS l
    JOIN host_hours AS h
      ON h.host = l.host AND h.hour_utc < l.cpe AND h.hour_utc + INTERVAL 1 HOUR > l.cps
),
parts AS (
    SELECT 'billed' AS kind, source_path, line, host, hour_utc,
           covered / greatest(1.0, sum(covered) OVER (
               PARTITION BY host, hour_utc ORDER BY source_path, line
               ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) AS fraction
    FROM line_hours
    UNION ALL
    SELECT 'not_billed', NULL, NULL, h.host, h.hour_utc,
           1.0 - least(1.0, coalesce(sum(o.covered ORDER BY o.source_path, o.line), 0.0))
    FROM host_hours AS h
    LEFT JOIN line_hours AS o USING (host, hour_utc)
    GROUP BY h.host, h.hour_utc
),
jobs AS (
    -- as cost_attributed: should two days disagree on a job's labels, the latest day wins
    SELECT job_key, phase, model, team
    FROM job_allocations
    QUALIFY row_number() OVER (PARTITION BY job_key ORDER BY day DESC, phase, model, team) = 1
)
SELECT
    p.kind, p.source_path, p.line,
    CASE WHEN p.kind = 'not_billed' THEN CAST(p.hour_utc AS DATE) END AS day,
    f.site, f.host, f.job_key,
    CASE WHEN f.job_key IS NULL THEN 'idle' ELSE coalesce(j.phase, 'unclassified') END AS phase,
    j.model, j.team,
    min(p.hour_utc) AS first_hour_utc,
    max(p.hour_utc) + INTERVAL 1 HOUR AS end_hour_utc,
    sum(p.fraction * f.gpu_hours ORDER BY p.hour_utc) AS gpu_hours,
    sum(p.fraction * f.gpu_energy_kwh ORDER BY p.hour_utc) AS gpu_energy_kwh,
    sum(p.fraction * f.w_it * f.it_energy_kwh ORDER BY p.hour_utc) AS it_energy_kwh,
    sum(p.fraction * f.w_it * f.facility_energy_kwh ORDER BY p.hour_utc) AS facility_energy_kwh,
    sum(p.fraction * f.w_it * f.co2e_kg_location ORDER BY p.hour_utc) AS co2e_kg_location,
    sum(p.fraction * f.w_it * f.co2e_kg_market ORDER BY p.hour_utc) AS co2e_kg_market,
    sum(p.fraction * f.w_it * f.co2e_kg_market_residual ORDER BY p.hour_utc)
        AS co2e_kg_market_residual,
    sum(p.fraction * f.w_it * f.instrument_kwh ORDER BY p.hour_utc) AS instrument_kwh,
    sum(p.fraction * f.w_it * f.water_l ORDER BY p.hour_utc) AS water_l,
    sum(p.fraction * f.embodied_kg ORDER BY p.hour_utc) AS embodied_kg
FROM parts AS p
JOIN host_footprint AS f USING (host, hour_utc)
LEFT JOIN jobs AS j ON j.job_key = f.job_key
WHERE p.fraction > 0
GROUP BY ALL
ORDER BY p.kind, p.source_path, p.line, day, f.host, f.job_key NULLS FIRST;
