-- Inventory is replaced whole from the config on every run.
DELETE FROM site_pue_months;
