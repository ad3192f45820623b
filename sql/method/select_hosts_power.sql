-- The inventory's power model per host, for the energy pass (pipeline/method/passes.py). Grain:
-- host.
SELECT host, site, idle_w, tdp_w FROM hosts ORDER BY host;
