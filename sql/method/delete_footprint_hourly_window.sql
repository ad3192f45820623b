DELETE FROM footprint_hourly WHERE hour_utc >= $start AND hour_utc < $end;
