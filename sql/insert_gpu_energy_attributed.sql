-- Attribute each GPU energy piece in [$start, $end) to the jobs holding its host then, cut exactly
-- at job boundaries (power is linear across a piece). Without GPU indices in the allocation, a job
-- with g of a host's G GPUs takes g/G of every GPU's energy on the host; if jobs claim more than G
-- GPUs at once the shares are scaled to fit, so a GPU is never attributed more than its energy.
-- "At once" is per segment: every job start or end inside a piece cuts it, so a job ending inside
-- a piece and another starting later in it are not scaled against each other.
-- What no job holds is idle (job_key NULL).
-- Estimation path: an allocation on a host-hour with no energy pieces at all (no telemetry, or a
-- gap longer than the fill cap) is priced as its GPU-hours × the GPU model's configured average
-- power, else the power model at the phase's assumed utilisation; those rows have gpu_index NULL
-- (the scheduler does not say which GPUs) and measured_wh 0. Unallocated time on such host-hours
-- is not estimated: a host that reports nothing may be switched off.
INSERT INTO gpu_energy_attributed
WITH pieces AS (
    SELECT *, epoch(end_utc - start_utc) AS dur_s
    FROM gpu_energy_intervals
    WHERE hour_utc >= $start AND hour_utc < $end
),
matched AS (
    SELECT
        p.hour_utc, p.site, p.host, p.gpu_index, p.start_utc AS piece_start, p.source,
        p.dur_s, p.start_power_w AS p0, p.end_power_w AS p1,
        a.job_key, a.gpus_on_host, h.gpus AS host_gpus,
        greatest(p.start_utc, a.start_utc) AS c,
        least(p.end_utc, a.end_utc) AS d
    FROM pieces AS p
    JOIN job_allocations AS a
      ON a.host = p.host AND a.start_utc < p.end_utc AND a.end_utc > p.start_utc
    JOIN hosts AS h ON h.host = p.host
),
cuts AS (
    SELECT host, gpu_index, piece_start, c AS t FROM matched
    UNION
    SELECT host, gpu_index, piece_start, d AS t FROM matched
),
segments AS (
    SELECT
        host, gpu_index, piece_start, t AS s0,
        lead(t) OVER (PARTITION BY host, gpu_index, piece_start ORDER BY t) AS s1
    FROM cuts
    QUALIFY s1 IS NOT NULL
),
held AS (
    SELECT
        m.*, s.s0, s.s1,
        sum(m.gpus_on_host) OVER (PARTITION BY m.host, m.gpu_index, m.piece_start, s.s0)
            AS claimed_gpus
    FROM segments AS s
    JOIN matched AS m
      ON m.host = s.host AND m.gpu_index = s.gpu_index AND m.piece_start = s.piece_start
     AND m.c <= s.s0 AND m.d >= s.s1
),
job_parts AS (
    SELECT
        hour_utc, site, host, gpu_index, piece_start, source, job_key, s0,
        gpus_on_host / greatest(host_gpus, claimed_gpus) AS share,
        epoch(s1 - s0) AS held_s,
        p0 + (p1 - p0) * epoch(s0 - piece_start) / dur_s AS pc,
        p0 + (p1 - p0) * epoch(s1 - piece_start) / dur_s AS pd
    FROM held
),
job_energy AS (
    -- one row per piece and job (its segments summed in time order, so reruns are bit-identical)
    SELECT
        hour_utc, site, host, gpu_index, piece_start, source, job_key,
        sum(share * held_s * (pc + pd) / 2.0 / 3600.0 ORDER BY s0) AS energy_wh,
        sum(share * held_s ORDER BY s0) AS gpu_s
    FROM job_parts
    GROUP BY hour_utc, site, host, gpu_index, piece_start, source, job_key
),
idle_energy AS (
    SELECT
        p.hour_utc, p.site, p.host, p.gpu_index, p.start_utc AS piece_start, p.source,
        NULL::VARCHAR AS job_key,
        p.energy_wh - coalesce(sum(j.energy_wh ORDER BY j.job_key), 0.0) AS energy_wh,
        p.dur_s - coalesce(sum(j.gpu_s ORDER BY j.job_key), 0.0) AS gpu_s
    FROM pieces AS p
    LEFT JOIN job_energy AS j
      ON j.host = p.host AND j.gpu_index = p.gpu_index AND j.piece_start = p.start_utc
    GROUP BY p.hour_utc, p.site, p.host, p.gpu_index, p.start_utc, p.source, p.energy_wh, p.dur_s
),
parts AS (
    SELECT * FROM job_energy
    UNION ALL
    SELECT * FROM idle_energy
),
covered AS (
    SELECT DISTINCT host, hour_utc FROM pieces
),
uncovered AS (
    SELECT
        hr.hour_utc, a.site, a.host, a.job_key, a.start_utc,
        a.gpus_on_host * epoch(least(a.end_utc, hr.hour_utc + INTERVAL 1 HOUR)
                               - greatest(a.start_utc, hr.hour_utc)) AS gpu_s,
        coalesce(h.average_power_w, h.idle_w + (h.tdp_w - h.idle_w) * u.util) AS power_w
    FROM job_allocations AS a
    JOIN hosts AS h ON h.host = a.host
    JOIN phase_utilisation AS u ON u.phase = a.phase,
        LATERAL (SELECT unnest(range(date_trunc('hour', a.start_utc), a.end_utc, INTERVAL 1 HOUR))
                 AS hour_utc) AS hr
    WHERE a.start_utc < $end AND a.end_utc > $start
      AND hr.hour_utc >= $start AND hr.hour_utc < $end
      AND NOT EXISTS (SELECT 1 FROM covered AS c WHERE c.host = a.host AND c.hour_utc = hr.hour_utc)
),
estimated AS (
    SELECT
        hour_utc, site, host, NULL::INTEGER AS gpu_index, job_key,
        sum(gpu_s * power_w / 3600.0 ORDER BY start_utc) AS energy_wh,
        sum(gpu_s ORDER BY start_utc) AS gpu_s,
        0.0 AS measured_wh
    FROM uncovered
    GROUP BY hour_utc, site, host, job_key
)
SELECT
    hour_utc, site, host, gpu_index, job_key,
    sum(energy_wh ORDER BY piece_start) AS energy_wh,
    sum(gpu_s ORDER BY piece_start) AS gpu_s,
    coalesce(sum(energy_wh ORDER BY piece_start) FILTER (WHERE source = 'samples'), 0.0)
        AS measured_wh
FROM parts
GROUP BY hour_utc, site, host, gpu_index, job_key
UNION ALL
SELECT * FROM estimated;
