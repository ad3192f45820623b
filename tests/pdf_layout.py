"""How a report's tables fall on the PDF's pages, read from WeasyPrint's laid-out pages (the
boxes `report.pdf` is written from): each table's body rows on each page it spans."""

from __future__ import annotations

from weasyprint.document import Document
from weasyprint.formatting_structure import boxes


def table_fragments(document: Document) -> dict[int, list[tuple[int, int, bool]]]:
    """Per table (keyed by its HTML element): (page number, body rows on that page, whether
    its header is printed there) for each page the table is on. A header or footer row is not
    a body row."""
    out: dict[int, list[tuple[int, int, bool]]] = {}
    elements: dict[int, object] = {}
    for number, page in enumerate(document.pages, 1):
        for box in page._page_box.descendants():
            if not isinstance(box, boxes.TableBox):
                continue
            rows = sum(
                len(group.children)
                for group in box.children
                if isinstance(group, boxes.TableRowGroupBox)
                and not group.is_header
                and not group.is_footer
            )
            header = any(
                isinstance(group, boxes.TableRowGroupBox) and group.is_header
                for group in box.children
            )
            elements[id(box.element)] = box.element  # keep it alive: ids stay unique
            out.setdefault(id(box.element), []).append((number, rows, header))
    return out


def bad_splits(document: Document) -> list[str]:
    """Tables split across pages with a page holding fewer than two of their body rows (a lone
    header, or one row left at a page's end or carried over to the next)."""
    problems = []
    for fragments in table_fragments(document).values():
        if len(fragments) > 1 and any(rows < 2 for _, rows, _ in fragments):
            problems.append(", ".join(f"page {p}: {n} rows" for p, n, _ in fragments))
    return problems
