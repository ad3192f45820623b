-- First and last UTC day any declared run spans (a run ending at 00:00 spans no part of that day).
SELECT
    CAST(min(start_utc) AS DATE),
    CAST(max(greatest(start_utc, end_utc - INTERVAL 1 MICROSECOND)) AS DATE)
FROM raw_declared_usage;
