"""Number formatting shared by the report templates and the report tests.

`fmt` is the one function that turns a figure into the text printed in the HTML/PDF; the tests
format the Disclosure's figures with the same function and look for the resulting strings in the
extracted PDF text, so the printed text and the expectation can never drift apart.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

NA = "n/a"


def _is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def fmt_number(value: float | None, sig: int = 3) -> str:
    """`value` to `sig` significant figures, with thousands separators.

    Whole digits are never dropped: a value with more integer digits than `sig` is rounded to an
    integer (12345.6 -> "12,346"). Trailing zeros after the decimal point are removed
    (1.50 -> "1.5"). None, NaN and infinities read "n/a". ASCII hyphen-minus for negatives.
    """
    if _is_missing(value):
        return NA
    if isinstance(value, bool):  # bool is an int; a figure is never a bool
        raise TypeError("fmt() got a bool")
    if sig < 1:
        raise ValueError("sig must be >= 1")
    v = float(value)  # type: ignore[arg-type]
    if v == 0:
        return "0"
    # exponent of the value *after* rounding to `sig` figures (999.96 -> 1.00e+03)
    exponent = int(f"{v:.{sig - 1}e}".split("e")[1])
    if exponent >= sig - 1:
        text = f"{v:,.0f}"
    else:
        decimals = sig - 1 - exponent
        text = f"{v:,.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text


def fmt(value: float | None, unit: str = "", sig: int = 3) -> str:
    """Format a figure for print: `fmt(12345.6, "kWh") == "12,346 kWh"`, `fmt(None) == "n/a"`.

    Integers (counts) are printed in full with separators (`fmt(1234567) == "1,234,567"`).
    The unit, if any, follows after one space; "n/a" never carries a unit.
    """
    if _is_missing(value):
        return NA
    if isinstance(value, int) and not isinstance(value, bool):
        text = f"{value:,d}"
    else:
        text = fmt_number(value, sig)
    return f"{text} {unit}" if unit else text


def fmt_pct(share: float | None, sig: int = 3) -> str:
    """A share in 0..1 as a percentage: `fmt_pct(0.4567) == "45.7%"`, `fmt_pct(1) == "100%"`.

    A share below 1 never reads "100%", nor one above 0 "0%": more figures are printed until it
    does not (`fmt_pct(0.99996) == "99.996%"`), so a shortfall is never rounded away."""
    if _is_missing(share):
        return NA
    v = float(share) * 100.0  # type: ignore[arg-type]
    text = fmt_number(v, sig)
    while sig < 15 and ((text == "100" and 0 < 100 - v) or (text == "0" and v != 0)):
        sig += 1
        text = fmt_number(v, sig)
    return f"{text}%"


def fmt_energy(kwh: float | None, sig: int = 3) -> str:
    """Energy in the largest sensible unit: kWh below 1 MWh, then MWh, then GWh."""
    if _is_missing(kwh):
        return NA
    v = float(kwh)  # type: ignore[arg-type]
    if abs(v) >= 1e6:
        return fmt(v / 1e6, "GWh", sig)
    if abs(v) >= 1e3:
        return fmt(v / 1e3, "MWh", sig)
    return fmt(v, "kWh", sig)


def fmt_mass(kg: float | None, unit_suffix: str = "", sig: int = 3) -> str:
    """Mass in kg below one tonne, else t: `fmt_mass(4560, "CO2e") == "4.56 t CO2e"`."""
    if _is_missing(kg):
        return NA
    v = float(kg)  # type: ignore[arg-type]
    suffix = f" {unit_suffix}" if unit_suffix else ""
    if abs(v) >= 1e3:
        return fmt(v / 1e3, "t" + suffix, sig)
    return fmt(v, "kg" + suffix, sig)


def fmt_date(value: date | None) -> str:
    """ISO date (2025-01-31); "n/a" for None."""
    if value is None:
        return NA
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


def fmt_datetime(value: datetime | None) -> str:
    """UTC timestamp to the minute: "2025-02-01 06:00 UTC". Naive datetimes are taken as UTC."""
    if value is None:
        return NA
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def fmt_change(pct: float | None, sig: int = 2) -> str:
    """A change in percent with its sign: `fmt_change(12.34) == "+12%"`, `fmt_change(-4.1)`
    `== "-4.1%"`, `fmt_change(0) == "0%"`; "n/a" for None (no previous value to compare with)."""
    if _is_missing(pct):
        return NA
    text = fmt_number(pct, sig)
    return f"{'+' if float(pct) > 0 and text != '0' else ''}{text}%"  # type: ignore[arg-type]


def fmt_flop(value: float | None, sig: int = 3) -> str:
    """Training compute in scientific notation, as the AI Act writes its thresholds:
    `fmt_flop(3.15e23) == "3.15e23"`, `fmt_flop(1e25) == "1e25"`; "n/a" for None."""
    if _is_missing(value):
        return NA
    mantissa, exponent = f"{float(value):.{sig - 1}e}".split("e")  # type: ignore[arg-type]
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"
