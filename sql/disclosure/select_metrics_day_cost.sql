-- Attributed cost of the billing lines charged on UTC day $day (cost_attributed's day: the date of
-- the line's charge period start). Grain: site × phase × model × team × basis × currency. site is
-- that of the line's host ('' for a tagged line, an unattributed one, or a host no longer in the
-- config); phase, model and team are '' where cost_attributed has none. Costs are effective_cost
-- (amortised) in the line's billing_currency, never converted or added across currencies.
SELECT
    coalesce(h.site, '') AS site,
    coalesce(c.phase, '') AS phase,
    coalesce(c.model, '') AS model,
    coalesce(c.team, '') AS team,
    c.basis,
    coalesce(c.billing_currency, '') AS currency,
    sum(c.effective_cost ORDER BY c.source_path, c.line, c.job_key) AS effective_cost
FROM cost_attributed AS c
LEFT JOIN hosts AS h ON h.host = c.host
WHERE c.day = $day AND c.effective_cost IS NOT NULL
GROUP BY ALL
ORDER BY site, phase, model, team, basis, currency;
