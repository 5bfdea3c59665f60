"""'Kapan posyandu?' ('posyandu na iraha bu?', 'kapan posyandu kaler?'): the next days, hours
and place of the posyandu of the resident's area (or of the dusun named), from district.yml's
places. Pure: the caller passes the places and the areas in the context."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flows.base import IDLE, Context, Message, Step
from flows.booking import fmt_date
from scheduler.planner import expand_posyandu

_POSYANDU = re.compile(r"\bposyandu\w*\b")
_WHEN = re.compile(
    r"\b(kapan|kpn|iraha|tanggal|tgl|jam|hari apa|dinten naon|dimana|di mana|mana|buka|"
    r"jadwalna|jadwale|jadwalnya|kapanan|pukul|kapan aja)\b"
)
_NOT = re.compile(r"\b(daftar|batal|ganti|bpjs|biaya|bayar|gratis)\b")
LOOKAHEAD_DAYS = 70  # the next two posyandu days of a monthly rule


def asks_posyandu(text: str) -> bool:
    """A question about when or where the posyandu is."""
    lowered = text.lower()
    return bool(_POSYANDU.search(lowered) and _WHEN.search(lowered) and not _NOT.search(lowered))


def _chain(code: str | None, ctx: Context) -> set[str]:
    by_code = {a.code: a for a in ctx.areas}
    out: set[str] = set()
    while code and code in by_code and code not in out:
        out.add(code)
        code = by_code[code].parent
    return out


def _named_area(text: str, ctx: Context) -> str | None:
    lowered = text.lower()
    for area in ctx.areas:
        if area.level == "dusun" and re.search(rf"\b{re.escape(area.name.lower())}\b", lowered):
            return area.code
    return None


def answer(state: Any, msg: Message, ctx: Context) -> Step:
    area = _named_area(msg.text, ctx) or ctx.contact.area_code
    chain = _chain(area, ctx)
    posyandu = [p for p in ctx.places if p.get("kind") == "posyandu"]
    mine = [p for p in posyandu if chain & set(p.get("areas") or ())]
    if not mine and area is not None:  # a desa: the posyandu of its dusun
        below = {a.code for a in ctx.areas if a.parent == area}
        mine = [p for p in posyandu if below & set(p.get("areas") or ())]
    if not mine:  # a resident whose area we know is not told to register
        key = "posyandu.unknown_registered" if ctx.contact.area_code else "posyandu.unknown"
        return Step(IDLE, (ctx.t(key),))
    today = ctx.today()
    lines = []
    for place in mine:
        days = expand_posyandu(
            place.get("posyandu_rule") or {}, today, today + timedelta(days=LOOKAHEAD_DAYS)
        )
        hours = place.get("hours") or ["", ""]
        when = ", ".join(fmt_date(d, ctx.t, today) for d in days[:2]) or ctx.t("posyandu.no_day")
        lines.append(
            ctx.t("posyandu.line", name=place["name"], days=when, start=hours[0], end=hours[1])
        )
    return Step(IDLE, (ctx.t("posyandu.answer", lines="\n".join(lines)),))
