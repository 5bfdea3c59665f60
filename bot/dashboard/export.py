"""CSV downloads of the dashboard's lists: formula-safe cells, audited exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from flask import Response, request

from bot.dashboard.audit import record
from bot.dashboard.core import db, today


def wants_csv() -> bool:
    return request.args.get("format") == "csv"


def _cell(value: object) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    text = str(value)
    if text == "-":
        return ""  # the pages' placeholder for nothing: an empty cell, not "'-"
    if text[:1] in ("=", "@", "\t", "\r") or (text[:1] in ("+", "-") and not text[1:2].isdigit()):
        return "'" + text
    return text


def csv_response(name: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> Response:
    """A CSV download (UTF-8, comma-separated, header row) of `rows` restricted to `columns`;
    the export itself is audited."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
        count += 1
    session = db()
    record(
        session,
        "export",
        target=f"export:{name}",
        rows=count,
        query=request.query_string.decode()[:200],
    )
    session.commit()
    filename = f"{name}-{today().isoformat()}.csv"
    return Response(
        buf.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


def csv_url() -> str:
    """The current page's URL with format=csv."""
    args = request.args.to_dict()
    args["format"] = "csv"
    from urllib.parse import urlencode

    return f"{request.path}?{urlencode(args)}"
