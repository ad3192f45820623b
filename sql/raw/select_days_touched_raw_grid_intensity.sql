-- UTC days one landing file's grid intensities can change: every day of each month the file has
-- slots in, up to $until, as an hour without hourly data is priced at the zone's monthly mean
-- (insert_footprint_hourly.sql), which any slot of the month moves.
WITH spans AS (
    SELECT DISTINCT
        CAST(date_trunc('month', datetime_utc) AS DATE) AS first_day,
        least(CAST(date_trunc('month', datetime_utc) + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE),
              CAST($until AS DATE)) AS last_day
    FROM raw_grid_intensity
    WHERE source_path = $source_path
)
SELECT DISTINCT CAST(unnest(generate_series(first_day, last_day, INTERVAL 1 DAY)) AS DATE) AS day
FROM spans
ORDER BY day;
