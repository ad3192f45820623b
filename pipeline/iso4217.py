"""ISO 4217 alphabetic currency codes a billing file may carry (see pipeline/plausibility.py).

The active codes come from pycountry (its `currencies` database is Debian's iso-codes, kept in
step with ISO 4217 List One, which SIX Financial Information AG maintains for ISO), so they follow
new amendments with a dependency update instead of a hand edit.

Codes withdrawn since 2021 are kept in `RECENTLY_WITHDRAWN`, since bills for periods before the
changeover still carry them: a plausibility check rejects what was never a currency, not an old
invoice. XTS (reserved for testing) and XXX (no currency involved) are in List One but name no
money, so a cost in them cannot be reconciled: they are `NOT_MONEY`.
"""

from __future__ import annotations

from importlib.metadata import version

import pycountry

NOT_MONEY = {"XTS": "reserved for testing", "XXX": "no currency involved"}
ACTIVE = frozenset(c.alpha_3 for c in pycountry.currencies) - set(NOT_MONEY)
# withdrawn since 2021, still on bills for earlier periods: Cuban convertible peso (2021), Croatian
# kuna (2023, euro), old Sierra Leonean leone (2024, SLE), Zimbabwe dollar (2024, ZWG),
# Netherlands Antillean guilder (2025, XCG), Bulgarian lev (2026, euro)
RECENTLY_WITHDRAWN = frozenset({"CUC", "HRK", "SLL", "ZWL", "ANG", "BGN"})

CODES = ACTIVE | RECENTLY_WITHDRAWN
SOURCE = f"ISO 4217 List One (pycountry {version('pycountry')}, iso-codes)"
