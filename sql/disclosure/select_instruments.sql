-- The configured contractual instruments (annual and hourly), in config order of name.
SELECT name, kind, site, start_day, end_day, mwh, hourly, gco2e_per_kwh, source
FROM instruments
ORDER BY site, name;
