-- GPU energy pieces of hours in [$start, $end) per UTC day and source (counter, samples,
-- estimated): GPUs, pieces and energy in kWh.
SELECT
    CAST(hour_utc AS DATE) AS day,
    source,
    count(DISTINCT (host, gpu_index)) AS gpus,
    count(*) AS pieces,
    sum(energy_wh ORDER BY host, gpu_index, start_utc) / 1000.0 AS energy_kwh
FROM gpu_energy_intervals
WHERE hour_utc >= $start AND hour_utc < $end
GROUP BY day, source
ORDER BY day, source;
