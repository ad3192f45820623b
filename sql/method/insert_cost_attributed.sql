-- Cost: FOCUS billing lines whose charge_period_start is in [$start, $end) → hosts → jobs.
-- Costs stay in each line's billing_currency (never converted or added across currencies);
-- effective_cost (amortised) is what is attributed, billed_cost is split with the same shares.
-- 1. A line whose tags name a `phase` goes straight through (basis 'tagged'): phase, model and
--    team from its tags; no host, no job.
-- 2. Else the line maps to a host of `hosts` by, first match wins: ResourceName, ResourceId, a
--    `host` tag, a `hostname` tag, the config's ResourceId → host map (billing_resource_hosts).
--    Job j takes the share gpu_s(j, host, charge period) / (host GPUs × charge period seconds),
--    gpu_s from gpu_energy_attributed (estimate rows without a GPU index count too). An hour partly
--    inside the charge period counts with its overlap fraction (its GPU-seconds taken as even
--    across the hour). Shares summing above 1 (an over-claimed host) are scaled to sum to 1.
--    The rest of the line is basis 'idle' on the host: the line minus its job parts, a
--    subtraction, so the parts sum back to the line. A host line without a usable charge period
--    (end missing or not after its start) cannot be split by time: unattributed, host kept.
-- 3. Else basis 'unattributed'.
-- Sums are ordered (and replace_window runs single-threaded) so reruns are bit-identical.
INSERT INTO cost_attributed BY NAME
WITH lines AS (
    SELECT
        source_path, line, billing_currency, resource_id, resource_name, effective_cost,
        billed_cost, charge_period_start AS cps, charge_period_end AS cpe,
        -- tag text that is not JSON must not fail the window: it names no keys
        CASE WHEN json_valid(tags) THEN tags END AS tags_json
    FROM raw_billing
    WHERE charge_period_start >= $start AND charge_period_start < $end
),
billing AS (
    SELECT
        *,
        json_extract_string(tags_json, '$.phase') AS tag_phase,
        json_extract_string(tags_json, '$.model') AS tag_model,
        json_extract_string(tags_json, '$.team') AS tag_team,
        json_extract_string(tags_json, '$.host') AS tag_host,
        json_extract_string(tags_json, '$.hostname') AS tag_hostname
    FROM lines
),
untagged AS (
    SELECT * FROM billing WHERE tag_phase IS NULL
),
candidates AS (
    SELECT source_path, line, resource_name AS host, 1 AS priority FROM untagged
    UNION ALL
    SELECT source_path, line, resource_id, 2 FROM untagged
    UNION ALL
    SELECT source_path, line, tag_host, 3 FROM untagged
    UNION ALL
    SELECT source_path, line, tag_hostname, 4 FROM untagged
    UNION ALL
    SELECT u.source_path, u.line, m.host, 5
    FROM untagged AS u
    JOIN billing_resource_hosts AS m ON m.resource_id = u.resource_id
),
line_hosts AS (
    SELECT c.source_path, c.line, h.host, h.gpus AS host_gpus
    FROM candidates AS c
    JOIN hosts AS h ON h.host = c.host
    QUALIFY row_number() OVER (PARTITION BY c.source_path, c.line ORDER BY c.priority) = 1
),
host_lines AS (
    SELECT u.*, lh.host, lh.host_gpus, epoch(u.cpe - u.cps) AS period_s
    FROM untagged AS u
    JOIN line_hosts AS lh USING (source_path, line)
),
splittable AS (
    SELECT * FROM host_lines WHERE period_s > 0
),
job_gpu_s AS (
    SELECT
        l.source_path, l.line, a.job_key,
        sum(
            a.gpu_s
            * epoch(least(a.hour_utc + INTERVAL 1 HOUR, l.cpe) - greatest(a.hour_utc, l.cps))
            / 3600.0
            ORDER BY a.hour_utc, a.gpu_index, a.gpu_s
        ) AS gpu_s
    FROM splittable AS l
    JOIN gpu_energy_attributed AS a
      ON a.host = l.host AND a.job_key IS NOT NULL
     AND a.hour_utc < l.cpe AND a.hour_utc + INTERVAL 1 HOUR > l.cps
    GROUP BY l.source_path, l.line, a.job_key
),
raw_shares AS (
    SELECT j.source_path, j.line, j.job_key, j.gpu_s / (l.host_gpus * l.period_s) AS raw_share
    FROM job_gpu_s AS j
    JOIN splittable AS l USING (source_path, line)
    WHERE j.gpu_s > 0
),
claimed AS (
    SELECT source_path, line, sum(raw_share ORDER BY job_key) AS claimed_share
    FROM raw_shares
    GROUP BY source_path, line
),
job_rows AS (
    SELECT
        r.source_path, r.line, r.job_key,
        r.raw_share / greatest(1.0, c.claimed_share) AS share,
        l.effective_cost * r.raw_share / greatest(1.0, c.claimed_share) AS effective_cost,
        l.billed_cost * r.raw_share / greatest(1.0, c.claimed_share) AS billed_cost
    FROM raw_shares AS r
    JOIN claimed AS c USING (source_path, line)
    JOIN splittable AS l USING (source_path, line)
),
idle_rows AS (
    SELECT
        l.source_path, l.line,
        greatest(0.0, 1.0 - coalesce(sum(j.share ORDER BY j.job_key), 0.0)) AS share,
        l.effective_cost - coalesce(sum(j.effective_cost ORDER BY j.job_key), 0.0)
            AS effective_cost,
        l.billed_cost - coalesce(sum(j.billed_cost ORDER BY j.job_key), 0.0) AS billed_cost
    FROM splittable AS l
    LEFT JOIN job_rows AS j USING (source_path, line)
    GROUP BY l.source_path, l.line, l.effective_cost, l.billed_cost
),
jobs AS (
    -- job_key is unique per job; should two days disagree on its labels, the latest day wins
    SELECT job_key, phase, model, team
    FROM job_allocations
    QUALIFY row_number() OVER (PARTITION BY job_key ORDER BY day DESC, phase, model, team) = 1
),
parts AS (
    SELECT
        source_path, line, 'tagged' AS basis, NULL::VARCHAR AS host, NULL::VARCHAR AS job_key,
        tag_phase AS phase, tag_model AS model, tag_team AS team, 1.0::DOUBLE AS share,
        effective_cost, billed_cost
    FROM billing
    WHERE tag_phase IS NOT NULL
    UNION ALL
    SELECT
        j.source_path, j.line, 'gpu_share', l.host, j.job_key,
        coalesce(b.phase, 'unclassified'), b.model, b.team, j.share,
        j.effective_cost, j.billed_cost
    FROM job_rows AS j
    JOIN splittable AS l USING (source_path, line)
    LEFT JOIN jobs AS b ON b.job_key = j.job_key
    UNION ALL
    SELECT
        i.source_path, i.line, 'idle', l.host, NULL, 'idle', NULL, NULL, i.share,
        i.effective_cost, i.billed_cost
    FROM idle_rows AS i
    JOIN splittable AS l USING (source_path, line)
    UNION ALL
    SELECT
        source_path, line, 'unattributed', host, NULL, NULL, NULL, NULL, 1.0,
        effective_cost, billed_cost
    FROM host_lines
    WHERE NOT coalesce(period_s > 0, false)
    UNION ALL
    SELECT
        u.source_path, u.line, 'unattributed', NULL, NULL, NULL, NULL, NULL, 1.0,
        u.effective_cost, u.billed_cost
    FROM untagged AS u
    ANTI JOIN line_hosts AS lh USING (source_path, line)
)
SELECT
    CAST(b.cps AS DATE) AS day, p.source_path, p.line, b.billing_currency, p.basis, p.host,
    p.job_key, p.phase, p.model, p.team, p.share, p.effective_cost, p.billed_cost
FROM parts AS p
JOIN billing AS b USING (source_path, line)
ORDER BY day, p.source_path, p.line, p.job_key NULLS FIRST;
