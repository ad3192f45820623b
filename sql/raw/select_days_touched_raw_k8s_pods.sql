-- UTC days one landing file's Kubernetes pods can change: for each pod name (namespace, pod) in
-- the file, from the earliest start of any of its incarnations (from any file: the labels of the
-- name's latest incarnation classify all of them, and a new incarnation ends a running one) to
-- the latest end, or to $until when an incarnation has no end (running when exported). Pending
-- pods (no start) are not allocations. Run before a changed file's rows are deleted and after
-- its new rows are inserted.
WITH names AS (
    SELECT DISTINCT namespace, pod
    FROM raw_k8s_pods
    WHERE source_path = $source_path AND start_utc IS NOT NULL
),
spans AS (
    SELECT
        CAST(min(p.start_utc) AS DATE) AS first_day,
        CASE WHEN bool_or(p.end_utc IS NULL) THEN CAST($until AS DATE)
             ELSE CAST(greatest(min(p.start_utc), max(p.end_utc) - INTERVAL 1 MICROSECOND) AS DATE)
        END AS last_day
    FROM raw_k8s_pods AS p
    JOIN names USING (namespace, pod)
    WHERE p.start_utc IS NOT NULL
    GROUP BY p.namespace, p.pod
)
SELECT DISTINCT CAST(unnest(generate_series(first_day, last_day, INTERVAL 1 DAY)) AS DATE) AS day
FROM spans
ORDER BY day;
