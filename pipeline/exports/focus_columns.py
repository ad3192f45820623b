"""The columns of the FOCUS export (`focus/cost-and-energy.csv|.parquet`), in file order.

FOCUS 1.2 columns first, in the specification's (alphabetical) order, limited to what wattprint
keeps of a billing line (raw_billing) or can derive; then wattprint's own columns under FOCUS's
`x_` prefix for custom columns. docs/outputs.md describes each one.
"""

from __future__ import annotations

import polars as pl

# FOCUS 1.2 column -> dtype (timestamps are UTC)
UTC_TIME = pl.Datetime("us", "UTC")
FOCUS_COLUMNS: dict[str, pl.DataType] = {
    "BilledCost": pl.Float64(),
    "BillingAccountId": pl.String(),
    "BillingCurrency": pl.String(),
    "BillingPeriodEnd": UTC_TIME,
    "BillingPeriodStart": UTC_TIME,
    "ChargeCategory": pl.String(),
    "ChargeDescription": pl.String(),
    "ChargePeriodEnd": UTC_TIME,
    "ChargePeriodStart": UTC_TIME,
    "ConsumedQuantity": pl.Float64(),
    "ConsumedUnit": pl.String(),
    "ContractedCost": pl.Float64(),  # not kept by wattprint's readers: always null
    "EffectiveCost": pl.Float64(),
    "ListCost": pl.Float64(),
    "ProviderName": pl.String(),
    "RegionId": pl.String(),
    "ResourceId": pl.String(),
    "ResourceName": pl.String(),
    "ServiceCategory": pl.String(),
    "ServiceName": pl.String(),
    "SkuId": pl.String(),
    "Tags": pl.String(),  # the billing line's tags, JSON object text
}

# custom column -> dtype; units in the names (kWh, kg, L)
CUSTOM_COLUMNS: dict[str, pl.DataType] = {
    "x_Basis": pl.String(),  # gpu_share | idle | tagged | unattributed | not_billed
    "x_Share": pl.Float64(),  # fraction (0-1) of the billing line this row carries
    "x_SourceFile": pl.String(),  # the billing file the line was read from
    "x_SourceLine": pl.Int64(),  # its line (CSV) or row (Parquet) in that file
    "x_Site": pl.String(),
    "x_Host": pl.String(),
    "x_JobKey": pl.String(),
    "x_Phase": pl.String(),
    "x_Model": pl.String(),
    "x_Team": pl.String(),
    "x_GpuHours": pl.Float64(),
    "x_EnergyGpuKwh": pl.Float64(),
    "x_EnergyItKwh": pl.Float64(),
    "x_EnergyFacilityKwh": pl.Float64(),
    "x_Co2eLocationKg": pl.Float64(),
    "x_Co2eMarketKg": pl.Float64(),
    "x_WaterL": pl.Float64(),
    "x_EmbodiedKg": pl.Float64(),
}
SCHEMA = pl.Schema({**FOCUS_COLUMNS, **CUSTOM_COLUMNS})
COSTS = ("BilledCost", "EffectiveCost", "ListCost")

# footprint column -> (its column in sql/disclosure/select_focus_energy_parts.sql, the
# disclosure.json `totals` field it sums to)
FOOTPRINT = {
    "x_GpuHours": ("gpu_hours", "gpu_hours"),
    "x_EnergyGpuKwh": ("gpu_energy_kwh", "gpu_energy_kwh"),
    "x_EnergyItKwh": ("it_energy_kwh", "it_energy_kwh"),
    "x_EnergyFacilityKwh": ("facility_energy_kwh", "energy_kwh"),
    "x_Co2eLocationKg": ("co2e_kg_location", "co2e_kg_location"),
    "x_Co2eMarketKg": ("co2e_kg_market", "co2e_kg_market"),
    "x_WaterL": ("water_l", "water_l"),
    "x_EmbodiedKg": ("embodied_kg", "embodied_kg"),
}
ENERGY_PARTS = {column: part for column, (part, _) in FOOTPRINT.items()}
TOTALS = {column: total for column, (_, total) in FOOTPRINT.items()}
# FOCUS column -> raw_billing column, for what a billing line carries as it is
LINE_COLUMNS = {
    "BillingAccountId": "billing_account_id",
    "BillingCurrency": "billing_currency",
    "ChargeCategory": "charge_category",
    "ChargePeriodEnd": "charge_period_end",
    "ChargePeriodStart": "charge_period_start",
    "ConsumedUnit": "consumed_unit",
    "ProviderName": "provider",
    "RegionId": "region_id",
    "ResourceId": "resource_id",
    "ResourceName": "resource_name",
    "ServiceCategory": "service_category",
    "ServiceName": "service_name",
    "SkuId": "sku_id",
    "Tags": "tags",
}
