-- Every declared run (pipeline/method/declared.py resolves and spreads them). Grain: one row per
-- run of a landing file, in file and line order.
SELECT
    source_path, line, run, model, phase, gpu_model, gpus, start_utc, end_utc, duration_h,
    gpu_hours, average_power_w, site, grid_gco2e_per_kwh, market_gco2e_per_kwh, pue, requests,
    cost_usd, flops, source
FROM raw_declared_usage
ORDER BY source_path, line;
