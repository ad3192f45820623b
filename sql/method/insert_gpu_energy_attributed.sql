-- Attribute each GPU energy piece in [$start, $end) to jobs and idle.
-- Labelled path: a piece whose workload (the telemetry's own job label) names an allocation of
-- that job (job_id = workload) on the same host overlapping the piece goes wholly to it (its
-- job_key; if two overlap, the one covering more of the piece, then the lower job_key). A label
-- with no such allocation is not trusted to name a job: the piece takes the share path.
-- Share path, for every other piece: the jobs holding the host then, cut exactly at job boundaries
-- (power is linear across a piece). Jobs and GPUs on the labelled path at that time are left out:
-- a job with labelled pieces on the host already has its GPUs' energy, and a labelled GPU is not
-- one the remaining jobs can hold. A remaining job with g GPUs takes g / max(G - L, Σg) of the
-- piece, G the host's GPUs, L the GPUs of the host on the labelled path and Σg the remaining jobs'
-- GPUs then; without labels that is g/G, scaled down when jobs claim more than G GPUs at once, so
-- a GPU is never attributed more than its energy. "At once" is per segment: every job start or
-- end, and every labelled piece's start or end on another GPU of the host, inside a piece cuts
-- it, so a job ending inside a piece and another starting later in it are not scaled against each
-- other. What no job holds is idle (job_key NULL).
-- Estimation path: an allocation on a host-hour with no energy pieces at all (no telemetry, or a
-- gap longer than the fill cap) is priced as its GPU-hours × the GPU model's configured average
-- power, else the power model at the phase's assumed utilisation; those rows have gpu_index NULL
-- (the scheduler does not say which GPUs) and measured_wh 0. Unallocated time on such host-hours
-- is not estimated: a host that reports nothing may be switched off.
-- measured_wh: the energy from 'counter' and 'samples' pieces.
-- The pieces come merged (pipeline/method/runs.py): the unlabelled pieces of one GPU, hour and
-- source between two consecutive allocation boundaries are one row, at the power that gives their
-- energy over its span; `coverage` = their own seconds (covered_s) / the span scales the
-- GPU-seconds, so energy and GPU-seconds are those of the pieces merged.
INSERT INTO gpu_energy_attributed
WITH pieces AS MATERIALIZED (
    -- read by several steps below: computed once
    SELECT
        hour_utc, site, host, gpu_index, start_utc, end_utc, start_power_w, end_power_w,
        energy_wh, source, workload, covered_s AS dur_s,
        covered_s / epoch(end_utc - start_utc) AS coverage
    FROM gpu_energy_intervals
    WHERE hour_utc >= $start AND hour_utc < $end
),
labelled AS (
    -- pieces on the labelled path, with the job they go to
    SELECT
        p.hour_utc, p.site, p.host, p.gpu_index, p.start_utc AS piece_start,
        p.end_utc AS piece_end, p.source, p.energy_wh, p.dur_s, a.job_key
    FROM pieces AS p
    JOIN job_allocations AS a
      ON a.host = p.host AND a.job_id = p.workload
     AND a.start_utc < p.end_utc AND a.end_utc > p.start_utc
    QUALIFY row_number() OVER (
        PARTITION BY p.host, p.gpu_index, p.start_utc
        ORDER BY least(p.end_utc, a.end_utc) - greatest(p.start_utc, a.start_utc) DESC,
                 a.job_key) = 1
),
shared AS (
    SELECT p.*
    FROM pieces AS p
    ANTI JOIN labelled AS l
      ON l.host = p.host AND l.gpu_index = p.gpu_index AND l.piece_start = p.start_utc
),
matched AS (
    SELECT
        p.hour_utc, p.site, p.host, p.gpu_index, p.start_utc AS piece_start,
        p.end_utc AS piece_end, p.source, p.dur_s, p.coverage, p.start_power_w AS p0,
        p.end_power_w AS p1,
        a.job_key, a.gpus_on_host, h.gpus AS host_gpus,
        greatest(p.start_utc, a.start_utc) AS c,
        least(p.end_utc, a.end_utc) AS d
    FROM shared AS p
    JOIN job_allocations AS a
      ON a.host = p.host AND a.start_utc < p.end_utc AND a.end_utc > p.start_utc
    JOIN hosts AS h ON h.host = p.host
),
nearby AS (
    -- labelled pieces of the host's other GPUs overlapping a shared piece that jobs hold
    SELECT
        m.host, m.gpu_index, m.piece_start, l.gpu_index AS labelled_gpu, l.job_key AS labelled_job,
        greatest(m.piece_start, l.piece_start) AS c,
        least(m.piece_end, l.piece_end) AS d
    FROM (SELECT DISTINCT host, gpu_index, piece_start, piece_end FROM matched) AS m
    JOIN labelled AS l
      ON l.host = m.host AND l.piece_start < m.piece_end AND l.piece_end > m.piece_start
),
cuts AS (
    SELECT host, gpu_index, piece_start, c AS t FROM matched
    UNION
    SELECT host, gpu_index, piece_start, d AS t FROM matched
    UNION
    SELECT host, gpu_index, piece_start, c AS t FROM nearby
    UNION
    SELECT host, gpu_index, piece_start, d AS t FROM nearby
),
segments AS (
    SELECT
        host, gpu_index, piece_start, t AS s0,
        lead(t) OVER (PARTITION BY host, gpu_index, piece_start ORDER BY t) AS s1
    FROM cuts
    QUALIFY s1 IS NOT NULL
),
labelled_now AS (
    -- per segment: how many of the host's GPUs are on the labelled path
    SELECT
        s.host, s.gpu_index, s.piece_start, s.s0,
        count(DISTINCT n.labelled_gpu) AS labelled_gpus
    FROM segments AS s
    JOIN nearby AS n
      ON n.host = s.host AND n.gpu_index = s.gpu_index AND n.piece_start = s.piece_start
     AND n.c <= s.s0 AND n.d >= s.s1
    GROUP BY s.host, s.gpu_index, s.piece_start, s.s0
),
held AS (
    SELECT
        m.*, s.s0, s.s1, coalesce(x.labelled_gpus, 0) AS labelled_gpus,
        sum(m.gpus_on_host) OVER (PARTITION BY m.host, m.gpu_index, m.piece_start, s.s0)
            AS claimed_gpus
    FROM segments AS s
    JOIN matched AS m
      ON m.host = s.host AND m.gpu_index = s.gpu_index AND m.piece_start = s.piece_start
     AND m.c <= s.s0 AND m.d >= s.s1
    LEFT JOIN labelled_now AS x
      ON x.host = s.host AND x.gpu_index = s.gpu_index AND x.piece_start = s.piece_start
     AND x.s0 = s.s0
    -- a job on the labelled path on this host during the segment is not shared into again
    WHERE NOT EXISTS (
        SELECT 1 FROM nearby AS n
        WHERE n.host = s.host AND n.gpu_index = s.gpu_index AND n.piece_start = s.piece_start
          AND n.labelled_job = m.job_key AND n.c <= s.s0 AND n.d >= s.s1
    )
),
job_parts AS (
    SELECT
        hour_utc, site, host, gpu_index, piece_start, source, job_key, s0,
        -- the floor of 1 only matters when telemetry shows more GPUs than the inventory's G
        gpus_on_host / greatest(host_gpus - labelled_gpus, claimed_gpus, 1) AS share,
        epoch(s1 - s0) AS held_s, coverage,
        p0 + (p1 - p0) * epoch(s0 - piece_start) / dur_s AS pc,
        p0 + (p1 - p0) * epoch(s1 - piece_start) / dur_s AS pd
    FROM held
),
job_energy AS (
    -- one row per shared piece and job (its segments summed in time order, so reruns are
    -- bit-identical)
    SELECT
        hour_utc, site, host, gpu_index, piece_start, source, job_key,
        sum(share * held_s * (pc + pd) / 2.0 / 3600.0 ORDER BY s0) AS energy_wh,
        sum(share * held_s * coverage ORDER BY s0) AS gpu_s
    FROM job_parts
    GROUP BY hour_utc, site, host, gpu_index, piece_start, source, job_key
),
idle_energy AS (
    SELECT
        p.hour_utc, p.site, p.host, p.gpu_index, p.start_utc AS piece_start, p.source,
        NULL::VARCHAR AS job_key,
        p.energy_wh - coalesce(sum(j.energy_wh ORDER BY j.job_key), 0.0) AS energy_wh,
        p.dur_s - coalesce(sum(j.gpu_s ORDER BY j.job_key), 0.0) AS gpu_s
    FROM shared AS p
    LEFT JOIN job_energy AS j
      ON j.host = p.host AND j.gpu_index = p.gpu_index AND j.piece_start = p.start_utc
    GROUP BY p.hour_utc, p.site, p.host, p.gpu_index, p.start_utc, p.source, p.energy_wh, p.dur_s
),
parts AS (
    SELECT * FROM job_energy
    UNION ALL
    SELECT * FROM idle_energy
    UNION ALL
    SELECT
        hour_utc, site, host, gpu_index, piece_start, source, job_key, energy_wh,
        dur_s AS gpu_s
    FROM labelled
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
    coalesce(sum(energy_wh ORDER BY piece_start) FILTER (WHERE source IN ('counter', 'samples')),
        0.0) AS measured_wh
FROM parts
GROUP BY hour_utc, site, host, gpu_index, job_key
UNION ALL
SELECT * FROM estimated;
