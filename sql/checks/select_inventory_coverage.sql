-- Inventory coverage of [$start, $end). Grain: host × run, a run being a maximal stretch of the
-- host's consecutive hours that all lack telemetry for some GPU-hours (a gap, has_gap) or all
-- have it in full.
-- GPU-hours per host-hour:
-- expected: the host's GPUs × the part of the hour it is in service (hosts.in_service_from/to,
--   UTC days, both included; NULL: always) inside the window.
-- measured: 'counter' and 'samples' pieces of gpu_energy_intervals; estimated: 'estimated' pieces
--   (gaps filled, samples without power) plus the GPU-seconds the estimation path priced on
--   host-hours without telemetry (gpu_energy_attributed rows with gpu_index NULL).
-- Edges: where a GPU's pieces begin at most $edge_s (telemetry.max_gap_s) after the host's span
--   in the window begins, or end at most $edge_s before it ends, the part between counts in the
--   source of that first or last piece: the data stop there within one sampling interval, the
--   same tolerance that makes two samples one measured interval. Anything longer is missing.
-- measured is capped at expected (GPUs the inventory does not list cover no one else's hours),
-- estimated at what measured leaves; missing = expected - measured - estimated. unreported: the
-- GPU-hours without telemetry (measured or filled), whether the scheduler estimated them or not.
-- A run has_gap where unreported exceeds $tolerance_gpu_h in each of its hours (missing is never
-- above unreported, so every missing GPU-hour is in a gap). reported: any telemetry piece.
WITH span AS (
    SELECT
        host, site, gpus,
        greatest($start, coalesce(CAST(in_service_from AS TIMESTAMP), $start)) AS lo,
        least($end, coalesce(CAST(in_service_to AS TIMESTAMP) + INTERVAL 1 DAY, $end)) AS hi
    FROM hosts
),
expected AS (
    SELECT
        host, site, hour_utc,
        gpus * epoch(least(hi, hour_utc + INTERVAL 1 HOUR) - greatest(lo, hour_utc)) / 3600.0
            AS expected_gpu_h
    FROM (
        SELECT *, unnest(range(date_trunc('hour', lo), hi, INTERVAL 1 HOUR)) AS hour_utc
        FROM span
        WHERE hi > lo
    )
),
gpu_hours AS (
    -- one pass over the pieces (the bulk): per GPU and hour, seconds by how they are known and
    -- the first and last piece
    SELECT
        host, gpu_index, hour_utc,
        coalesce(sum(covered_s)
                 FILTER (WHERE source IN ('counter', 'samples')), 0.0) AS measured_s,
        coalesce(sum(covered_s)
                 FILTER (WHERE source NOT IN ('counter', 'samples')), 0.0) AS filled_s,
        min(start_utc) AS first_start, arg_min(source, start_utc) AS first_source,
        max(end_utc) AS last_end, arg_max(source, end_utc) AS last_source
    FROM gpu_energy_intervals
    WHERE hour_utc >= date_trunc('hour', $start) AND hour_utc < $end
    GROUP BY host, gpu_index, hour_utc
),
edges AS (
    SELECT
        g.host, s.lo, s.hi,
        min(g.first_start) AS first_start, arg_min(g.first_source, g.first_start) AS first_source,
        max(g.last_end) AS last_end, arg_max(g.last_source, g.last_end) AS last_source
    FROM gpu_hours AS g
    JOIN span AS s ON s.host = g.host
    GROUP BY g.host, g.gpu_index, s.lo, s.hi
),
edge_spans AS (
    SELECT host, lo AS t0, first_start AS t1, first_source AS source
    FROM edges
    WHERE first_start > lo AND epoch(first_start - lo) <= $edge_s
    UNION ALL
    SELECT host, last_end AS t0, hi AS t1, last_source AS source
    FROM edges
    WHERE last_end < hi AND epoch(hi - last_end) <= $edge_s
),
edge_hours AS (
    SELECT
        host, hour_utc,
        epoch(least(t1, hour_utc + INTERVAL 1 HOUR) - greatest(t0, hour_utc)) AS dur_s,
        source IN ('counter', 'samples') AS measured
    FROM (
        SELECT *, unnest(range(date_trunc('hour', t0), t1, INTERVAL 1 HOUR)) AS hour_utc
        FROM edge_spans
    )
),
telemetry AS (
    SELECT host, hour_utc, sum(measured_s) / 3600.0 AS measured_gpu_h,
           sum(filled_s) / 3600.0 AS filled_gpu_h
    FROM (
        SELECT host, hour_utc, measured_s, filled_s FROM gpu_hours
        UNION ALL
        SELECT
            host, hour_utc,
            CASE WHEN measured THEN dur_s ELSE 0.0 END AS measured_s,
            CASE WHEN measured THEN 0.0 ELSE dur_s END AS filled_s
        FROM edge_hours
    )
    GROUP BY host, hour_utc
),
scheduler AS (
    SELECT host, hour_utc, sum(gpu_s) / 3600.0 AS scheduler_gpu_h
    FROM gpu_energy_attributed
    WHERE gpu_index IS NULL AND hour_utc >= date_trunc('hour', $start) AND hour_utc < $end
    GROUP BY host, hour_utc
),
hourly AS (
    SELECT
        e.site, e.host, e.hour_utc, e.expected_gpu_h,
        least(coalesce(t.measured_gpu_h, 0.0), e.expected_gpu_h) AS measured_gpu_h,
        least(
            coalesce(t.filled_gpu_h, 0.0) + coalesce(s.scheduler_gpu_h, 0.0),
            e.expected_gpu_h - least(coalesce(t.measured_gpu_h, 0.0), e.expected_gpu_h)
        ) AS estimated_gpu_h,
        e.expected_gpu_h - least(
            coalesce(t.measured_gpu_h, 0.0) + coalesce(t.filled_gpu_h, 0.0), e.expected_gpu_h
        ) AS unreported_gpu_h,
        t.host IS NOT NULL AS reported
    FROM expected AS e
    LEFT JOIN telemetry AS t ON t.host = e.host AND t.hour_utc = e.hour_utc
    LEFT JOIN scheduler AS s ON s.host = e.host AND s.hour_utc = e.hour_utc
),
flagged AS (
    SELECT
        *,
        greatest(expected_gpu_h - measured_gpu_h - estimated_gpu_h, 0.0) AS missing_gpu_h,
        unreported_gpu_h > $tolerance_gpu_h AS has_gap
    FROM hourly
),
runs AS (
    SELECT
        *,
        hour_utc - to_hours(row_number() OVER (PARTITION BY host, has_gap ORDER BY hour_utc))
            AS run
    FROM flagged
)
SELECT
    site, host, has_gap,
    min(hour_utc) AS from_utc,
    max(hour_utc) + INTERVAL 1 HOUR AS to_utc,
    sum(expected_gpu_h ORDER BY hour_utc) AS expected_gpu_hours,
    sum(measured_gpu_h ORDER BY hour_utc) AS measured_gpu_hours,
    sum(estimated_gpu_h ORDER BY hour_utc) AS estimated_gpu_hours,
    sum(missing_gpu_h ORDER BY hour_utc) AS missing_gpu_hours,
    sum(unreported_gpu_h ORDER BY hour_utc) AS unreported_gpu_hours,
    bool_or(reported) AS reported
FROM runs
GROUP BY site, host, has_gap, run
ORDER BY host, from_utc;
