"""Text from input files made safe to print: invisible code points shown, long names shortened.

A name read from a landing file (a job's model label, a host, a site, a file path) can carry code
points that change how the text around them reads without being seen themselves: the bidi controls
(U+202E "RIGHT-TO-LEFT OVERRIDE" makes "atlas<U+202E>gnp.exe" print as "atlasexe.png"), zero-width
spaces and joiners, byte-order marks, soft hyphens and C0/C1 control characters (tab and line
breaks excepted).

Policy (docs/report-text.md): such a code point is not removed but replaced by a visible escape,
`⟨U+202E⟩`, so an auditor sees that the name held one and which. `visible()` is applied once, to
every string of the `Disclosure` when it is validated (`visible_fields`), so disclosure.json, the
HTML, the PDF, the CSV tables, the SVG charts and the mail text all print the same escaped name;
the warehouse keeps the name as read.

`shorten()` is for print only: the PDF shows at most `NAME_LIMIT_CHARS` characters of a name, the
HTML the same with the full name in its `title` attribute; the JSON and CSV keep it whole.
"""

from __future__ import annotations

import unicodedata

from pydantic import BaseModel

# Unicode general categories shown as escapes: control (C0, DEL, C1), format (bidi controls,
# zero-width characters, BOM, soft hyphen, tags), surrogates (a lone one cannot be encoded in
# UTF-8), and the line and paragraph separators (invisible line breaks). Tab, line feed and
# carriage return are kept: they are whitespace every output handles (HTML and the PDF print a
# space, CSV quotes the cell, JSON escapes them) and free text such as a check's detail uses them.
ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
KEPT = frozenset("\t\n\r")
ESCAPE_FORMAT = "⟨U+{:04X}⟩"

NAME_LIMIT_CHARS = 60
ELLIPSIS = "…"


def escaped(ch: str) -> bool:
    """Whether the code point `ch` is printed as an escape (see ESCAPED_CATEGORIES)."""
    return unicodedata.category(ch) in ESCAPED_CATEGORIES and ch not in KEPT


def visible(text: str) -> str:
    """`text` with every invisible or direction-changing code point as `⟨U+XXXX⟩`.

    `visible("atlas\\u202egnp.exe") == "atlas⟨U+202E⟩gnp.exe"`; text without such code points is
    returned unchanged (the same object), and `visible(visible(t)) == visible(t)`.
    """
    if text.isascii() and text.isprintable():  # the common case, without a loop in Python
        return text
    if not any(escaped(ch) for ch in text):
        return text
    return "".join(ESCAPE_FORMAT.format(ord(ch)) if escaped(ch) else ch for ch in text)


def shorten(text: str, limit: int = NAME_LIMIT_CHARS) -> str:
    """`text` cut to `limit` characters with an ellipsis in the middle, or as it is if it fits.

    The middle is cut, not the end, so names that differ only at the end (versions, suffixes such
    as ", training") stay apart: two thirds of the kept characters from the start, the rest from
    the end. An escape `⟨U+XXXX⟩` is never cut in two: a part that would end or start inside one
    drops the whole escape.
    """
    if len(text) <= limit:
        return text
    if limit < 3:
        raise ValueError("limit must be >= 3")
    keep = limit - len(ELLIPSIS)
    head_n = (2 * keep + 2) // 3
    head, tail = text[:head_n], text[len(text) - (keep - head_n) :]
    cut = head.rfind("⟨")
    if cut >= 0 and "⟩" not in head[cut:]:
        head = head[:cut]
    close = tail.find("⟩")
    if close >= 0 and "⟨" not in tail[:close]:
        tail = tail[close + 1 :]
    return f"{head}{ELLIPSIS}{tail}"


def _visible_value(value: object) -> object:
    """`value` with `visible` applied to every string in it (dict keys too); the same object
    when nothing changes, else a copy: a caller's objects are never modified."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, BaseModel):
        changed = {}
        for name in type(value).model_fields:
            old = getattr(value, name)
            new = _visible_value(old)
            if new is not old:
                changed[name] = new
        return value.model_copy(update=changed) if changed else value
    if isinstance(value, list | tuple):
        items = [_visible_value(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items)
    if isinstance(value, dict):
        pairs = [(_visible_value(k), _visible_value(v)) for k, v in value.items()]
        if all(k is k0 and v is v0 for (k, v), (k0, v0) in zip(pairs, value.items(), strict=True)):
            return value
        return dict(pairs)
    return value


def visible_fields(model: BaseModel) -> None:
    """Apply `visible` to every string of `model`'s fields, nested records, lists and dict keys
    included, replacing the fields that change. For a model's `mode="after"` validator: `model`
    is the validator's own new instance; the objects it was built from are left as they were."""
    for name in type(model).model_fields:
        old = getattr(model, name)
        new = _visible_value(old)
        if new is not old:
            setattr(model, name, new)
