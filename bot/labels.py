"""Internal codes (NLU symptoms, life stages, statuses, outcomes, flow names, place codes) in
the words a kader or resident reads: every word comes from the catalog (bot/messages/id/
labels.yml) or from district.yml, never from the code itself."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from bot.catalog import Catalog

# The groups of labels.yml: group -> the fallback key for a code the catalog does not know.
GROUPS = {
    "symptom": "symptom.other",
    "stage": "label.unknown",
    "urgency": "label.unknown",
    "alert_status": "label.unknown",
    "alert_kind": "label.unknown",
    "outcome": "label.unknown",
    "role": "label.unknown",
    "flow": "flow.other",
}


def word(cat: Catalog, group: str, code: object) -> str:
    """The catalog's word for `code` in `group` ('symptom', 'fever' -> 'demam'); a generic
    word (never the code) when there is none."""
    key = f"{group}.{code}"
    return cat.t(key) if key in cat.texts else cat.t(GROUPS[group])


def symptoms(cat: Catalog, codes: Iterable[str]) -> list[str]:
    """NLU symptom codes as words, in order, each once."""
    out: list[str] = []
    for code in codes or ():
        w = word(cat, "symptom", code)
        if w not in out:
            out.append(w)
    return out


def place(places: Sequence[dict], code: str | None, cat: Catalog) -> str:
    """A place code of district.yml ('pustu-skm') as its name ('Pustu Sukamaju')."""
    for p in places:
        if p.get("code") == code and p.get("name"):
            return str(p["name"])
    return cat.t("label.unknown_place")


def elapsed(cat: Catalog, delta: timedelta) -> str:
    """'5 menit', '2 jam', '1 hari': how long ago, rounded down to the largest unit."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 1:
        return cat.t("time.moments")
    if minutes < 60:
        return cat.t("time.minutes", n=minutes)
    if minutes < 24 * 60:
        return cat.t("time.hours", n=minutes // 60)
    return cat.t("time.days", n=minutes // (24 * 60))


def clip(text: str | None, limit: int = 300) -> str:
    """A resident's words on one line, cut at a word boundary with '...' past `limit`."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 3]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" /,.;") + "..."
