"""Answers to a reminder: SUDAH, BELUM, and what a mother really writes ("udh kok", "udah yg
periksa hamil aja, imunisasi dede blm", "teu acan", "sampun sedanten").

The answer is resolved against exactly the items the contact's last reminder asked about and
that are still open (the `reminders` lookup): "sudah" and "udah semua" record them all, a
partial answer records what it names and keeps the rest, a "belum" records nothing and offers
a booking. When the words do not say which items (sebagian, "belum semua", an item the
reminder did not ask about, "imunisasi dede" with two children in it) the bot asks once which
ones, never guesses. The words are data (flows/content/reminder_answers.yml); a message with a
word not listed there is no answer and goes to the NLU as usual."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from flows.asking import again, ask
from flows.base import IDLE, Context, Message, State, Step
from flows.choices import NUMBER_WORDS
from flows.events import DosesReported, ReminderNotYet
from flows.lifestage import life_stage
from scheduler.rules import ITEM_CODES

FLOW = "reminder"
CONTENT = Path(__file__).resolve().parent / "content" / "reminder_answers.yml"
WORD_LISTS = (
    "done",
    "not_yet",
    "all",
    "some",
    "others",
    "only",
    "separators",
    "yesterday",
    "children",
    "fillers",
)
CHILD_STAGES = ("newborn", "infant", "child", "school_age")
# names that say nothing about who is meant ("Bayi Ny. Siti")
GENERIC_NAME_WORDS = {"bayi", "anak", "ny", "nyonya", "tn", "ibu", "bapak", "bu", "pak", "by"}
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_CLAUSE_BREAK = re.compile(r"[,.;!?\n]+")
_SUFFIXES = ("nya", "na", "ne", "e")


@dataclass(frozen=True)
class Lexicon:
    phrases: Mapping[tuple[str, ...], tuple[str, str]]  # words -> (kind of symbol, value)
    longest: int
    kinds: Mapping[str, tuple[str, ...]]  # kind id -> item codes or code prefixes
    # kinds whose word does not say which when it fits two series of one person ("polio":
    # drops or injection?): then the resident is asked
    one_of: frozenset[str] = frozenset()


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _squeeze(word: str) -> str:
    """'udahhh' -> 'udah', 'sudaaah' -> 'sudah' (letters stretched for emphasis)."""
    return re.sub(r"(\D)\1+", r"\1", word)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The answer words, validated once: lowercase, known keys, no phrase listed twice, every
    item prefix naming a known schedule item."""
    data = yaml.safe_load(CONTENT.read_text(encoding="utf-8")) or {}
    unknown = set(data) - {*WORD_LISTS, "kinds"}
    if unknown:
        raise ValueError(f"{CONTENT.name}: unknown keys {sorted(unknown)}")
    phrases: dict[tuple[str, ...], tuple[str, str]] = {}

    def add(words: Iterable[Any], symbol: tuple[str, str], where: str) -> None:
        for word in words:
            if not isinstance(word, str) or not word.strip() or word != word.strip().lower():
                raise ValueError(f"{CONTENT.name}: {where}: {word!r} is not a lowercase word")
            key = tuple(_tokens(word))
            if key in phrases:
                raise ValueError(f"{CONTENT.name}: {where}: {word!r} is listed twice")
            phrases[key] = symbol

    for name in WORD_LISTS:
        words = data.get(name)
        if not isinstance(words, list) or not words:
            raise ValueError(f"{CONTENT.name}: '{name}' must be a non-empty list")
        add(words, (name, ""), name)
    kinds: dict[str, tuple[str, ...]] = {}
    one_of: set[str] = set()
    for kind, spec in (data.get("kinds") or {}).items():
        if (spec or {}).get("one_of"):
            one_of.add(kind)
        items = tuple((spec or {}).get("items") or ())
        bad = [i for i in items if not any(code.startswith(i) for code in ITEM_CODES)]
        if not items or bad:
            raise ValueError(f"{CONTENT.name}: kinds.{kind}: items {bad or 'missing'}")
        add((spec or {}).get("words") or (), ("kind", kind), f"kinds.{kind}")
        kinds[kind] = items
    if not kinds:
        raise ValueError(f"{CONTENT.name}: 'kinds' must not be empty")
    return Lexicon(phrases, max(len(k) for k in phrases), kinds, frozenset(one_of))


def _matches(code: str, prefixes: Sequence[str]) -> bool:
    """ANC matches ANC1..ANC6; DT matches DT only (not DPT1); MR matches MR1..MR3."""
    return any(code == p or (code.startswith(p) and code[len(p) :].isdigit()) for p in prefixes)


# --- reading the message -------------------------------------------------------------------


@dataclass
class Group:
    """One clause's polarity and what it names."""

    polarity: str  # done | not_yet
    kinds: list[str] = field(default_factory=list)
    persons: list[int] = field(default_factory=list)
    children: bool = False
    all: bool = False
    some: bool = False
    others: bool = False

    @property
    def names_something(self) -> bool:
        return bool(self.kinds or self.persons or self.children or self.others)


@dataclass(frozen=True)
class Reading:
    groups: tuple[Group, ...]
    yesterday: bool = False
    numbers: tuple[int, ...] = ()


def _name_words(items: Sequence[Mapping[str, Any]], ctx: Context) -> dict[str, int | None]:
    """Name word -> person id for the persons of the reminder (None: shared by two of them)."""
    out: dict[str, int | None] = {}
    wanted = {i["person_id"] for i in items}
    for p in ctx.household:
        for word in set(_tokens(p.name or "")):
            if word in GENERIC_NAME_WORDS or len(word) < 2:
                continue
            out[word] = p.id if word not in out and p.id in wanted else None
    return out


def _symbols(text: str, names: Mapping[str, int | None]) -> list[tuple[str, Any]] | None:
    """The message as a list of symbols, or None when a word is not an answer word."""
    lex = lexicon()
    out: list[tuple[str, Any]] = []
    for clause in _CLAUSE_BREAK.split(text.lower()):
        words = _tokens(clause)
        i = 0
        while i < len(words):
            word = words[i]
            if names.get(word) is not None and lex.phrases.get((word,), ("",))[0] == "children":
                out.append(("person", names[word]))  # a child named Dede, not "the little one"
                i += 1
                continue
            for n in range(min(lex.longest, len(words) - i), 0, -1):
                chunk = words[i : i + n]
                variants = [tuple(chunk), tuple(_squeeze(w) for w in chunk)]
                last = chunk[-1]
                for suffix in _SUFFIXES:
                    if last.endswith(suffix) and len(last) > len(suffix) + 2:
                        variants.append((*chunk[:-1], last[: -len(suffix)]))
                hit = next((lex.phrases[v] for v in variants if v in lex.phrases), None)
                if hit is not None:
                    out.append(hit)
                    i += n
                    break
            else:
                word = words[i]
                if word in names:
                    out.append(("person", names[word]))
                elif word.isdigit() or word in NUMBER_WORDS:
                    out.append(("number", int(word) if word.isdigit() else NUMBER_WORDS[word]))
                else:
                    return None
                i += 1
        out.append(("separators", ""))
    return _dapat(out)


def _dapat(symbols: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """'dpt' before another vaccine's word is the verb ("blm dpt vit A": not yet got vitamin
    A), not the DPT vaccine."""
    return [
        sym
        for n, sym in enumerate(symbols)
        if not (
            sym == ("kind", "dpt")
            and n + 1 < len(symbols)
            and symbols[n + 1][0] == "kind"
            and symbols[n + 1][1] != "dpt"
        )
    ]


def read(text: str, items: Sequence[Mapping[str, Any]], ctx: Context, default: str | None = None):
    """What the message answers: a Reading, or None when it is not a reminder answer.
    `default` is the polarity of a clause that says none (the "which?" question: done)."""
    symbols = _symbols(text, _name_words(items, ctx))
    if symbols is None:
        return None
    polar = [s for s, _ in symbols if s in ("done", "not_yet")]
    if not polar and default is None:
        return None
    numbers = tuple(v for s, v in symbols if s == "number")
    clauses: list[list[tuple[str, Any]]] = [[]]
    for sym in symbols:
        if sym[0] == "separators":
            clauses.append([])
        else:
            clauses[-1].append(sym)
            if sym[0] == "only":
                clauses.append([])
    # a clause that names items but says neither ("udah polio, campak juga") takes the
    # polarity of the clause before it, else of the one after it
    said = [_polarity(c) for c in clauses]
    groups: list[Group] = []
    for n, clause in enumerate(clauses):
        inherited = default
        if default is None and said[n] is None and _names(clause):
            before = [p for p in said[:n] if p]
            after = [p for p in said[n + 1 :] if p]
            inherited = (before[-1:] or after[:1] or [None])[0]
        groups += _groups(clause, inherited)
    return Reading(tuple(groups), any(s == "yesterday" for s, _ in symbols), numbers)


REFS = ("kind", "person", "children", "all", "some", "others")


def _names(clause: list[tuple[str, Any]]) -> bool:
    return any(s in REFS for s, _ in clause)


def _polarity(clause: list[tuple[str, Any]]) -> str | None:
    """The clause's last polarity word (the one nearest what follows)."""
    said = [s for s, _ in clause if s in ("done", "not_yet")]
    return said[-1] if said else None


def _groups(clause: list[tuple[str, Any]], default: str | None) -> list[Group]:
    """One clause -> groups: with one polarity (or several in a row, "teu acan") one group;
    with several, each polarity takes what follows it when the clause starts with one
    ("udah polio belum campak"), else what comes before it ("polio udah campak belum")."""
    marks: list[int] = []  # positions of polarity words starting a new polarity
    for i, (s, _) in enumerate(clause):
        same_as_before = i > 0 and clause[i - 1][0] == s
        if s in ("done", "not_yet") and not (marks and same_as_before):
            marks.append(i)
    if not marks:
        if default is None or not any(s in (*REFS, "number") for s, _ in clause):
            return []
        return [_group(default, clause)]
    if len(marks) == 1:
        return [_group(clause[marks[0]][0], clause)]
    spans = []
    first_ref = next((i for i, (s, _) in enumerate(clause) if s in REFS), len(clause))
    if marks[0] < first_ref:  # prefix: a polarity and what follows
        for n, start in enumerate(marks):
            end = marks[n + 1] if n + 1 < len(marks) else len(clause)
            spans.append((clause[start][0], clause[start:end]))
    else:  # postfix: what comes before, then its polarity
        start = 0
        for n, mark in enumerate(marks):
            end = len(clause) if n == len(marks) - 1 else mark + 1
            spans.append((clause[mark][0], clause[start:end]))
            start = end
    return [_group(polarity, part) for polarity, part in spans]


def _group(polarity: str, part: list[tuple[str, Any]]) -> Group:
    g = Group(polarity)
    for n, (s, v) in enumerate(part):
        if s == "kind":
            g.kinds.append(v)
        elif s == "person":
            if v is None:
                g.some = True  # a name two persons share: not clear who
            else:
                g.persons.append(v)
        elif s == "children":
            g.children = True
        elif s == "others":
            g.others = True
        elif s == "some":
            g.some = True
        elif s == "all":
            before = part[n - 1][0] if n else None
            if before == "not_yet":  # "belum semua": some were done
                g.some = True
            else:
                g.all = True
    return g


# --- resolving it against the reminder's items -------------------------------------------


class Unclear(Exception):
    """The words do not say which items: ask."""


def _child_ids(items: Sequence[Mapping[str, Any]], ctx: Context) -> set[int]:
    today = ctx.today()
    persons = {p.id: p for p in ctx.household}
    return {
        i["person_id"]
        for i in items
        if i["person_id"] in persons and life_stage(persons[i["person_id"]], today) in CHILD_STAGES
    }


def _select(g: Group, items: Sequence[Mapping[str, Any]], ctx: Context) -> set[int]:
    """Indexes of the items a group names; Unclear when a name matches nothing or too much."""
    persons = set(g.persons)
    which_child = g.children  # "dede" with two children in the reminder: which one?
    if g.children:
        children = _child_ids(items, ctx)
        unnamed = children - persons
        if persons and len(unnamed) == 1:  # "dede sm raka": the child not named, and Raka
            children, which_child = unnamed, False
        if len(children) != 1 and not g.kinds:
            raise Unclear("children")
        persons |= children
    everything = set(range(len(items)))
    if g.all:
        return everything
    if not g.kinds:
        chosen = {n for n in everything if items[n]["person_id"] in persons}
        if not chosen:
            raise Unclear("nobody")
        return chosen
    chosen: set[int] = set()
    lex = lexicon()
    for kind in g.kinds:
        of_kind = {n for n in everything if _matches(items[n]["item"], lex.kinds[kind])}
        if not of_kind:
            raise Unclear(f"not asked: {kind}")
        if persons:
            mine = {n for n in of_kind if items[n]["person_id"] in persons}
            if which_child and len({items[n]["person_id"] for n in mine}) > 1:
                raise Unclear("children")
            of_kind = mine or of_kind  # "periksa hamil sama imunisasi dede": each its own
        if kind in lex.one_of and _two_series_of_one(items, of_kind, lex.kinds[kind]):
            raise Unclear(f"which {kind}")
        chosen |= of_kind
    return chosen


def _two_series_of_one(
    items: Sequence[Mapping[str, Any]], chosen: set[int], series: Sequence[str]
) -> bool:
    """Two of `series` (OPV and IPV) among one person's chosen items."""
    by_person: dict[Any, set[str]] = {}
    for n in chosen:
        code = items[n]["item"]
        prefix = next((p for p in series if _matches(code, (p,))), code)
        by_person.setdefault(items[n]["person_id"], set()).add(prefix)
    return any(len(found) > 1 for found in by_person.values())


def resolve(reading: Reading, items: Sequence[Mapping[str, Any]], ctx: Context) -> set[int] | None:
    """Indexes of the items done (empty: none done), or None when it is unclear."""
    everything = set(range(len(items)))
    groups = list(reading.groups)
    if not groups or any(g.some for g in groups):
        named_done = [g for g in groups if g.polarity == "done" and g.names_something]
        if not named_done:
            return None  # "sudah sebagian", "belum semua": which ones?
        groups = [g for g in groups if not g.some]
    done: set[int] = set()
    not_yet: set[int] = set()
    try:
        named = {
            id(g): _select(g, items, ctx)
            for g in groups
            if g.names_something and not g.others or g.all
        }
    except Unclear:
        return None
    mentioned = set().union(*named.values()) if named else set()
    plain = [g for g in groups if id(g) not in named]
    for g in groups:
        if id(g) in named:
            chosen = named[id(g)]
        elif g.others or len(groups) > 1:  # "yg lain udah", "udah, tp imunisasi blm"
            chosen = everything - mentioned
            if not chosen:
                return None
        else:  # a bare "sudah" / "belum": everything the reminder asked
            chosen = everything
        (done if g.polarity == "done" else not_yet).update(chosen)
    if done & not_yet or (len(plain) > 1 and len({g.polarity for g in plain}) > 1):
        return None
    return done


# --- steps ---------------------------------------------------------------------------------


def _open_items(ctx: Context) -> list[dict[str, Any]]:
    """The last reminder's open items, each (person, item, occurrence) once."""
    seen, out = set(), []
    for i in ctx.lookups.get("reminders") or []:
        key = (i["person_id"], i["item"], i["occurrence"])
        if key not in seen:
            seen.add(key)
            out.append(
                {
                    "person_id": i["person_id"],
                    "item": i["item"],
                    "occurrence": i["occurrence"],
                    "name": i.get("name") or i["item"],  # ANC named by her count of checks
                }
            )
    return out


def _label(item: Mapping[str, Any], ctx: Context) -> str:
    key = f"items.{item.get('name') or item['item']}"
    try:
        name = ctx.t(key)
    except Exception:  # an item without a catalog text: its code rather than a failure
        name = item["item"]
    person = next((p for p in ctx.household if p.id == item["person_id"]), None)
    return ctx.t("reminder.item", item=name, person=person.name if person else "-")


def _labels(items: Iterable[Mapping[str, Any]], ctx: Context) -> str:
    return ", ".join(_label(i, ctx) for i in items)


def _options(items: Sequence[Mapping[str, Any]], ctx: Context) -> str:
    return "\n".join(f"{n}. {_label(i, ctx)}" for n, i in enumerate(items, 1))


def _bare_answer(text: str) -> bool:
    """'SUDAH', 'blm', 'udh kok': a yes or no and nothing more (no items named)."""
    symbols = _symbols(text, {})
    if symbols is None:
        return False
    kinds = {s for s, _ in symbols} - {"separators", "fillers", "only", "all"}
    return bool(kinds) and kinds <= {"done", "not_yet"}


def answer(state: State, msg: Message, ctx: Context) -> Step | None:
    """A step when the message answers the last reminder, else None."""
    items = _open_items(ctx)
    if not items:
        if _bare_answer(msg.text):
            return Step(IDLE, (ctx.t("reminder.nothing_pending"),))
        return None
    reading = read(msg.text, items, ctx)
    if reading is None:
        return None
    if reading.numbers:  # "udah 2": two of them? which?
        return _ask_which(items, ctx, reading.yesterday)
    done = resolve(reading, items, ctx)
    if done is None:
        return _ask_which(items, ctx, reading.yesterday)
    return _record(items, done, ctx, reading.yesterday)


def _record(items: list[dict[str, Any]], done: set[int], ctx: Context, yesterday: bool) -> Step:
    if not done:
        return Step(IDLE, (ctx.t("reminder.not_yet"),), (ReminderNotYet(),))
    given = [items[n] for n in sorted(done)]
    rest = [i for n, i in enumerate(items) if n not in done]
    on = ctx.today() - timedelta(days=1) if yesterday else ctx.today()
    event = DosesReported(items=given, given_on=on.isoformat())
    if rest:
        reply = ctx.t("reminder.partial", items=_labels(given, ctx), open=_labels(rest, ctx))
    else:
        reply = ctx.t("reminder.done_thanks", items=_labels(given, ctx))
    return Step(IDLE, (reply,), (event,))


def _ask_which(items: list[dict[str, Any]], ctx: Context, yesterday: bool) -> Step:
    """'Yang mana yang sudah?' with the reminder's items numbered."""
    slots = {"items": items, "yesterday": yesterday}
    return ask(FLOW, "which", slots, ctx.t("reminder.ask_which", options=_options(items, ctx)))


def _which_again(state: State, ctx: Context, yesterday: bool) -> Step:
    items = list(state.slots.get("items") or [])
    text = ctx.t("reminder.reask_which", options=_options(items, ctx))
    return again(state, ctx, text, changes={"yesterday": yesterday})


def step_which(state: State, msg: Message, ctx: Context) -> Step:
    """The answer to "which ones are done?": numbers ("1", "1 dan 3"), SEMUA, BELUM, or the
    items in words ("yg polio aja")."""
    items = list(state.slots.get("items") or [])
    yesterday = bool(state.slots.get("yesterday"))
    reading = read(msg.text, items, ctx, default="done")
    if reading is None or not items:
        return _which_again(state, ctx, yesterday)
    yesterday = yesterday or reading.yesterday
    if reading.numbers:
        if any(g.names_something or g.polarity == "not_yet" for g in reading.groups):
            return _which_again(state, ctx, yesterday)  # numbers and words: which one counts?
        if not all(1 <= n <= len(items) for n in reading.numbers):
            return _which_again(state, ctx, yesterday)
        return _record(items, {n - 1 for n in reading.numbers}, ctx, yesterday)
    done = resolve(reading, items, ctx)
    if done is None:
        return _which_again(state, ctx, yesterday)
    return _record(items, done, ctx, yesterday)


STEPS = {"which": step_which}
