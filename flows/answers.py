"""Pure parsers for short answers: yes/no, sex, names, ages, birth years, areas."""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flows.base import AreaInfo, Message
from flows.choices import NUMBER_WORDS, pick
from flows.optout import NO, YES
from flows.understanding import emoji_yes_no

MAX_NAME = 60
_EXTRA_YES = {"ya benar", "iya benar", "ya betul", "iya betul", "benar", "betul", "setuju", "sip"}
# "go ahead" words that answer a yes/no question with a yes: Sundanese mangga/sumangga/sok/hayu,
# Javanese monggo/inggih/enggih, Indonesian silakan/boleh/siap
_GO_AHEAD = {
    "mangga", "sumangga", "sok", "hayu", "monggo", "mongo", "inggih", "enggih", "nggih", "muhun",
    "silakan", "silahkan", "boleh", "siap",
}  # fmt: skip
_NO_WORDS = NO | {"teu", "embung", "moal", "ora", "ogah", "ndak", "nda", "emoh"}
_EXTRA_NO = {"salah", "bukan", "tidak setuju", "tidak benar", "ga setuju", "gak setuju"}
# Sex words, Indonesian, Sundanese (lalaki, pameget, awewe, wanoja; "istri" is a woman only as
# the answer to "jenis kelamin?") and Javanese (lanang, wadon, wedok).
_MALE = {
    "l", "lk", "laki", "laki-laki", "lakilaki", "laki2", "laki laki", "cowok", "cowo", "pria",
    "putra", "lalaki", "pameget", "lanang", "jaler",
}  # fmt: skip
_FEMALE = {
    "p", "pr", "perempuan", "prempuan", "cewek", "cewe", "wanita", "putri", "awewe", "istri",
    "wanoja", "wadon", "wedok", "wedhok", "estri",
}  # fmt: skip
_MALE_WORDS = re.compile(
    r"\b(laki[- ]?laki|laki2|cowok|cowo|pria|putra|jagoan|lalaki|pameget|lanang)\b"
)
_FEMALE_WORDS = re.compile(
    r"\b(perempuan|prempuan|cewek|cewe|wanita|putri|awewe|wanoja|wadon|wedok|wedhok)\b"
)
# Sex words that are also given names (Putri, Putra, Lanang) or a role (istri): never read as a
# sex when they are typed as a name.
_NAME_LIKE_SEX = {"putri", "putra", "lanang", "jaler", "istri", "estri"}
# What people write before a name: "nama saya", "sy", "abdi" (Sundanese "I"), "kulo" (Javanese),
# "namanya", "anak sy", "nami abdi", "jenenge" ... stripped one after the other.
_NAME_PREFIX = re.compile(
    r"^(?:(?:nama|nami|jeneng|asma)\s*(?:lengkap\s*)?(?:saya|sy|sya|aku|ku|abdi|kulo|kula|gue|gw"
    r"|nya|na|ne|e|anak\s*(?:saya|sy|abdi|kulo|aku)?|anak(?:nya|na|e)?|bayi(?:nya|na)?"
    r"|bayi\s*(?:saya|sy)|ibu(?:nya)?|suami\s*(?:saya|sy)|istri\s*(?:saya|sy)|lengkap(?:nya)?)?"
    r"|namaku|namanya|namina|jenenge|jenengku|asmane"
    r"|(?:anak|bayi|putra|putri|budak|suami|istri|ibu|bapak|salaki|pamajikan|bojo|garwa)"
    r"\s+(?:saya|sy|sya|abdi|kulo|kula|aku|ku)"
    r"|suamiku|istriku|bojoku|salakina|pamajikanna|garwaku|garwane|bojone"
    r"|saya|sy|sya|aku|abdi|kulo|kula|gue|gw|ini|yaitu|adalah|namanya)\b\s*[:=\-,]?\s*",
    re.IGNORECASE,
)
_TITLE_CASED_ABDI = re.compile(r"^Abdi(\s+[A-Z][a-z]+)+$")
_SELF = {
    "saya", "aku", "sendiri", "saya sendiri", "aku sendiri", "sy", "sya", "sy sendiri",
    "sya sendiri", "diri sendiri", "abdi", "abdi sorangan", "sorangan", "abdi nyalira",
    "kulo", "kula", "kulo piyambak", "kula piyambak", "aku dewe", "aku dhewe", "gue", "gw",
    "ya saya", "saya bu", "saya sendiri bu",
}  # fmt: skip
_NOT_NAMES = {
    "anak", "anak saya", "anak sy", "bayi", "bayi saya", "bayi sy", "istri", "istri saya",
    "suami", "suami saya", "ibu", "ibu saya", "bapak", "ayah", "nenek", "kakek", "ya", "tidak",
    "ok", "oke", "abdi", "kulo", "kula", "budak", "anak abdi", "anak kulo", "sorangan", "sendiri",
    "piyambak", "dewe", "dhewe", "nyalira",
}  # fmt: skip
_FEMALE_TITLES = re.compile(r"^(ibu|bu|ny|nyonya|nona|mbak|teh|neng)\b\.?\s*", re.IGNORECASE)
_MALE_TITLES = re.compile(r"^(bapak|pak|tn|tuan|mas|kang|aa)\b\.?\s*", re.IGNORECASE)
_UNKNOWN = re.compile(
    r"\b(tidak|tdk|gak|ga|nggak|ngga|enggak|ndak|belum|blm)\s*(tahu|tau|ingat|inget)\b"
    r"|\blewat\w*|\bskip\b|\blupa\b"
)
_WORDS = sorted((*NUMBER_WORDS, "sepuluh", "se"), key=len, reverse=True)
_NUM = r"(\d{1,3}|" + "|".join(re.escape(w) for w in _WORDS) + ")"
_UNIT = {
    "tahun": "y", "thn": "y", "th": "y", "thun": "y", "taun": "y",
    "bulan": "m", "bln": "m", "bl": "m", "bulanan": "m",
    "wulan": "m", "sasi": "m", "sasih": "m",  # Javanese, Javanese krama / Sundanese
    "minggu": "w", "mgg": "w", "mg": "w", "pekan": "w",
    "hari": "d", "hr": "d", "hri": "d",
}  # fmt: skip
MONTH_WORDS = tuple(w for w, unit in _UNIT.items() if unit == "m")
WEEK_WORDS = tuple(w for w, unit in _UNIT.items() if unit == "w")
_DURATION = re.compile(
    rf"\b{_NUM}\s*({'|'.join(sorted(_UNIT, key=len, reverse=True))})\b(?!\s*(lagi|lalu|yg|yang))"
)
_YEAR = re.compile(r"\b(1[89]\d{2}|20\d{2})\b")


def yes_no(msg: Message) -> bool | None:
    """True for YA, False for TIDAK, None when unclear (the NLU intent breaks ties).
    A 👍 alone is a yes and a 👎 a no."""
    emoji = emoji_yes_no(msg.text)
    if emoji is not None:
        return emoji
    text = re.sub(r"[^\w\s-]", " ", msg.text.lower())
    text = " ".join(text.split())
    if text in YES or text in _EXTRA_YES or text in _GO_AHEAD:
        return True
    if text in _NO_WORDS or text in _EXTRA_NO:
        return False
    words = text.split()
    if words and (words[0] in YES or words[0] in _GO_AHEAD) and not set(words) & _NO_WORDS:
        return True
    if words and words[0] in _NO_WORDS:
        return False
    if msg.intent == "affirm" and not set(words) & _NO_WORDS:
        return True
    if msg.intent == "deny":
        return False
    return None


def _plain_words(text: str) -> str:
    """Lowercase, accents dropped (awéwé -> awewe), punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s-]", " ", text).split())


def parse_sex(text: str, strict: bool = True) -> str | None:
    """L or P. strict=True reads a short answer ("L", "cowok", "lalaki", "wadon"); False scans a
    sentence ("anak lanang", "bayina awewe")."""
    answer = _plain_words(text)
    if strict:
        if answer in _MALE:
            return "L"
        if answer in _FEMALE:
            return "P"
    male = bool(_MALE_WORDS.search(answer))
    female = bool(_FEMALE_WORDS.search(answer))
    if male != female:
        return "L" if male else "P"
    return None


def sex_word(text: str) -> str | None:
    """L or P when the whole answer is a sex word that is not also a name ('lalaki', 'P'),
    e.g. typed where a name was asked; None otherwise ('Putri' is a name)."""
    answer = _plain_words(text)
    if answer in _NAME_LIKE_SEX:
        return None
    return "L" if answer in _MALE else "P" if answer in _FEMALE else None


def is_unknown(text: str) -> bool:
    """'tidak tahu', 'lewati', 'skip', 'lupa'."""
    return bool(_UNKNOWN.search(text.lower()))


def is_self(text: str) -> bool:
    """'saya', 'sy sendiri', 'abdi' (Sundanese), 'kulo' (Javanese): the contact herself."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split()) in _SELF


def clean_name(text: str) -> str:
    """'nama saya siti aminah.' -> 'Siti Aminah'."""
    name = " ".join(text.split()).strip(" .,!?:;\"'")
    for _ in range(3):  # "nama saya sy Euis", "anak sy namanya Budi"
        if _TITLE_CASED_ABDI.match(name):
            break  # "Abdi Pratama" is a name; "abdi Euis" is Sundanese for "I am Euis"
        stripped = _NAME_PREFIX.sub("", name, count=1).strip(" .,!?:;\"'")
        if stripped == name:
            break
        name = stripped
    if name and (name.islower() or name.isupper()):
        name = " ".join(w[:1].upper() + w[1:].lower() for w in name.split())
    return name


def name_problem(name: str) -> str | None:
    """A catalog key suffix when the name cannot be used: empty, too_long, invalid."""
    if not name or name.lower() in _NOT_NAMES:
        return "name_empty"
    if len(name) > MAX_NAME:
        return "name_too_long"
    if any(c.isdigit() for c in name) or sum(c.isalpha() for c in name) < 2:
        return "name_invalid"
    return None


def sex_from_title(name: str) -> str | None:
    """'Ibu Sri' -> P, 'Pak Joko' -> L, otherwise None."""
    if _FEMALE_TITLES.match(name):
        return "P"
    if _MALE_TITLES.match(name):
        return "L"
    return None


def strip_title(name: str) -> str:
    return _FEMALE_TITLES.sub("", name, count=1).strip() or name


@dataclass(frozen=True)
class Age:
    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0

    @property
    def total_days(self) -> int:
        return round(self.years * 365.25 + self.months * 30.44 + self.weeks * 7 + self.days)


def _number(word: str) -> int:
    if word.isdigit():
        return int(word)
    if word in ("se", "sepuluh"):
        return 1 if word == "se" else 10
    return NUMBER_WORDS[word]


def parse_age(text: str) -> Age | None:
    """'umur 8 bulan', '1 tahun 3 bulan', 'setahun', '3 minggu' -> Age; None if none."""
    lowered = text.lower()
    parts = {"y": 0, "m": 0, "w": 0, "d": 0}
    found = False
    for m in _DURATION.finditer(lowered):
        parts[_UNIT[m.group(2)]] += _number(m.group(1))
        found = True
    if not found:
        return None
    return Age(parts["y"], parts["m"], parts["w"], parts["d"])


def bare_number(text: str) -> int | None:
    """'70', 'umur 70', 'usia 70' -> 70 (no unit said)."""
    m = re.fullmatch(r"\s*(umur|usia|umurnya|usianya)?\s*(\d{1,3})\s*", text.lower())
    return int(m.group(2)) if m else None


def find_year(text: str) -> int | None:
    m = _YEAR.search(text)
    return int(m.group(1)) if m else None


def minus(on: date, age: Age) -> date:
    """The date `age` before `on` (months keep the day, clamped to the month end)."""
    month_index = on.year * 12 + (on.month - 1) - age.years * 12 - age.months
    year, month = divmod(month_index, 12)
    month += 1
    if year < 1:
        return date(1, 1, 1)
    day = min(on.day, calendar.monthrange(year, month)[1])
    return date.fromordinal(max(date(year, month, day).toordinal() - age.weeks * 7 - age.days, 1))


def years_between(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _norm(text: str) -> str:
    text = re.sub(r"[^\w\s]", " ", text.lower())
    text = re.sub(r"\b0+(\d)", r"\1", text)  # "rw 01" == "rw 1"
    return " ".join(text.split())


_LEVEL_WORDS = re.compile(r"\b(desa|ds|dusun|dsn|kampung|kp|kampong|dukuh|lingkungan|ling)\b")


def match_area(text: str, options: Sequence[AreaInfo]) -> int | None:
    """Index of the area meant by a number or a (misspelled) name, or None."""
    answer = _norm(text)
    if not answer:
        return None
    if answer.isdigit():
        n = int(answer)
        if 1 <= n <= len(options):
            return n - 1
    names = [_norm(o.name) for o in options]
    stripped = " ".join(_LEVEL_WORDS.sub(" ", answer).split())
    for candidate in (answer, stripped):
        if candidate in names:
            return names.index(candidate)
    digits = re.findall(r"\d+", answer)
    if digits and not answer.isdigit():
        hits = [i for i, n in enumerate(names) if re.findall(r"\d+", n)[:1] == digits[:1]]
        if len(hits) == 1:
            return hits[0]
    if answer.isdigit():
        hits = [i for i, n in enumerate(names) if re.findall(r"\d+", n)[:1] == [answer]]
        return hits[0] if len(hits) == 1 else None
    return pick(stripped or answer, [o.name for o in options])


# words around an area's name in an answer ("di desa Sukamaju, kampung Kidul")
_PLACE_FILLER = re.compile(
    r"\b(di|desa|ds|dusun|dsn|kampung|kp|kampong|dukuh|lingkungan|ling|blok"
    # who is addressed and small words around the answer ("sukamaju kaler kak")
    r"|kak|ka|kakak|bu|buk|bunda|bun|pak|mbak|mba|mas|teh|kang|aa|ceu|sus"
    r"|ya|yaa|dong|deh|sih|nih|mah|atuh|punten|nuhun)\b"
)
PLACE_WORDS_MAX = 8  # a longer answer is a message, not an area
PLACE_CUTOFF = 80  # rapidfuzz ratio for a misspelled name (sukamju, kalerr, cirumpt)


def _place_words(text: str) -> list[str]:
    return _PLACE_FILLER.sub(" ", _norm(text)).split()


def _place_hit(part: str, options: Sequence[AreaInfo], numbered: bool) -> int | None:
    """Index of the one option `part` is: its number in the list (only when the list was
    shown: `numbered`), its name, an RW by its number ("rw 2"), or its name misspelled."""
    if not part:
        return None
    if part.isdigit() or part in NUMBER_WORDS:
        n = int(part) if part.isdigit() else NUMBER_WORDS[part]
        return n - 1 if numbered and 1 <= n <= len(options) else None
    names = [" ".join(_place_words(o.name)) for o in options]
    if names.count(part) == 1:
        return names.index(part)
    digits = re.findall(r"\d+", part)
    if digits:
        hits = [i for i, n in enumerate(names) if re.findall(r"\d+", n)[:1] == digits[:1]]
        return hits[0] if len(hits) == 1 else None
    from rapidfuzz import fuzz

    compact = part.replace(" ", "")
    scores = [fuzz.ratio(compact, n.replace(" ", "")) for n in names]
    best = max(scores, default=0)
    return scores.index(best) if best >= PLACE_CUTOFF and scores.count(best) == 1 else None


def _splits(words: list[str]):
    """(head, tail) for every cut of the words, in both orders ("sukamaju kaler", "kaler
    sukamaju")."""
    for cut in range(1, len(words)):
        yield words[:cut], words[cut:]
        yield words[cut:], words[:cut]


def _below(words: list[str], parent: AreaInfo, areas: Sequence[AreaInfo]) -> AreaInfo | None:
    """The area below `parent` the words name, the most specific ("kaler", "kaler rw 2")."""
    children = [a for a in areas if a.parent == parent.code]
    if not children or not words:
        return None
    i = _place_hit(" ".join(words), children, numbered=False)
    if i is not None:
        return children[i]
    for head, tail in _splits(words):
        i = _place_hit(" ".join(head), children, numbered=False)
        if i is not None and (deeper := _below(tail, children[i], areas)) is not None:
            return deeper
    return None


def match_below(
    text: str, options: Sequence[AreaInfo], areas: Sequence[AreaInfo]
) -> AreaInfo | None:
    """The area below one of the listed `options` that an answer names, or None: an option (by
    its number in the list or its name, misspelled too) with an area of it, in either order
    ("sukamaju, kaler", "kaler sukamaju", "2 cirumput", "sukamaju kaler rw 2"), or an area
    below exactly one option alone ("cirumput"). An answer naming an option and an area of
    another one ("1 cirumput") is None: the caller asks again rather than guess."""
    words = _place_words(text)
    if not words or len(words) > PLACE_WORDS_MAX:
        return None
    for head, tail in _splits(words):
        i = _place_hit(" ".join(head), options, numbered=True)
        if i is not None and (found := _below(tail, options[i], areas)) is not None:
            return found
    if _place_hit(" ".join(words), options, numbered=True) is not None:
        return None  # the option itself
    alone = [found for o in options if (found := _below(words, o, areas)) is not None]
    return alone[0] if len(alone) == 1 else None


def match_place(
    text: str, options: Sequence[AreaInfo], areas: Sequence[AreaInfo]
) -> AreaInfo | None:
    """The area an answer to "which of `options`?" names, the most specific: an area below an
    option (match_below), else the option itself (match_area), else None."""
    found = match_below(text, options, areas)
    if found is not None:
        return found
    i = match_area(text, options)
    return options[i] if i is not None else None
