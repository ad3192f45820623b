-- Landing files behind a window: every manifest row of a target table in $tables (a list) whose
-- rows' time span [min_ts_utc, max_ts_utc] overlaps [$start, $end). Files without timestamps
-- (nothing accepted) carry no rows into any window and are left out. In path order.
SELECT source_path, format, target_table, rows_accepted, rows_quarantined
FROM ingest_manifest
WHERE list_contains($tables, target_table)
  AND min_ts_utc < $end AND max_ts_utc >= $start
ORDER BY source_path;
