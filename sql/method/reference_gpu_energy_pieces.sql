-- REFERENCE, not run by the pipeline: GPU energy pieces for one window [$start, $end), cut at hour
-- boundaries, from consecutive samples of each GPU (an interval runs from one sample to the next).
-- The pipeline computes the same pieces in one streaming pass over the telemetry lake
-- (pipeline/method/pieces.py, polars); the tests compare the two on every shape they build, so
-- this statement is the method's executable specification. Grain: host × gpu_index × piece.
-- 1. Energy counter (source 'counter', preferred). Where both samples carry energy_mj (the GPU's
--    counter in mJ since boot), the interval's energy is the counter delta: exact, whatever the
--    power did between the samples. It is placed at constant power, delta / duration, so cutting
--    it at hours (here) or at job boundaries (insert_gpu_energy_attributed) splits it by time.
--    A decrease is a wrap when the counter was near the top of its range: the delta modulo 2^64
--    (DCGM/NVML counters are unsigned 64-bit mJ) or 2^32 (a 32-bit counter: both values below
--    2^32) that stays within what the GPU can draw, at most $wrap_max_tdp_ratio × TDP over the
--    interval, and only for an interval no longer than $max_gap_s (a 32-bit counter at 700 W wraps
--    every 1.7 h, so a longer one may have wrapped more than once). Any other decrease is a reset
--    (driver reload, reboot): the counter says nothing about that interval, which falls back to
--    the power path below; the next interval starts a new counter segment. A rise is implausible
--    when it needs a mean power above $counter_max_tdp_ratio × TDP over the interval (at least a
--    second of it: counter updates are quantised): the counter then says nothing either, and the
--    interval falls back to the power path (pipeline/plausibility.py, docs/checks-plausibility.md).
--    A counter interval longer than $max_fill_s is kept, at its average power: an unbroken
--    counter means the driver stayed loaded, so the GPU was powered throughout and the delta is
--    its true energy; only where in the interval it was spent is assumed.
-- 2. Power samples otherwise (no counter on one side, or a reset). Two samples further apart than
--    $max_gap_s are a gap: its power is estimated (power model at the mean utilisation of the
--    bounding samples, else their mean power) and the piece is 'estimated'. A gap longer than
--    $max_fill_s gives no pieces: two samples a day apart say nothing about the day between, so
--    those hours count as without telemetry (allocations there are estimated from the scheduler
--    instead, see insert_gpu_energy_attributed). Two samples without power or utilisation (a
--    counter reset between counter-only samples) give no pieces either.
--    A sample with no power but a utilisation is priced by the power model
--    (idle + (TDP-idle) × util), and any interval touching it is 'estimated'.
-- workload: the label of the interval's starting sample (the job the telemetry says ran then).
-- Per GPU, the last sample before $start and the first at or after $end are read too, so an
-- interval crossing an edge is kept, then cut there. (A gap is longer than $max_gap_s, so reading
-- only $max_gap_s beyond the edges would drop a gap crossing midnight from both daily windows.)
-- Samples are read only within $lookback_s of the window (max(max_fill_s, 1 day)): a power gap
-- longer than max_fill_s gives no pieces anyway, so only a counter interval longer than a day
-- crossing an edge is missed. The bound is what keeps a nightly run's cost independent of the
-- history in the warehouse (the time filter prunes row groups by their min/max).
WITH readable AS NOT MATERIALIZED (
    -- read by three steps below: scanned again by each (cheap) rather than held (57.6 M rows a
    -- day for 10,000 GPUs at 15 s would spill)
    SELECT source_path, line, host, gpu_index, ts_utc, power_w, util_pct, energy_mj, workload,
           gpu_uuid IS NOT NULL AS identified
    FROM raw_gpu_samples
    WHERE (power_w IS NOT NULL OR util_pct IS NOT NULL OR energy_mj IS NOT NULL)
      AND ts_utc >= $start - to_seconds($lookback_s) AND ts_utc < $end + to_seconds($lookback_s)
),
file_spans AS (
    -- one pass over the samples: each file's span per GPU, and its samples nearest the window;
    -- `identified`: the file names the GPU by its UUID
    SELECT
        host, gpu_index, source_path, min(ts_utc) AS lo, max(ts_utc) AS hi,
        bool_or(identified) AS identified,
        max(ts_utc) FILTER (WHERE ts_utc < $start) AS last_before,
        min(ts_utc) FILTER (WHERE ts_utc >= $end) AS first_after
    FROM readable
    GROUP BY host, gpu_index, source_path
),
edges AS (
    SELECT
        host, gpu_index,
        coalesce(max(last_before), $start) AS read_from,
        coalesce(min(first_after), $end) AS read_to
    FROM file_spans
    GROUP BY host, gpu_index
),
overlapping AS (
    -- GPUs with two files whose sample spans overlap: only there can a sample be read twice
    SELECT DISTINCT host, gpu_index
    FROM (
        SELECT
            host, gpu_index, lo,
            max(hi) OVER (
                PARTITION BY host, gpu_index ORDER BY lo, hi, source_path
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_hi
        FROM file_spans
    )
    WHERE lo <= earlier_hi
),
joined AS NOT MATERIALIZED (
    -- the host's site and power model join after the window, so the sort carries less
    SELECT
        s.host, s.gpu_index, s.ts_utc, s.power_w, s.util_pct, s.energy_mj, s.workload,
        s.source_path, s.line, o.host IS NOT NULL AS may_repeat
    FROM readable AS s
    JOIN edges AS e ON e.host = s.host AND e.gpu_index = s.gpu_index
    LEFT JOIN overlapping AS o ON o.host = s.host AND o.gpu_index = s.gpu_index
    WHERE s.ts_utc >= e.read_from AND s.ts_utc <= e.read_to
),
samples AS (
    SELECT * FROM joined WHERE NOT may_repeat
    UNION ALL
    -- the same sample read from two overlapping files counts once, by precedence: the file that
    -- names the GPU by its UUID, then the most recently modified (its mtime when ingested), then
    -- the one whose path sorts last (docs/checks-plausibility.md; files that disagree are counted
    -- by select_gpu_sample_conflicts.sql)
    SELECT j.* FROM joined AS j
    JOIN file_spans AS f USING (host, gpu_index, source_path)
    LEFT JOIN ingest_manifest AS m USING (source_path)
    WHERE j.may_repeat
    QUALIFY row_number() OVER (
        PARTITION BY j.host, j.gpu_index, j.ts_utc
        ORDER BY f.identified DESC, m.mtime_ns DESC NULLS LAST, j.source_path DESC, j.line) = 1
),
pairs AS (
    SELECT
        host, gpu_index, workload,
        ts_utc AS t0, lead(ts_utc) OVER w AS t1,
        epoch(lead(ts_utc) OVER w - ts_utc) AS dt_s,
        power_w AS w0, lead(power_w) OVER w AS w1,
        util_pct AS u0, lead(util_pct) OVER w AS u1,
        energy_mj AS e0, lead(energy_mj) OVER w AS e1
    FROM samples
    WINDOW w AS (PARTITION BY host, gpu_index ORDER BY ts_utc)
),
priced AS (
    -- a sample without power but with a utilisation is priced by the power model
    SELECT
        p.*, h.site, h.idle_w, h.tdp_w,
        coalesce(p.w0, h.idle_w + (h.tdp_w - h.idle_w) * p.u0 / 100.0) AS p0,
        coalesce(p.w1, h.idle_w + (h.tdp_w - h.idle_w) * p.u1 / 100.0) AS p1,
        p.w0 IS NULL OR p.w1 IS NULL AS any_estimated
    FROM pairs AS p
    JOIN hosts AS h ON h.host = p.host
    WHERE p.t1 IS NOT NULL AND p.t1 > $start AND p.t0 < $end
),
counted AS (
    SELECT
        *,
        -- counter energy of the interval in mJ; NULL: no counter on one side, or a reset
        CASE
            WHEN e1 >= e0
                 AND e1 - e0 <= $counter_max_tdp_ratio * tdp_w * greatest(dt_s, 1.0) * 1000.0
                THEN e1 - e0
            WHEN dt_s <= $max_gap_s AND e1 < e0 AND e0 < power(2.0, 32)
                 AND (power(2.0, 32) - e0) + e1 <= $wrap_max_tdp_ratio * tdp_w * dt_s * 1000.0
                THEN (power(2.0, 32) - e0) + e1
            WHEN dt_s <= $max_gap_s AND e1 < e0 AND e0 <= power(2.0, 64)
                 AND (power(2.0, 64) - e0) + e1 <= $wrap_max_tdp_ratio * tdp_w * dt_s * 1000.0
                THEN (power(2.0, 64) - e0) + e1
        END AS counter_mj,
        coalesce(idle_w + (tdp_w - idle_w) * (u0 + u1) / 200.0, (p0 + p1) / 2.0) AS gap_power_w
    FROM priced
),
shaped AS (
    SELECT
        host, gpu_index, site, workload, t0, t1,
        CASE
            WHEN counter_mj IS NOT NULL THEN counter_mj / 1000.0 / dt_s
            WHEN dt_s > $max_gap_s THEN gap_power_w
            ELSE p0
        END AS p0,
        CASE
            WHEN counter_mj IS NOT NULL THEN counter_mj / 1000.0 / dt_s
            WHEN dt_s > $max_gap_s THEN gap_power_w
            ELSE p1
        END AS p1,
        CASE
            WHEN counter_mj IS NOT NULL THEN 'counter'
            WHEN dt_s > $max_gap_s OR any_estimated THEN 'estimated'
            ELSE 'samples'
        END AS source
    FROM counted
    WHERE counter_mj IS NOT NULL
       OR (dt_s <= $max_fill_s AND p0 IS NOT NULL AND p1 IS NOT NULL)
),
hours AS (
    -- one row per hour an interval touches (unnest in the projection: a LATERAL join would hold
    -- every interval in memory to join it back)
    SELECT *, unnest(range(date_trunc('hour', t0), t1, INTERVAL 1 HOUR)) AS hour_utc
    FROM shaped
),
pieces AS (
    SELECT *, greatest(t0, hour_utc) AS c, least(t1, hour_utc + INTERVAL 1 HOUR) AS d
    FROM hours
    WHERE hour_utc >= $start AND hour_utc < $end
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
    source, workload
FROM powered;
