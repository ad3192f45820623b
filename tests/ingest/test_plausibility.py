"""Plausible ranges at the door (pipeline/plausibility.py): each input quantity outside its range
is quarantined at ingest with one line naming the quantity, the value, the range and its source;
rows read = accepted + quarantined still holds. Real files on the edge of a range are kept.

Inventory: host n1 has 4 GPUs of TDP 400 W and a server model with 500 W of non-GPU power; host
zz9 is not in the inventory.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from pipeline import plausibility
from pipeline.cli import app
from pipeline.config import ConfigError, load_config
from pipeline.ingest import ingest_landing
from pipeline.inventory import load_inventory
from pipeline.readers import read_file
from pipeline.warehouse import connect

TDP_W = 400.0
SMI_HEADER = "timestamp, index, uuid, name, power.draw [W], utilization.gpu [%]"
CONFIG = {
    "start_date": "2026-10-01",
    "sites": {"s1": {"grid_zone": "Z1", "annual_gco2e_per_kwh": 300.0}},
    "gpu_models": {"g": {"tdp_w": TDP_W, "idle_w": 60.0}},
    "server_models": {"srv": {"overhead_w": 500.0}},
    "host_groups": [
        {"hosts": "n1", "site": "s1", "gpu_model": "g", "gpus": 4, "server_model": "srv"}
    ],
}


def _config(root: Path, **changes) -> Path:
    data = yaml.safe_load(yaml.safe_dump(CONFIG))
    for site, values in changes.items():
        data["sites"][site].update(values)
    (root / "landing").mkdir(parents=True, exist_ok=True)
    path = root / "wattprint.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / "landing" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _ingest(root: Path):
    cfg = load_config(root / "wattprint.yaml")
    with connect(cfg.warehouse_path) as con:
        load_inventory(con, cfg)
        summary = ingest_landing(con, cfg)
        quarantine = pl.from_arrow(
            con.sql(
                "SELECT source_path, line, reason FROM quarantine ORDER BY ALL"
            ).to_arrow_table()
        )
    for f in summary.files:
        assert f.rows_read == f.rows_accepted + f.rows_quarantined, f
    return {f.path: f for f in summary.files}, quarantine


def _ingested(root: Path, rel: str) -> tuple[tuple[int, int, int], dict[int, str]]:
    """(rows read, accepted, quarantined) of landing file `rel` and its reasons by line."""
    files, quarantine = _ingest(root)
    f = files[rel]
    rows = quarantine.filter(pl.col("source_path") == rel)
    reasons = dict(zip(rows["line"].to_list(), rows["reason"].to_list(), strict=True))
    return (f.rows_read, f.rows_accepted, f.rows_quarantined), reasons


@pytest.fixture
def root(tmp_path: Path) -> Path:
    _config(tmp_path)
    return tmp_path


# --- grid carbon intensity -------------------------------------------------------------------


def test_grid_intensity_above_the_plausible_range_is_quarantined(root):
    _write(
        root,
        "grid/z1.csv",
        "zone,datetime_utc,gco2e_per_kwh,gco2e_per_kwh_lca\n"
        "Z1,2026-10-01T00:00:00Z,250.0,300.0\n"
        "Z1,2026-10-01T01:00:00Z,99999,300.0\n"
        "Z1,2026-10-01T02:00:00Z,1400.0,1490.0\n"  # a lignite-heavy hour: kept
        "Z1,2026-10-01T03:00:00Z,500.0,2500.0\n",
    )
    counts, reasons = _ingested(root, "grid/z1.csv")
    assert counts == (4, 2, 2)
    assert set(reasons) == {3, 5}
    direct = reasons[3]
    assert "gco2e_per_kwh_direct" in direct and "99999" in direct
    assert "0-1,500 gCO2e/kWh" in direct and "IPCC" in direct
    assert "gco2e_per_kwh_lca" in reasons[5] and "2500" in reasons[5]
    assert all("\n" not in r for r in reasons.values())


# --- GPU power against the GPU model's TDP ---------------------------------------------------


def _smi(rows: list[tuple[int, float]]) -> str:
    lines = [
        f"2026/10/01 00:{m:02d}:00.000, 0, GPU-aaaa, NVIDIA A100, {w} W, 50 %" for m, w in rows
    ]
    return "\n".join([SMI_HEADER, *lines]) + "\n"


def test_gpu_power_above_one_and_a_half_tdp_is_quarantined(root):
    # 1.5 x 400 W = 600 W: 590 W (a brief excursion above TDP) is kept, 700 W and 4,000 W are not
    _write(root, "telemetry/n1/smi.csv", _smi([(0, 300.0), (1, 590.0), (2, 700.0), (3, 4000.0)]))
    counts, reasons = _ingested(root, "telemetry/n1/smi.csv")
    assert counts == (4, 2, 2)
    assert set(reasons) == {4, 5}
    assert "power_w 700" in reasons[4] and "0-600 W" in reasons[4]
    assert "1.5 x TDP 400 W" in reasons[4] and "g" in reasons[4]


def test_gpu_power_of_a_host_outside_the_inventory_has_an_absolute_bound(root):
    limit = plausibility.GPU_POWER_ABSOLUTE_MAX_W
    rows = [(0, 300.0), (1, limit - 100.0), (2, limit + 400.0)]
    _write(root, "telemetry/zz9/smi.csv", _smi(rows))
    counts, reasons = _ingested(root, "telemetry/zz9/smi.csv")
    assert counts[2] == 1
    reason = reasons[4]
    assert "not in the inventory" in reason and f"0-{limit:,.0f} W" in reason


# --- GPU energy counters ---------------------------------------------------------------------


def _counter_parquet(root: Path, series: dict[int, list[float]]) -> str:
    """One sample a minute per GPU of host n1, energy_mj as given, power 300 W."""
    t0 = datetime(2026, 10, 1)
    rows = [
        {
            "ts_utc": t0 + timedelta(minutes=i),
            "host": "n1",
            "gpu_index": gpu,
            "power_w": 300.0,
            "energy_mj": e,
        }
        for gpu, values in series.items()
        for i, e in enumerate(values)
    ]
    rel = "telemetry/n1/counters.parquet"
    path = root / "landing" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(rows).write_parquet(path)
    return rel


def test_a_counter_reading_that_breaks_its_series_is_quarantined(root):
    step = 300.0 * 60 * 1000  # 300 W for a minute, in mJ
    base = 1e9
    rise = [base + i * step for i in range(6)]
    spike = list(rise)
    spike[2] = 5e12  # garbage: an impossible rise, then back on the series
    dip = list(rise)
    dip[3] = 0.0  # a lone zero: a fall, then an impossible rise back to the series
    reset = [*rise[:3], 0.0, step, 2 * step]  # a real reset: the series restarts from zero
    rel = _counter_parquet(root, {0: spike, 1: dip, 2: reset, 3: rise})
    counts, reasons = _ingested(root, rel)
    assert counts == (24, 22, 2)
    assert set(reasons) == {3, 10}  # row numbers in the file: GPU 0's third, GPU 1's fourth
    assert "energy_mj" in reasons[3] and "1.5 x TDP 400 W" in reasons[3]


def test_an_implausible_counter_rise_is_not_priced_as_energy(tmp_path):
    """A counter that jumps and stays up (no neighbours to say which reading is wrong) keeps its
    rows, but the interval is priced from the power samples, not the jump (see the pieces SQL)."""
    from pipeline.method.energy import build_gpu_energy_intervals

    _config(tmp_path)
    step = 300.0 * 60 * 1000
    jump = [1e9 + i * step for i in range(3)] + [5e12 + i * step for i in range(3)]
    _counter_parquet(tmp_path, {0: jump})
    _ingest(tmp_path)
    cfg = load_config(tmp_path / "wattprint.yaml")
    with connect(cfg.warehouse_path) as con:
        build_gpu_energy_intervals(con, cfg, datetime(2026, 10, 1), datetime(2026, 10, 2))
        wh = con.execute("SELECT sum(energy_wh) FROM gpu_energy_intervals").fetchone()[0]
    assert wh == pytest.approx(300.0 * 5 / 60)  # five minutes at 300 W


# --- node power ------------------------------------------------------------------------------


def test_node_power_above_its_bound_is_quarantined(root):
    # n1: 4 GPUs x 600 W + max(2 x 500 W, 4,000 W) = 6,400 W
    _write(
        root,
        "power/s1/bmc.csv",
        "timestamp,host,node_power_w\n"
        "2026-10-01T00:00:00Z,n1,2500\n"
        "2026-10-01T00:05:00Z,n1,6300\n"
        "2026-10-01T00:10:00Z,n1,70000\n",
    )
    counts, reasons = _ingested(root, "power/s1/bmc.csv")
    assert counts[2] == 1
    reason = reasons[4]
    assert "node_power_w 70000" in reason and "0-6,400 W" in reason


# --- billing ---------------------------------------------------------------------------------

FOCUS_HEADER = (
    "BillingCurrency,ChargePeriodStart,ChargeCategory,BilledCost,ListCost,ConsumedQuantity"
)


def test_currency_codes_are_checked_against_iso_4217(root):
    _write(
        root,
        "billing/focus.csv",
        FOCUS_HEADER + "\n"
        "USD,2026-10-01T00:00:00Z,Usage,10,10,1\n"
        "EUR,2026-10-01T00:00:00Z,Usage,10,10,1\n"
        "ABC,2026-10-01T00:00:00Z,Usage,10,10,1\n"
        "XXX,2026-10-01T00:00:00Z,Usage,10,10,1\n"
        "XCG,2026-10-01T00:00:00Z,Usage,10,10,1\n",
    )
    counts, reasons = _ingested(root, "billing/focus.csv")
    assert counts == (5, 3, 2)
    assert set(reasons) == {4, 5}
    assert "billing_currency 'ABC'" in reasons[4] and "ISO 4217" in reasons[4]
    assert "no currency" in reasons[5]


def test_a_negative_list_unit_price_is_quarantined(root):
    _write(
        root,
        "billing/focus.csv",
        FOCUS_HEADER + "\n"
        "USD,2026-10-01T00:00:00Z,Usage,10,-10,2\n"  # -5 USD per unit: implausible
        "USD,2026-10-01T00:00:00Z,Usage,-10,-10,-2\n"  # a reversal: +5 per unit
        "USD,2026-10-01T00:00:00Z,Credit,-10,-10,\n"  # a credit without a quantity
        "USD,2026-10-01T00:00:00Z,Usage,-3,,1\n",  # a negative billed cost (a negation line)
    )
    counts, reasons = _ingested(root, "billing/focus.csv")
    assert counts[2] == 1
    reason = reasons[2]
    assert "list unit price -5" in reason and "FOCUS" in reason


# --- config quantities -----------------------------------------------------------------------


def test_pue_and_wue_outside_their_ranges_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="pue"):
        load_config(_config(tmp_path, s1={"pue": 3.5}))
    too_wet = plausibility.WUE_MAX_L_PER_KWH * 10
    with pytest.raises(ConfigError, match="wue_l_per_kwh"):
        load_config(_config(tmp_path, s1={"wue_l_per_kwh": too_wet}))
    load_config(_config(tmp_path, s1={"wue_l_per_kwh": 1.8, "pue": 1.6}))


# --- the same checks in `wattprint validate` --------------------------------------------------


def test_validate_prints_implausible_rows(root):
    path = _write(root, "grid/z1.csv", "zone,datetime_utc,gco2e_per_kwh\nZ1,2026-10-01,99999\n")
    out = CliRunner().invoke(app, ["validate", str(path)]).output
    assert f"{path}:2:" in out and "gco2e_per_kwh_direct 99999" in out


REAL = [
    "electricitymaps_hourly/DE_2023_hourly.csv",  # lignite hours
    "electricitymaps_hourly/CISO_2023_hourly.csv",
    "electricitymaps_hourly/ERCOT_2023_hourly.csv",
    "focus_sample_data/focus_sample.csv",
    "focus_converters_samples/aws_cur_sample-anonymous-aws-export-dataset.csv",
    "focus_converters_samples/azure_ea_sample-anonymous-ea-export-dataset.csv",
    "focus_converters_samples/oci_reports_cost-csv_0000000030000269.csv",
]


@pytest.mark.parametrize("rel", REAL)
def test_real_files_keep_every_row_the_reader_accepts(rel):
    """Real exports (Electricity Maps' year for Germany, the FOCUS sample, provider cost exports
    with credits and negation lines) lose no row to the plausibility ranges."""
    path = Path(__file__).resolve().parents[3] / "shared" / "data" / rel
    if not path.exists():
        pytest.skip(f"{rel}: shared data not present")
    read = read_file(path)
    screened = plausibility.screen(read, plausibility.Limits())
    assert screened.problems == read.problems
    assert screened.rows_accepted == read.rows_accepted > 0
