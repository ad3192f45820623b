-- Site-hours in [$start, $end) priced with a fallback intensity instead of hourly grid data.
SELECT count(DISTINCT (site, hour_utc))
FROM footprint_hourly
WHERE hour_utc >= $start AND hour_utc < $end AND intensity_source <> 'hourly';
