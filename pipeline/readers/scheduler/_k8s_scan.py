"""Finding the pods in a pod inventory text: a pod list's `items`, a single Pod, an array of pods
or pods one per line, each with the offsets where its JSON object starts and ends, and a `Damage`
where a document is cut off or malformed (see k8s_pods.py for what is read after one).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pipeline.readers.scheduler._k8s_fields import key_path, shown

_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True)
class Item:
    path: str  # JSON path of the pod, "" for a bare Pod document
    start: int  # offset of its first character in the text
    end: int  # offset just after it
    value: Any


@dataclass(frozen=True)
class Damage:
    path: str  # where reading stopped, for the message
    start: int  # offset the problem is reported at
    reason: str
    in_item: bool  # inside a pod (a row lost) rather than the surrounding document
    resumed: int | None = None  # offset where reading went on after it, if it did


class _Broken(Exception):
    def __init__(self, damage: Damage) -> None:
        super().__init__(damage.reason)
        self.damage = damage


def _skip(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()  # type: ignore[union-attr]


def _decode(text: str, pos: int, path: str, in_item: bool) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        where = f"at line {exc.lineno} column {exc.colno}"
        what = (
            "cut off"
            if exc.pos >= len(text)
            else f"not valid JSON: {exc.msg.removesuffix(' at')} {where}"
        )
        raise _Broken(
            Damage(path, pos if in_item else exc.pos, f"{path or 'the document'}: {what}", in_item)
        ) from None
    except RecursionError:
        raise _Broken(
            Damage(path, pos, f"{path or 'the document'}: nested too deeply to read", in_item)
        ) from None


def _expect(text: str, pos: int, chars: str, path: str) -> int:
    pos = _skip(text, pos)
    if pos < len(text) and text[pos] in chars:
        return pos
    found = repr(text[pos : pos + 20]) if pos < len(text) else "the end of the file"
    wanted = " or ".join(repr(c) for c in chars)
    raise _Broken(
        Damage(
            path,
            min(pos, max(len(text) - 1, 0)),
            f"{path or 'the document'}: expected {wanted}, got {found}",
            False,
        )
    )


def _array(text: str, pos: int, base: str) -> Iterator[Item]:
    """The elements of the array at `pos` (its '['), as pods; returns the offset after ']'."""
    pos = _skip(text, pos + 1)
    if pos < len(text) and text[pos] == "]":
        return pos + 1
    index = 0
    while True:
        path = f"{base}[{index}]"
        pos = _skip(text, pos)
        if pos >= len(text):
            raise _Broken(Damage(path, max(len(text) - 1, 0), f"{path}: cut off", True))
        value, end = _decode(text, pos, path, True)
        yield Item(path, pos, end, value)
        index += 1
        pos = _expect(text, end, ",]", f"after {path}")
        if text[pos] == "]":
            return pos + 1
        pos += 1


def _object(text: str, pos: int) -> Iterator[Item]:
    """A top-level object at `pos`: its `items` as pods, or itself if it is a Pod."""
    start = pos
    fields: dict[str, Any] = {}
    had_items = False
    pos = _skip(text, pos + 1)
    if pos < len(text) and text[pos] == "}":
        pos += 1
    else:
        while True:
            pos = _expect(text, pos, '"', "the document")
            key, pos = _decode(text, pos, "the document", False)
            pos = _expect(text, pos, ":", key_path("", key)) + 1
            pos = _skip(text, pos)
            if key == "items" and pos < len(text) and text[pos] == "[":
                had_items = True
                pos = yield from _array(text, pos, "items")
            else:
                fields[key], pos = _decode(text, pos, key_path("", key), False)
            pos = _expect(text, pos, ",}", "the document")
            pos += 1
            if text[pos - 1] == "}":
                break
    if not had_items:
        kind = fields.get("kind")
        if kind != "Pod":
            raise _Broken(
                Damage(
                    "",
                    start,
                    f"expected a Pod or a List of pods (with items), got an object with kind "
                    f"{shown(kind)}",
                    True,
                )
            )
        yield Item("", start, pos, fields)
    return pos


_NEXT_DOCUMENT = re.compile(r"\n(?=\{)")


def scan(text: str) -> Iterator[Item | Damage]:
    """Every pod in the text, in order, with a Damage where a document is broken.

    After a broken document, reading resumes at the next line that starts with '{' if that line is
    one whole pod (pods one per line, as `jq -c '.items[]'` writes them); otherwise, and always
    inside a pod list's `items`, it cannot tell where the next pod starts, so it stops there."""
    pos = _skip(text, 0)
    while pos < len(text):
        try:
            if text[pos] == "{":
                pos = yield from _object(text, pos)
            elif text[pos] == "[":
                pos = yield from _array(text, pos, "")
            else:
                raise _Broken(
                    Damage(
                        "",
                        pos,
                        "expected a JSON object or array (a pod list), got "
                        f"{text[pos : pos + 20]!r}",
                        False,
                    )
                )
        except _Broken as broken:
            damage = broken.damage
            after = _NEXT_DOCUMENT.search(text, max(damage.start, pos))
            if "[" in damage.path or after is None or not _pod_line(text, after.end()):
                yield damage
                return
            yield Damage(damage.path, damage.start, damage.reason, damage.in_item, after.end())
            pos = after.end()
            continue
        pos = _skip(text, pos)


def _pod_line(text: str, start: int) -> bool:
    """Whether the line from `start` is one whole pod object and nothing else (a JSON-lines pod)."""
    end = text.find("\n", start)
    try:
        value = json.loads(text[start : len(text) if end < 0 else end])
    except (ValueError, RecursionError):
        return False
    return isinstance(value, dict) and (
        value.get("kind") == "Pod" or ("kind" not in value and "metadata" in value)
    )
