"""Kader commands over WhatsApp/SMS: a small parser (not NLU), case- and space-tolerant."""

from __future__ import annotations

import re
from dataclasses import dataclass

COMMANDS = ("TERIMA", "TOLAK", "SELESAI", "RUJUK", "IMUN", "JADWAL", "CARI", "BANTUAN")
USAGE = {
    "TERIMA": "TERIMA <ref>",
    "TOLAK": "TOLAK <ref> <alasan>",
    "SELESAI": "SELESAI <ref> <catatan>",
    "RUJUK": "RUJUK <ref>",
    "IMUN": "IMUN <no anak atau nama> <vaksin...> [2026-03-01]",
    "CARI": "CARI <nama anak/warga>",
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LOCAL_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")  # 10-01-2024, as in the Buku KIA
# what kader really type for a command word ("trima", "Terima:", "selesai.")
ALIASES = {"TRIMA": "TERIMA", "TERIMAH": "TERIMA", "TERIMAA": "TERIMA", "SELSAI": "SELESAI"}
_EDGE_PUNCT = ".,:;!?#*"
_REF_WORDS = {"REF", "REF.", "NO", "NO.", "NOMOR", "NOMER"}


@dataclass(frozen=True)
class Command:
    name: str
    ref: str | None = None
    rest: str = ""
    items: tuple[str, ...] = ()
    date: str | None = None
    error: str | None = None  # "usage" when the arguments are missing
    who: str | None = None  # IMUN by name ("IMUN neng rara dpt3"), CARI's name


def parse(text: str) -> Command | None:
    """'terima  123' -> Command('TERIMA', '123'); None when the text is not a command."""
    words = (text or "").split()
    if not words:
        return None
    first = words[0].upper().strip(_EDGE_PUNCT)
    first = ALIASES.get(first, first)
    if first not in COMMANDS:
        return None
    name, args = first, words[1:]
    if name not in ("IMUN",) and args and args[0].upper() in _REF_WORDS:
        args = args[1:]  # "TERIMA ref 123"
    if args:
        args = [args[0].strip(_EDGE_PUNCT), *args[1:]]
        if not args[0]:
            args = args[1:]
    if name == "JADWAL" and args and args[0].isdigit() and len(args[0]) < 4:
        return Command(name, args[0])  # "JADWAL 2": the second page
    if name in ("JADWAL", "BANTUAN"):
        return Command(name)
    if name == "TERIMA" and args and args[0].lower() in ("kasih", "ksh", "kasi", "kasihh"):
        return None  # "terima kasih": thanks, not a command
    if not args:
        return Command(name, error="usage")
    if name == "CARI":
        return Command(name, who=" ".join(args))
    ref = args[0].lstrip("#")
    if name == "IMUN" and not ref.isdigit():  # "IMUN neng rara dpt3": the name, then the items
        words = [a for a in args if not (_DATE.match(a) or _LOCAL_DATE.match(a))]
        split = next((i for i, w in enumerate(words) if _is_item(w)), len(words))
        dates = [_iso(a) for a in args if _DATE.match(a) or _LOCAL_DATE.match(a)]
        items = item_codes(words[split:])
        if split == 0 or not items:
            return Command(name, ref, error="usage")
        who = " ".join(words[:split])
        return Command(name, None, items=tuple(items), date=dates[0] if dates else None, who=who)
    if name == "IMUN":
        dates = [_iso(a) for a in args[1:] if _DATE.match(a) or _LOCAL_DATE.match(a)]
        items = item_codes([a for a in args[1:] if not (_DATE.match(a) or _LOCAL_DATE.match(a))])
        if not items:
            return Command(name, ref, error="usage")
        return Command(name, ref, items=tuple(items), date=dates[0] if dates else None)
    return Command(name, ref, rest=" ".join(args[1:]))


def _iso(text: str) -> str:
    """'10-01-2024' -> '2024-01-10' (an impossible date stays as typed, refused later)."""
    m = _LOCAL_DATE.match(text)
    return f"{m.group(3)}-{m.group(2).zfill(2)}-{m.group(1).zfill(2)}" if m else text


def item_codes(words: list[str]) -> list[str]:
    """What a kader types for the doses, as the rules' codes: 'DPT 3', 'polio1', 'campak 1',
    'polio suntik 1', 'hb0' -> DPT3, OPV1, MR1, IPV1, HB0 (the Buku KIA words of
    flows/content/kia_book.yml); ANC1, KN1, VITA... as typed."""
    from flows import kia_book

    tokens = [w.strip(",;") for w in words if w.strip(",;")]
    merged: list[str] = []
    for token in tokens:  # "DPT 3": the number belongs to the word before it
        if merged and token.isdigit() and not merged[-1][-1:].isdigit():
            merged[-1] += token
        elif merged and merged[-1].lower() in ("polio",) and token.lower() == "suntik":
            merged[-1] += " suntik"
        else:
            merged.append(token)
    codes = []
    for token in merged:
        said = kia_book.parse(token)
        if said.kind == "list" and said.problem is None and len(said.said) == 1:
            one = said.said[0]
            codes.append(one.code if one.number is None else f"{one.code}{one.number}")
        else:
            codes.append(token.upper())
    return codes


def _is_item(word: str) -> bool:
    """A dose word ('dpt3', 'polio1', 'bcg', 'anc1', 'dpt' before its number)."""
    from scheduler.rules import ITEM_CODES

    code = item_codes([word])[0] if word.strip(",;") else ""
    series = {c.rstrip("0123456789") for c in ITEM_CODES}
    return code in ITEM_CODES or code in series or word.lower() in ("polio", "campak", "rota")


def outcome_of(note: str) -> str:
    """visited | referred | no_one_home | cancelled, from a SELESAI note ("dobel, sama dgn
    755394": a duplicate alert is cancelled, not counted as a second visit)."""
    n = note.lower()
    if re.search(r"\b(dobel|double|duplikat|duplicate|ganda|sama (?:dengan|dgn|dg|kaya|kayak)"
                 r"|salah kirim|salah lapor)\b", n):  # fmt: skip
        return "cancelled"
    if re.search(r"rujuk|rs\b|rumah sakit|igd", n):
        return "referred"
    if re.search(r"(tidak|gak|ga|nggak) ada (orang|di rumah)|kosong|tidak ketemu|pindah", n):
        return "no_one_home"
    return "visited"
