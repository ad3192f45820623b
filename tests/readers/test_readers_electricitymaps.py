"""Electricity Maps hourly CSV: the three real 2023 files in place, and the newer header vintage."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pipeline.readers import detect_format, read_file
from pipeline.readers.grid import electricitymaps

FOLDER = Path(__file__).resolve().parents[3] / "shared" / "data" / "electricitymaps_hourly"

# (file, zone, first row, 2023-04-01 00:00 row (line 2162), last row, hours flagged estimated)
# taken from the files (`sed -n 2162p`, `grep -c ',true,'`).
REAL = [
    (
        "DE_2023_hourly.csv",
        "DE",
        (152.03, 199.59, 82.97, 77.71, False, "entsoe.eu"),
        (189.74, 243.31, 78.82, 69.87),
        (142.98, 192.64, 83.47, 82.05),
        3,
    ),
    (
        "CISO_2023_hourly.csv",
        "US-CAL-CISO",
        (218.3, 285.41, 52.84, 39.03, False, "caiso.com"),
        (140.69, 196.47, 68.01, 53.97),
        (245.82, 324.89, 44.47, 29.96),
        3,
    ),
    (
        "ERCOT_2023_hourly.csv",
        "US-TEX-ERCO",
        (269.82, 318.55, 54.74, 42.5, False, "eia.gov"),
        (296.01, 357.74, 44.63, 37.28),
        (362.86, 425.85, 38.62, 27.09),
        96,
    ),
]
VALUES = ["gco2e_per_kwh_direct", "gco2e_per_kwh_lca", "cfe_pct", "renewable_pct"]


@pytest.mark.parametrize(("name", "zone", "first", "april", "last", "estimated"), REAL)
def test_real_file(
    name: str,
    zone: str,
    first: tuple[float | bool | str, ...],
    april: tuple[float, ...],
    last: tuple[float, ...],
    estimated: int,
) -> None:
    path = FOLDER / name
    assert detect_format(path) == "electricitymaps-csv"
    result = read_file(path)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (8760, 8760, 0)
    frame = result.frame
    assert frame.schema == electricitymaps.SCHEMA
    assert frame["zone"].unique().to_list() == [zone]
    assert frame["datetime_utc"].to_list()[0] == datetime(2023, 1, 1, 0)
    assert frame["datetime_utc"].to_list()[-1] == datetime(2023, 12, 31, 23)
    assert frame["datetime_utc"].n_unique() == 8760
    assert frame["line"].to_list()[-1] == 8761
    row0 = frame.row(0, named=True)
    assert tuple(row0[c] for c in [*VALUES, "is_estimated", "data_source"]) == first
    row_apr = frame.row(2160, named=True)
    assert row_apr["line"] == 2162 and row_apr["datetime_utc"] == datetime(2023, 4, 1)
    assert tuple(row_apr[c] for c in VALUES) == april
    assert tuple(frame.row(-1, named=True)[c] for c in VALUES) == last
    assert frame["is_estimated"].sum() == estimated
    assert frame.null_count().sum_horizontal().item() == 0


# 2023-07-15 12:00 UTC, physical line 4694 of each file (`sed -n 4694p`): direct, LCA, low-carbon %,
# renewable %, source.
JULY = {
    "DE_2023_hourly.csv": (119.84, 173.02, 85.78, 85.47, "entsoe.eu"),
    "CISO_2023_hourly.csv": (250.74, 332.23, 41.32, 28.57, "caiso.com"),
    "ERCOT_2023_hourly.csv": (312.93, 380.91, 39.42, 29.89, "eia.gov"),
}


@pytest.mark.parametrize("name", sorted(JULY))
def test_real_file_mid_year_spot_check(name: str) -> None:
    frame = read_file(FOLDER / name).frame
    [row] = frame.filter(frame["datetime_utc"] == datetime(2023, 7, 15, 12)).iter_rows(named=True)
    assert row["line"] == 4694
    assert (*(row[c] for c in VALUES), row["data_source"]) == JULY[name]
    assert row["is_estimated"] is False


def test_de_estimated_hours_are_flagged() -> None:
    # DE lines 4439-4441 (2023-07-04 21:00-23:00 UTC) are `Data Estimated` true.
    frame = read_file(FOLDER / "DE_2023_hourly.csv").frame
    flagged = frame.filter(frame["is_estimated"])
    assert flagged["line"].to_list() == [4439, 4440, 4441]
    assert flagged["gco2e_per_kwh_direct"].to_list() == [370.74, 320.52, 311.27]
    assert flagged["data_source"].to_list()[2] == "Electricity Maps Estimation; entsoe.eu"


def test_newer_header_vintage(tmp_path: Path) -> None:
    lines = [
        "Datetime (UTC),Country,Zone name,Zone id,Carbon intensity gCO₂eq/kWh (direct),"
        "Carbon intensity gCO₂eq/kWh (Life cycle),Carbon-free energy percentage (CFE%),"
        "Renewable energy percentage (RE%),Data source,Data estimated,Data estimation method",
        "2024-01-01 00:00:00,Sweden,Sweden,SE-SE3,12.5,35.1,98.2,70.4,entsoe.eu,TRUE,",
        "2024-01-01 01:00:00,Sweden,Sweden,SE-SE3,,,,,,,",
    ]
    path = tmp_path / "se3.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert detect_format(path) == "electricitymaps-csv"
    frame = read_file(path).frame
    assert frame.row(0, named=True) == {
        "source_path": str(path),
        "line": 2,
        "zone": "SE-SE3",
        "datetime_utc": datetime(2024, 1, 1, 0),
        "gco2e_per_kwh_direct": 12.5,
        "gco2e_per_kwh_lca": 35.1,
        "cfe_pct": 98.2,
        "renewable_pct": 70.4,
        "is_estimated": True,
        "data_source": "entsoe.eu",
    }
    # An hour with no data is kept with null values; filling it is the fallback step's job.
    assert frame.row(1)[4:] == (None,) * 6


def test_bad_values_are_quarantined(tmp_path: Path) -> None:
    header = (FOLDER / "DE_2023_hourly.csv").read_text(encoding="utf-8").split("\n", 1)[0]
    lines = [
        header,
        "2023-01-01 00:00:00,Germany,Germany,DE,152.03,199.59,82.97,77.71,entsoe.eu,false,",
        "2023-01-01 01:00:00,Germany,Germany,DE,n/a,199.59,82.97,77.71,entsoe.eu,false,",
        "2023-01-01 02:00:00,Germany,Germany,,152.03,199.59,82.97,77.71,entsoe.eu,maybe,",
        "2023-01-01 03:00:00,Germany,Germany,DE,-1,199.59,100.5,77.71,entsoe.eu,false,",
        "2023-01-01 04:00:00,Germany,Germany,DE,0,0,100,0,entsoe.eu,false,",
    ]
    path = tmp_path / "de.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read_file(path)
    # the bounds themselves (0 g/kWh, 0 % and 100 %) are fine
    assert result.frame["line"].to_list() == [2, 6]
    direct = "Carbon Intensity gCO₂eq/kWh (direct)"
    assert [(p.line, p.reason) for p in result.problems] == [
        (3, f"{direct}: expected a non-negative number in gCO2e/kWh like '152.03', got 'n/a'"),
        (
            4,
            "Zone Id: expected a value, got nothing; "
            "Data Estimated: expected 'true' or 'false', got 'maybe'",
        ),
        (
            5,
            f"{direct}: expected a non-negative number in gCO2e/kWh like '152.03', got '-1'; "
            "Low Carbon Percentage: expected a percentage from 0 to 100 like '82.97', got '100.5'",
        ),
    ]
