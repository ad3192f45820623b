DELETE FROM gpu_energy_attributed WHERE hour_utc >= $start AND hour_utc < $end;
