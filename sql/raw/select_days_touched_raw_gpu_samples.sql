-- UTC days whose GPU energy the samples of landing files $source_paths feed, per file: for each
-- GPU in a file, from its previous sample (from any file) before the file's first sample of it
-- to the next one after its last (an interval crossing midnight is cut into both days; one ending
-- exactly at midnight is not in the next day). Run before a changed file's rows are deleted (the
-- days its old samples fed) and once after an ingest for all files it read (the days their new
-- samples feed). $lo and $hi are the files' first and last sample times (from the manifest), so
-- only row groups near them are read, and neighbours are looked for within a day, as the pieces
-- read at most a day beyond their window (pipeline/method/pieces.py): the cost of a nightly
-- ingest does not grow with the history in the warehouse. Every day between a file's first and
-- last sample of a GPU counts as touched.
WITH mine AS (
    SELECT source_path, host, gpu_index, min(ts_utc) AS lo, max(ts_utc) AS hi
    FROM raw_gpu_samples
    WHERE ts_utc >= $lo AND ts_utc <= $hi AND list_contains($source_paths, source_path)
    GROUP BY source_path, host, gpu_index
),
near AS (
    SELECT host, gpu_index, ts_utc
    FROM raw_gpu_samples
    WHERE ts_utc >= $lo - INTERVAL 1 DAY AND ts_utc <= $hi + INTERVAL 1 DAY
),
spans AS (
    SELECT
        m.source_path,
        CAST(coalesce(max(n.ts_utc) FILTER (WHERE n.ts_utc < m.lo), m.lo) AS DATE) AS first_day,
        CAST(greatest(m.hi, coalesce(min(n.ts_utc) FILTER (WHERE n.ts_utc > m.hi), m.hi)
                            - INTERVAL 1 MICROSECOND) AS DATE) AS last_day
    FROM mine AS m
    JOIN near AS n ON n.host = m.host AND n.gpu_index = m.gpu_index
    GROUP BY m.source_path, m.host, m.gpu_index, m.lo, m.hi
)
SELECT DISTINCT
    source_path, CAST(unnest(generate_series(first_day, last_day, INTERVAL 1 DAY)) AS DATE) AS day
FROM (SELECT DISTINCT source_path, first_day, last_day FROM spans)
ORDER BY source_path, day;
