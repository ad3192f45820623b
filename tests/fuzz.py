"""The byte-level corruptions every reader's fuzz test applies to a valid file.

`corrupted(original)` draws 1-3 of: truncation at a random byte, random byte replacement,
invalid UTF-8 inserted, a wrong delimiter, a duplicated line, lines shuffled (out-of-order
timestamps), a garbage line (random bytes, or text from `alphabet`), an empty file, a header-only
file, and any format-specific `mutations` (each takes the draw function and the lines and returns
new lines). Readers must answer every result with a ReadResult keeping
read = accepted + quarantined, or an UnreadableFileError naming the file.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping

from hypothesis import strategies as st

STRUCTURE = ',|"#\r\t []{}:NA/W%0123456789.-eE+T=gres/gpu\ufeff\x00²٣Z'
Mutation = Callable[[st.DrawFn, list[bytes]], list[bytes]]
BASIC = ("truncate", "replace", "non_utf8", "delimiter", "duplicate", "shuffle", "garbage")


@st.composite
def corrupted(
    draw: st.DrawFn,
    original: bytes,
    alphabet: str = STRUCTURE,
    mutations: Mapping[str, Mutation] | None = None,
    header_lines: int = 1,
) -> bytes:
    data = original
    extra = dict(mutations or {})
    ops = [*BASIC, "empty", "header_only", *extra]
    for op in draw(st.lists(st.sampled_from(ops), min_size=1, max_size=3)):
        lines = data.split(b"\n")
        if op == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif op == "replace" and data:
            for _ in range(draw(st.integers(1, 4))):
                i = draw(st.integers(0, len(data) - 1))
                data = data[:i] + draw(st.binary(min_size=1, max_size=1)) + data[i + 1 :]
        elif op == "non_utf8":
            i = draw(st.integers(0, len(data)))
            data = data[:i] + b"\xff\xc3(" + data[i:]
        elif op == "delimiter":
            data = data.replace(b",", draw(st.sampled_from([b";", b"\t", b"|", b" "])))
        elif op == "duplicate":
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(draw(st.integers(0, len(lines))), lines[i])
            data = b"\n".join(lines)
        elif op == "shuffle":
            random.Random(draw(st.integers(0, 2**16))).shuffle(lines)
            data = b"\n".join(lines)
        elif op == "garbage":
            junk = draw(
                st.one_of(
                    st.binary(max_size=30),
                    st.text(alphabet=alphabet, max_size=40).map(str.encode),
                )
            )
            lines.insert(draw(st.integers(0, len(lines))), junk.replace(b"\n", b""))
            data = b"\n".join(lines)
        elif op == "empty":
            data = b""
        elif op == "header_only":
            data = b"\n".join(lines[:header_lines]) + b"\n"
        elif op in extra:
            data = b"\n".join(extra[op](draw, lines))
    return data
