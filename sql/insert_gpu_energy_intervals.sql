-- Integrate GPU power samples for one window [$start, $end) into pieces cut at hour boundaries.
-- Two samples further apart than $max_gap_s are a gap: its power is estimated (power model at the
-- mean utilisation of the bounding samples, else their mean power) and the piece is 'estimated'.
-- A gap longer than $max_fill_s gives no pieces: two samples a day apart say nothing about the
-- day between, so those hours count as without telemetry (allocations there are estimated from
-- the scheduler instead, see insert_gpu_energy_attributed).
-- A sample with no power but a utilisation is priced by the power model (idle + (TDP-idle) × util).
-- Per GPU, the last sample before $start and the first at or after $end are read too, so an
-- interval crossing an edge is kept, then cut there. (A gap is longer than $max_gap_s, so reading
-- only $max_gap_s beyond the edges would drop a gap crossing midnight from both daily windows.)
INSERT INTO gpu_energy_intervals
WITH readable AS (
    SELECT source_path, line, host, gpu_index, ts_utc, power_w, util_pct
    FROM raw_gpu_samples
    WHERE power_w IS NOT NULL OR util_pct IS NOT NULL
),
edges AS (
    SELECT
        host, gpu_index,
        coalesce(max(ts_utc) FILTER (WHERE ts_utc < $start), $start) AS read_from,
        coalesce(min(ts_utc) FILTER (WHERE ts_utc >= $end), $end) AS read_to
    FROM readable
    GROUP BY host, gpu_index
),
samples AS (
    SELECT
        s.host, s.gpu_index, s.ts_utc, h.site, h.idle_w, h.tdp_w, s.util_pct,
        coalesce(s.power_w, h.idle_w + (h.tdp_w - h.idle_w) * s.util_pct / 100.0) AS power_w,
        s.power_w IS NULL AS power_estimated
    FROM readable AS s
    JOIN edges AS e ON e.host = s.host AND e.gpu_index = s.gpu_index
    JOIN hosts AS h ON h.host = s.host
    WHERE s.ts_utc >= e.read_from AND s.ts_utc <= e.read_to
    -- the same sample read from two overlapping files counts once
    QUALIFY row_number() OVER (
        PARTITION BY s.host, s.gpu_index, s.ts_utc ORDER BY s.source_path, s.line) = 1
),
pairs AS (
    SELECT
        host, gpu_index, site, idle_w, tdp_w,
        ts_utc AS t0, lead(ts_utc) OVER w AS t1,
        power_w AS p0, lead(power_w) OVER w AS p1,
        util_pct AS u0, lead(util_pct) OVER w AS u1,
        power_estimated OR lead(power_estimated) OVER w AS any_estimated
    FROM samples
    WINDOW w AS (PARTITION BY host, gpu_index ORDER BY ts_utc)
),
intervals AS (
    SELECT
        host, gpu_index, site, t0, t1, p0, p1, any_estimated,
        epoch(t1 - t0) > $max_gap_s AS is_gap,
        coalesce(idle_w + (tdp_w - idle_w) * (u0 + u1) / 200.0, (p0 + p1) / 2.0) AS gap_power_w
    FROM pairs
    WHERE t1 IS NOT NULL AND t1 > $start AND t0 < $end AND epoch(t1 - t0) <= $max_fill_s
),
shaped AS (
    SELECT
        host, gpu_index, site, t0, t1,
        CASE WHEN is_gap THEN gap_power_w ELSE p0 END AS p0,
        CASE WHEN is_gap THEN gap_power_w ELSE p1 END AS p1,
        CASE WHEN is_gap OR any_estimated THEN 'estimated' ELSE 'samples' END AS source
    FROM intervals
),
pieces AS (
    SELECT
        i.*, hr.hour_utc,
        greatest(i.t0, hr.hour_utc) AS c,
        least(i.t1, hr.hour_utc + INTERVAL 1 HOUR) AS d
    FROM shaped AS i,
        LATERAL (SELECT unnest(range(date_trunc('hour', i.t0), i.t1, INTERVAL 1 HOUR)) AS hour_utc) AS hr
    WHERE hr.hour_utc >= $start AND hr.hour_utc < $end
),
powered AS (
    SELECT
        *,
        p0 + (p1 - p0) * epoch(c - t0) / epoch(t1 - t0) AS pc,
        p0 + (p1 - p0) * epoch(d - t0) / epoch(t1 - t0) AS pd
    FROM pieces
    WHERE d > c
)
SELECT
    hour_utc, site, host, gpu_index, c AS start_utc, d AS end_utc,
    pc AS start_power_w, pd AS end_power_w,
    epoch(d - c) * (pc + pd) / 2.0 / 3600.0 AS energy_wh,
    source
FROM powered;
