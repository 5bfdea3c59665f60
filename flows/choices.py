"""Numbered choices: accept "1", "satu", or the option's words (fuzzy)."""

from __future__ import annotations

from collections.abc import Sequence

NUMBER_WORDS = {
    "satu": 1, "hiji": 1, "siji": 1, "pertama": 1,
    "dua": 2, "kalih": 2, "loro": 2, "kedua": 2,
    "tiga": 3, "tilu": 3, "telu": 3, "ketiga": 3,
    "empat": 4, "opat": 4, "papat": 4, "keempat": 4,
    "lima": 5, "limo": 5, "kelima": 5,
    "enam": 6, "genep": 6, "enem": 6,
    "tujuh": 7, "tujuh.": 7, "pitu": 7,
    "delapan": 8, "dalapan": 8, "wolu": 8,
    "sembilan": 9, "salapan": 9, "songo": 9,
}  # fmt: skip


def numbered(options: Sequence[str]) -> str:
    return " ".join(f"{i}. {o}" for i, o in enumerate(options, 1))


def pick(text: str, options: Sequence[str], cutoff: int = 80) -> int | None:
    """Index of the chosen option, or None."""
    answer = text.strip().lower().strip(".!)")
    if answer.isdigit():
        n = int(answer)
        return n - 1 if 1 <= n <= len(options) else None
    if answer in NUMBER_WORDS and NUMBER_WORDS[answer] <= len(options):
        return NUMBER_WORDS[answer] - 1
    if not answer:
        return None
    lowered = [o.lower() for o in options]
    for i, o in enumerate(lowered):
        if answer == o or (len(answer) >= 4 and (answer in o or o in answer)):
            return i
    from rapidfuzz import fuzz, process

    best = process.extractOne(answer, lowered, scorer=fuzz.WRatio)
    if best and best[1] >= cutoff:
        return best[2]
    return None
