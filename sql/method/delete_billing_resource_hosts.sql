-- Inventory is replaced whole from the config on every run.
DELETE FROM billing_resource_hosts;
