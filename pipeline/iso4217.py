"""ISO 4217 alphabetic currency codes a billing file may carry (see pipeline/plausibility.py).

Source: ISO 4217 "List One: Currency, fund and precious metal codes", published by SIX Financial
Information AG, the standard's maintenance agency (https://www.six-group.com/en/products-services/
financial-information/data-standards.html), as amended up to amendment 180 (2025): it adds XAD
(Arab Accounting Dinar, 2025), XCG (Caribbean Guilder, 2025), ZWG (Zimbabwe Gold, 2024), SLE
(2022), VED (2021) and UYW (2018). Transcribed for wattprint on 2026-12-06: no dependency of
wattprint ships the list, and pycountry or iso4217 would add a package for one set of codes.
Review it when SIX publishes an amendment.

Codes withdrawn since 2021 are kept in `RECENTLY_WITHDRAWN`, since bills for periods before the
changeover still carry them: a plausibility check rejects what was never a currency, not an old
invoice. XTS (reserved for testing) and XXX (no currency involved) are in List One but name no
money, so a cost in them cannot be reconciled: they are listed apart, in `NOT_MONEY`.
"""

from __future__ import annotations

ACTIVE = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
    BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
    EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
    JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND
    TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAD XAF XAG XAU XBA
    XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW ZWG
    """.split()
)
# withdrawn since 2021, still on bills for earlier periods: Cuban convertible peso (2021), Croatian
# kuna (2023, euro), old Sierra Leonean leone (2024, SLE), Zimbabwe dollar (2024, ZWG),
# Netherlands Antillean guilder (2025, XCG)
RECENTLY_WITHDRAWN = frozenset({"CUC", "HRK", "SLL", "ZWL", "ANG"})
NOT_MONEY = {"XTS": "reserved for testing", "XXX": "no currency involved"}

CODES = ACTIVE | RECENTLY_WITHDRAWN
SOURCE = "ISO 4217 List One (SIX, to amendment 180, 2025; transcribed 2026-12-06)"
