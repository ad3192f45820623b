DELETE FROM gpu_energy_intervals WHERE hour_utc >= $start AND hour_utc < $end;
