-- Grid-intensity conflicts in [$start, $end): slots (zone × datetime_utc) of the sites' zones for
-- which two files of equal standing (measured, else estimated: the readings footprint_hourly
-- chooses among) give different direct intensities. Grain: one count. A file's value for a slot is
-- the mean of its rows there; the same value from several files is no conflict. Precedence
-- resolves each (insert_footprint_hourly.sql, grid_slots).
SELECT count(*) AS conflicts
FROM (
    SELECT zone, datetime_utc
    FROM (
        SELECT zone, datetime_utc, source_path, avg(gco2e_per_kwh_direct) AS value
        FROM (
            SELECT zone, datetime_utc, source_path, gco2e_per_kwh_direct
            FROM raw_grid_intensity
            WHERE datetime_utc >= $start AND datetime_utc < $end
              AND gco2e_per_kwh_direct IS NOT NULL
              AND zone IN (SELECT grid_zone FROM sites)
            QUALIFY coalesce(is_estimated, false)
                = bool_and(coalesce(is_estimated, false)) OVER (PARTITION BY zone, datetime_utc)
        )
        GROUP BY zone, datetime_utc, source_path
    )
    GROUP BY zone, datetime_utc
    HAVING count(DISTINCT value) > 1
);
