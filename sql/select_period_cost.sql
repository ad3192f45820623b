-- Amortised cost (FOCUS EffectiveCost) of charges starting in days [$start_day, $end_day], by currency.
SELECT coalesce(billing_currency, '') AS currency, sum(effective_cost) AS cost
FROM raw_billing
WHERE CAST(charge_period_start AS DATE) BETWEEN $start_day AND $end_day
GROUP BY currency
ORDER BY currency;
