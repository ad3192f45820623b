-- UTC days whose GPU energy one landing file's samples feed: the days of every interval a sample
-- bounds, from the previous sample of the same GPU (from any file) to the next one, as an
-- interval crossing midnight is cut into both days (an interval ending exactly at midnight is
-- not in the next day). Run before a changed file's rows are deleted (the days its old samples
-- fed) and after its new rows are inserted (the days they feed).
WITH mine AS (
    SELECT host, gpu_index, min(ts_utc) AS lo, max(ts_utc) AS hi
    FROM raw_gpu_samples
    WHERE source_path = $source_path
    GROUP BY host, gpu_index
),
edges AS (
    SELECT
        m.host, m.gpu_index,
        coalesce(max(s.ts_utc) FILTER (WHERE s.ts_utc < m.lo), m.lo) AS read_from,
        coalesce(min(s.ts_utc) FILTER (WHERE s.ts_utc > m.hi), m.hi) AS read_to
    FROM mine AS m
    JOIN raw_gpu_samples AS s ON s.host = m.host AND s.gpu_index = m.gpu_index
    GROUP BY m.host, m.gpu_index, m.lo, m.hi
),
neighbours AS (
    SELECT
        s.source_path, s.ts_utc,
        lag(s.ts_utc) OVER w AS prev_ts,
        lead(s.ts_utc) OVER w AS next_ts
    FROM raw_gpu_samples AS s
    JOIN edges AS e ON s.host = e.host AND s.gpu_index = e.gpu_index
    WHERE s.ts_utc >= e.read_from AND s.ts_utc <= e.read_to
    WINDOW w AS (PARTITION BY s.host, s.gpu_index ORDER BY s.ts_utc)
),
spans AS (
    SELECT
        CAST(coalesce(prev_ts, ts_utc) AS DATE) AS first_day,
        CAST(greatest(ts_utc, coalesce(next_ts, ts_utc) - INTERVAL 1 MICROSECOND) AS DATE)
            AS last_day
    FROM neighbours
    WHERE source_path = $source_path
)
SELECT DISTINCT CAST(unnest(generate_series(first_day, last_day, INTERVAL 1 DAY)) AS DATE) AS day
FROM (SELECT DISTINCT first_day, last_day FROM spans)
ORDER BY day;
