-- First and last UTC day of [$first, $last] that declared runs span (NULLs when none does); a run
-- ending at 00:00 spans no part of that day. (greatest/least skip NULLs: hence the CASE.)
SELECT
    CASE WHEN count(*) > 0
         THEN greatest(CAST($first AS DATE), CAST(min(start_utc) AS DATE)) END,
    CASE WHEN count(*) > 0
         THEN least(CAST($last AS DATE), CAST(max(end_utc - INTERVAL 1 MICROSECOND) AS DATE)) END
FROM raw_declared_usage
WHERE start_utc < CAST($last AS DATE) + INTERVAL 1 DAY AND end_utc > CAST($first AS DATE);
