"""A configuration that pydantic refuses, as the one line a user reads: each problem's key, what
was expected, what the file has, and for an unknown key the keys that are known there."""

from __future__ import annotations

import difflib
import re
import types
import typing
from pathlib import Path

from pydantic import BaseModel, ValidationError

EXAMPLE = "wattprint.example.yaml"


def key_text(loc: tuple) -> str:
    """('host_groups', 0, 'gpus') -> 'host_groups[0].gpus'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _model_in(annotation: object) -> tuple[type[BaseModel] | None, bool]:
    """The pydantic model an annotation holds (itself, or inside list[...], dict[str, ...],
    X | None), and whether it is inside a list or dict (the next key is an index or a name)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = typing.get_origin(annotation)
    if origin in (list, dict, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            model, inside = _model_in(arg)
            if model is not None:
                return model, inside or origin in (list, dict)
    return None, False


def _model_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The model whose field `loc` names, skipping list indices and dict keys between models."""
    model: type[BaseModel] | None = root
    skip = False  # the next part is a list index or dict key
    for part in loc:
        if skip:
            skip = False
        elif model is not None and part in model.model_fields:
            model, skip = _model_in(model.model_fields[part].annotation)
        else:
            return None
    return None if skip else model


def _unknown_key(root: type[BaseModel], loc: tuple) -> str:
    model = _model_at(root, loc[:-1])
    if model is None:
        return f"unknown key: remove it or correct its spelling (see {EXAMPLE})"
    known = [k for k in model.model_fields if k not in ("base_dir", "config_sha256")]
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    fix = f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(known)}"
    return f"unknown key: {fix} (see {EXAMPLE})"


def _problem(root: type[BaseModel], e: dict) -> str:
    key = key_text(e["loc"])
    if e["type"] == "extra_forbidden":
        return f"{key}: {_unknown_key(root, e['loc'])}"
    if e["type"] == "missing":
        return f"{key}: required key is missing: add it (see {EXAMPLE})"
    msg = e["msg"].removeprefix("Value error, ")
    got = e.get("input")
    shown = (
        "" if isinstance(got, dict | list) or got is None else f" (the file has {_masked(got)!r})"
    )
    return f"{key}: {msg}{shown}"


# a password inside a URL (scheme://user:password@host): never echoed back, even in an error
_URL_PASSWORD = re.compile(r"(\w[\w+.-]*://[^:/@\s]*:)[^@\s]*@")


def _masked(value: object) -> object:
    return _URL_PASSWORD.sub(r"\1***@", value) if isinstance(value, str) else value


def validation_line(path: Path, root: type[BaseModel], err: ValidationError) -> str:
    """`path: invalid configuration: <key>: <problem>; <key>: <problem>` on one line."""
    problems = "; ".join(_problem(root, e) for e in err.errors())
    return f"{path}: invalid configuration: {problems}"
