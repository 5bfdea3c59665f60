"""Short, sourced answers to common health questions; anything else goes to the kader/bidan."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from flows.base import IDLE, Context, Message, State, Step
from flows.events import InfoGiven, QuestionForwarded

CONTENT = Path(__file__).resolve().parent / "content" / "info.yml"


@lru_cache(maxsize=1)
def topics() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(id, catalog key, words) per topic, validated: every topic needs words, key and source."""
    data = yaml.safe_load(CONTENT.read_text(encoding="utf-8"))
    out = []
    for t in data["topics"]:
        missing = [k for k in ("id", "words", "key", "source") if not t.get(k)]
        if missing:
            raise ValueError(f"{CONTENT.name}: topic {t.get('id')!r} lacks {missing}")
        out.append((t["id"], t["key"], tuple(w.lower() for w in t["words"])))
    return tuple(out)


@lru_cache(maxsize=1)
def priorities() -> dict[str, int]:
    """Catalog key -> priority (default 0): a matching topic with a higher priority wins over a
    longer match ("periksa hamil di pustu bayar ga" is a question about costs)."""
    data = yaml.safe_load(CONTENT.read_text(encoding="utf-8"))
    return {t["key"]: int(t.get("priority", 0)) for t in data["topics"]}


@lru_cache(maxsize=1)
def companions() -> dict[str, tuple[str, ...]]:
    """Catalog key -> words one of which must occur too (`with`): a dengue word and "tanda"
    ask for the warning signs; a dengue word alone is the prevention topic."""
    data = yaml.safe_load(CONTENT.read_text(encoding="utf-8"))
    return {t["key"]: tuple(w.lower() for w in t["with"]) for t in data["topics"] if t.get("with")}


def _says(word: str, lowered: str) -> bool:
    return re.search(rf"\b{re.escape(word)}\b", lowered) is not None


def find_topic(text: str) -> str | None:
    """The topic whose words occur in the text (and one of its `with` words, when it has
    some): highest priority, then longest match."""
    lowered = " " + re.sub(r"[^\w\s]", " ", text.lower()) + " "
    best, best_rank = None, (0, 0)
    for _, key, words in topics():
        needed = companions().get(key)
        if needed and not any(_says(w, lowered) for w in needed):
            continue
        for w in words:
            rank = (priorities()[key], len(w))
            if re.search(rf"\b{re.escape(w)}\b", lowered) and rank > best_rank:
                best, best_rank = key, rank
    return best


def ask_info(state: State, msg: Message, ctx: Context) -> Step:
    if msg.text.strip() in {"5"} or msg.text.strip().lower() == "info":
        return Step(State("info", "topic", {}), (ctx.t("info.ask_topic"),))
    return answer(msg, ctx)


def answer(msg: Message, ctx: Context) -> Step:
    key = find_topic(msg.text)
    if key is not None:
        return Step(IDLE, (ctx.t(key),), (InfoGiven(topic=key),))
    event = QuestionForwarded(ref=ctx.ref, text=msg.text[:500])
    return Step(IDLE, (ctx.t("info.unknown"),), (event,))


def step_topic(state: State, msg: Message, ctx: Context) -> Step:
    return answer(msg, ctx)


STEPS = {"topic": step_topic}
