-- Reconcile gpu_energy_intervals (merged pieces, pipeline/method/runs.py) with raw_gpu_samples. Grain: GPU-hour (host × gpu_index
-- × hour_utc) in [$start, $end), every GPU-hour with pieces or samples. One row per quantity:
-- how many GPU-hours were checked, how many are off by more than $atol + $rtol × |expected|, the
-- largest difference and where, and the window's totals (this table, what the samples imply).
--  * energy_wh: a piece's energy is the trapezoid of its own end powers over its duration
--    (pipeline/method/pieces.py): Σ energy_wh against Σ duration × (p_start + p_end) / 2.
--  * gpu_s: the pieces' seconds in the hour (covered_s: merged rows keep their pieces' own), at most 3600 (pieces of a GPU never overlap) and,
--    where every sample of the GPU-hour has a power and $fills_hours (max_fill_s ≥ 1 h: samples
--    less than an hour apart always give pieces), at least the span from its first to its last
--    sample in the hour.
--  * max_power_w, min_power_w: 'samples' pieces interpolate between two samples at most
--    max_gap_s apart, so their end powers lie within the powers sampled on that GPU from
--    max_gap_s before the hour to max_gap_s after it (read as whole hours: $near_h on each
--    side, near_h = floor(max_gap_s / 3600) + 1). A 'samples' piece with no sample near is off.
--  * other_power_w: 'counter' and 'estimated' pieces run at most $max_tdp_ratio × TDP (or the
--    GPU's highest nearby sample, if higher) and never below 0 W.
-- Expected values are the observed ones clamped to their bounds, so a total's difference is how
-- far outside its bounds this table is. Aggregates only: one pass over each table's window.
WITH sample_hours AS (
    SELECT
        s.host, s.gpu_index, date_trunc('hour', s.ts_utc) AS hour_utc,
        min(s.power_w) AS min_w, max(s.power_w) AS max_w,
        epoch(max(s.ts_utc) - min(s.ts_utc)) AS span_s,
        count(s.power_w) = count(*) AS all_powered
    FROM raw_gpu_samples AS s
    -- pieces are made only for inventory hosts, from samples with something to price
    SEMI JOIN hosts AS h ON h.host = s.host
    WHERE s.ts_utc >= $start - to_hours(CAST($near_h AS BIGINT))
      AND s.ts_utc < $end + to_hours(CAST($near_h AS BIGINT))
      AND (s.power_w IS NOT NULL OR s.util_pct IS NOT NULL OR s.energy_mj IS NOT NULL)
    GROUP BY ALL
),
near AS (
    -- the powers each GPU-hour's 'samples' pieces may take: samples of the hours around it
    SELECT host, gpu_index, hour_utc, min(min_w) AS lo_w, max(max_w) AS hi_w
    FROM (
        SELECT host, gpu_index, min_w, max_w,
               unnest(range(hour_utc - to_hours(CAST($near_h AS BIGINT)),
                            hour_utc + to_hours(CAST($near_h AS BIGINT) + 1),
                            INTERVAL 1 HOUR)) AS hour_utc
        FROM sample_hours
    )
    WHERE hour_utc >= $start AND hour_utc < $end
    GROUP BY ALL
),
piece_hours AS (
    SELECT
        host, gpu_index, hour_utc,
        sum(energy_wh) AS energy_wh,
        sum(epoch(end_utc - start_utc) * (start_power_w + end_power_w) / 7200.0) AS trapezoid_wh,
        sum(covered_s) AS gpu_s,
        max(hi_w) FILTER (WHERE source = 'samples') AS max_w,
        min(lo_w) FILTER (WHERE source = 'samples') AS min_w,
        max(hi_w) FILTER (WHERE source <> 'samples') AS other_max_w,
        min(lo_w) FILTER (WHERE source <> 'samples') AS other_min_w
    FROM (
        -- a merged row with holes (covered_s below its span) ran at its energy over its own
        -- seconds; any other row between its end powers
        SELECT
            *,
            CASE WHEN covered_s < epoch(end_utc - start_utc) THEN energy_wh * 3600.0 / covered_s
                 ELSE greatest(start_power_w, end_power_w) END AS hi_w,
            CASE WHEN covered_s < epoch(end_utc - start_utc) THEN energy_wh * 3600.0 / covered_s
                 ELSE least(start_power_w, end_power_w) END AS lo_w
        FROM gpu_energy_intervals
    )
    WHERE hour_utc >= $start AND hour_utc < $end
    GROUP BY ALL
),
gpu_hours AS (
    SELECT
        concat_ws(' ', coalesce(p.host, s.host), 'GPU', coalesce(p.gpu_index, s.gpu_index),
                  strftime(coalesce(p.hour_utc, s.hour_utc), '%Y-%m-%d %H:00')) AS place,
        coalesce(p.energy_wh, 0.0) AS energy_wh,
        coalesce(p.trapezoid_wh, 0.0) AS trapezoid_wh,
        coalesce(p.gpu_s, 0.0) AS gpu_s,
        CASE WHEN s.all_powered AND $fills_hours THEN s.span_s ELSE 0.0 END AS min_gpu_s,
        p.max_w, p.min_w, n.lo_w, n.hi_w, p.other_max_w, p.other_min_w,
        greatest($max_tdp_ratio * h.tdp_w, coalesce(n.hi_w, 0.0)) AS other_hi_w
    FROM piece_hours AS p
    FULL OUTER JOIN (
        SELECT * FROM sample_hours WHERE hour_utc >= $start AND hour_utc < $end
    ) AS s USING (host, gpu_index, hour_utc)
    LEFT JOIN near AS n USING (host, gpu_index, hour_utc)
    LEFT JOIN hosts AS h USING (host)
),
compared AS (
    SELECT place, unnest([
        {quantity: 'energy_wh', against: 'the pieces'' own powers × durations',
         a: energy_wh, b: trapezoid_wh},
        {quantity: 'gpu_s', against: 'raw_gpu_samples (0 ≤ s ≤ 3600, ≥ the samples'' span)',
         a: gpu_s, b: least(greatest(gpu_s, min_gpu_s), 3600.0)},
        -- least/greatest skip NULLs: a bound with no sample near is NULL (fails) explicitly
        {quantity: 'max_power_w', against: 'raw_gpu_samples (highest power nearby)',
         a: max_w, b: CASE WHEN hi_w IS NOT NULL THEN least(max_w, hi_w) END},
        {quantity: 'min_power_w', against: 'raw_gpu_samples (lowest power nearby)',
         a: min_w, b: CASE WHEN lo_w IS NOT NULL THEN greatest(min_w, lo_w) END},
        -- a power below 0 W counts as that far above the bound
        {quantity: 'other_power_w', against: 'the TDP bound (0 W to ratio × TDP)',
         a: other_max_w - least(other_min_w, 0.0), b: least(other_max_w, other_hi_w)}
    ], recursive := true)
    FROM gpu_hours
)
SELECT
    quantity, any_value(against) AS against,
    count(*) AS checked,
    count(*) FILTER (WHERE b IS NULL OR abs(a - b) > $atol + $rtol * abs(b)) AS failing,
    coalesce(max(coalesce(abs(a - b), abs(a))), 0.0) AS worst_abs_diff,
    arg_max(place, coalesce(abs(a - b), abs(a))) AS worst_at,
    coalesce(sum(a), 0.0) AS total,
    coalesce(sum(b), 0.0) AS upstream_total
FROM compared
WHERE a IS NOT NULL
GROUP BY quantity
ORDER BY quantity;
