-- The billing lines the FOCUS export (pipeline/exports/focus.py) carries: every raw_billing line
-- whose charge_period_start is in [$start, $end), with the FOCUS columns raw_billing keeps.
-- Grain: one row per billing line (source_path, line). Costs in billing_currency, never converted.
SELECT
    source_path, line, provider, billing_account_id, billing_currency,
    charge_period_start, charge_period_end, charge_category, service_name, service_category,
    resource_id, resource_name, region_id, sku_id, consumed_quantity, consumed_unit,
    billed_cost, effective_cost, list_cost, tags
FROM raw_billing
WHERE charge_period_start >= $start AND charge_period_start < $end
ORDER BY source_path, line;
