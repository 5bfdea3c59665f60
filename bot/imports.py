"""Bulk imports from CSV: a register of residents (households) and the health workers.

Reading and validating a row is pure (no database, no clock); `import_residents` and
`import_workers` apply the good rows in batches and return what happened, row by row."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import doses
from bot.areas import AreaTree
from bot.catalog import Catalog, load_catalog
from bot.clock import to_db
from bot.doses import RECORDABLE
from bot.models import WORKER_ROLES, Area, Contact, DoseRecord, Person, Worker
from bot.phones import to_e164

RESIDENT_COLUMNS = ("phone", "name", "sex", "birth_date", "hpht", "area")
# Optional history columns, named by the rules' item codes (HB0, BCG, OPV1 ... MR2, ANC1, KN1):
# the date the dose or visit was given, as a kohort register has it; empty = not given.
HISTORY_COLUMNS = tuple(code.lower() for code in RECORDABLE)
REPORT_COLUMNS = ("line", "reason")  # added by --report: a corrected report imports again
WORKER_COLUMNS = ("phone", "name", "role", "areas")
PREGNANCY_DAYS = 280
MAX_PREGNANCY_WEEKS = 42
MAX_NAME = 120
MIN_YEAR = 1900
BATCH_SIZE = 1000
_PHONE_CHARS = re.compile(r"\+?[\d\s\-().]+")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (unreadable, no header, missing columns)."""


@dataclass(frozen=True)
class CsvRow:
    """One data row: its first physical line number and its cells by lower-case column name."""

    line: int
    cells: dict[str, str]
    raw: tuple[str, ...]


@dataclass
class CsvFile:
    """An opened CSV file: header, separator and an iterator over its data rows."""

    header: tuple[str, ...]
    delimiter: str
    rows: Iterator[CsvRow]
    handle: IO[str]

    def close(self) -> None:
        self.handle.close()

    def __enter__(self) -> CsvFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Rejected:
    """A bad row: line number, the reason(s) and the row as read (for the report file)."""

    line: int
    reason: str
    raw: tuple[str, ...]


@dataclass
class ImportResult:
    """Counts and rejected rows of one import run."""

    imported: int = 0
    updated: int = 0
    skipped: int = 0
    consented: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    # rows imported without some of their history cells (the reasons): nothing else of the row
    # is lost, and the same row imports the missing doses once its cells are mended
    partial: list[Rejected] = field(default_factory=list)


# ---------------------------------------------------------------------------- reading CSV


def sniff_delimiter(header_line: str) -> str:
    """';' when the header has more semicolons than commas, else ','."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def unknown_columns(header: Iterable[str], known: Iterable[str]) -> list[tuple[str, str | None]]:
    """Header names that are not `known`, each with the known column it is probably a typo
    of (``dtp1`` -> ``DPT1``), or None."""
    import difflib

    known = tuple(known)
    out = []
    for name in header:
        if not name or name in known:
            continue
        guess = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
        if not guess:  # a swapped pair of letters: dtp1 / dpt1
            guess = [k for k in known if sorted(k) == sorted(name)][:1]
        out.append((name, guess[0] if guess else None))
    return out


def open_csv(path: str | Path, required: Iterable[str]) -> CsvFile:
    """Open a UTF-8 CSV (BOM or not, ',' or ';'); checks the header has the required columns."""
    try:
        handle = open(path, encoding="utf-8-sig", errors="replace", newline="")  # noqa: SIM115
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc}") from exc
    try:
        first = handle.readline()
        if not first.strip():
            raise ImportFileError(f"{path}: no header row")
        delimiter = sniff_delimiter(first)
        header = tuple(
            c.strip().lower() for c in next(csv.reader([first], delimiter=delimiter), [])
        )
        missing = [c for c in required if c not in header]
        if missing:
            raise ImportFileError(
                f"{path}: missing column(s) {', '.join(missing)}; the header must have "
                f"{', '.join(required)}"
            )
    except BaseException:
        handle.close()
        raise
    return CsvFile(header, delimiter, _data_rows(handle, header, delimiter), handle)


def _data_rows(handle: IO[str], header: tuple[str, ...], delimiter: str) -> Iterator[CsvRow]:
    """Data rows after the header (line 1), skipping blank lines."""
    reader = csv.reader(handle, delimiter=delimiter)
    previous_end = 1
    for cells in reader:
        line = previous_end + 1
        previous_end = reader.line_num + 1  # reader.line_num counts from the line after the header
        if not any(c.strip() for c in cells):
            continue
        values = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}
        yield CsvRow(line, values, tuple(cells))


def count_rows(path: str | Path) -> int:
    """Data lines in the file (physical lines minus the header): the progress bar's length."""
    count = 0
    last = b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        count += 1
    return max(count - 1, 0)


def write_report(
    path: str | Path, header: tuple[str, ...], rejected: Iterable[Rejected], delimiter: str = ","
) -> None:
    """The rejected rows as CSV: line, the original columns, reason (re-importable once fixed)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(("line", *header, "reason"))
        for r in rejected:
            cells = list(r.raw[: len(header)]) + [""] * (len(header) - len(r.raw))
            writer.writerow((r.line, *cells, r.reason))


# ---------------------------------------------------------------------------- pure parsing


@dataclass(frozen=True)
class AreaResolver:
    """Area codes, names (lower-case) and effective time zones, to resolve a CSV cell."""

    by_code: dict[str, str]  # lower-case code -> code
    by_name: dict[str, tuple[str, ...]]  # lower-case name -> codes
    timezones: dict[str, str]  # code -> IANA zone
    default_code: str | None = None

    @classmethod
    def load(cls, session: Session, default_tz: str, default_code: str | None) -> AreaResolver:
        """Every area in the database with its own, inherited or the default time zone."""
        infos = AreaTree(session).infos(default_tz)
        by_name: dict[str, list[str]] = {}
        for a in infos:
            by_name.setdefault(_norm(a.name), []).append(a.code)
        return cls(
            by_code={a.code.lower(): a.code for a in infos},
            by_name={k: tuple(v) for k, v in by_name.items()},
            timezones={a.code: a.timezone for a in infos},
            default_code=default_code,
        )

    def resolve(
        self, text: str, cat: Catalog | None = None, column: str = "area"
    ) -> tuple[str | None, str | None]:
        """(code, None) for a code or a unique name; (None, reason) otherwise, the reason in
        Indonesian naming `column`."""
        cat = cat or load_catalog("id")
        key = _norm(text)
        value = text.strip()
        if not key:
            if self.default_code is None:
                return None, cat.t("imports.empty_area", column=column)
            return self.default_code, None
        if key in self.by_code:
            return self.by_code[key], None
        codes = self.by_name.get(key, ())
        if len(codes) == 1:
            return codes[0], None
        if codes:
            return None, cat.t(
                "imports.ambiguous_area", column=column, value=value, codes=", ".join(codes)
            )
        return None, cat.t("imports.unknown_area", column=column, value=value)


@dataclass(frozen=True)
class ResidentRow:
    """A valid resident row."""

    line: int
    phone: str
    name: str
    sex: str
    birth_date: date | None
    hpht: date | None
    area_code: str
    history: tuple[tuple[str, date], ...] = ()  # (item code, date given) from the item columns
    raw: tuple[str, ...] = ()  # the row as read, for the report
    history_problems: tuple[str, ...] = ()  # history cells that are not dates (not imported)

    @property
    def key(self) -> tuple[str, str, date | None]:
        """Who this is: same phone, name (case-insensitive) and birth date = the same person."""
        return person_key(self.phone, self.name, self.birth_date)


@dataclass(frozen=True)
class WorkerRow:
    """A valid worker row."""

    line: int
    phone: str
    name: str
    role: str
    area_codes: tuple[str, ...]


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def person_key(phone: str, name: str, birth_date: date | None) -> tuple[str, str, date | None]:
    return (phone, _norm(name), birth_date)


def clean_name(text: str) -> str:
    """Collapse spaces; 'SITI AMINAH' and 'siti aminah' -> 'Siti Aminah' (as chat registration)."""
    name = " ".join(text.split())
    if name and (name.islower() or name.isupper()):
        name = " ".join(w[:1].upper() + w[1:].lower() for w in name.split())
    return name


def parse_date(
    text: str, column: str, cat: Catalog, bad_key: str
) -> tuple[date | None, str | None]:
    """A birth_date or hpht cell, written as the history cells are (`parse_given_date`):
    '' -> (None, None); a real date -> (date, None); anything else -> (None, reason), the
    reason being the catalog's `bad_key` (which names both formats) or, for a year before
    1900, imports.date_too_early."""
    value = text.strip()
    if not value:
        return None, None
    day = _calendar_date(value)
    if day is None:
        return None, cat.t(bad_key, column=column, value=value)
    if day.year < MIN_YEAR:
        return None, cat.t("imports.date_too_early", column=column, value=value, min_year=MIN_YEAR)
    return day, None


def _calendar_date(value: str) -> date | None:
    """``YYYY-MM-DD`` or ``DD-MM-YYYY`` (also ``DD/MM/YYYY``, ``DD.MM.YYYY``) as a date, any
    year; None when it is neither or not a day of the calendar (31-02-2020)."""
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    local = re.fullmatch(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})", value)
    try:
        if iso:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        if local:
            return date(int(local.group(4)), int(local.group(3)), int(local.group(1)))
    except ValueError:
        return None
    return None


def parse_given_date(text: str) -> date | None:
    """A date in a history cell: ``YYYY-MM-DD`` or ``DD-MM-YYYY`` (also with ``/`` or ``.``);
    None when it is not a real date."""
    day = _calendar_date(text.strip())
    return day if day is not None and day.year >= MIN_YEAR else None


def parse_history(cells: dict[str, str], cat: Catalog) -> tuple[list[tuple[str, date]], list[str]]:
    """The (item, date) pairs of the filled history cells, and a reason (in Indonesian) for
    every cell that is not a date."""
    history, reasons = [], []
    for column in HISTORY_COLUMNS:
        value = cells.get(column, "").strip()
        if not value:
            continue
        code = column.upper()
        day = parse_given_date(value)
        if day is None:
            reasons.append(cat.t("imports.bad_dose_date", item=code, value=value))
        else:
            history.append((code, day))
    return history, reasons


def _check_phone_and_name(cells: dict[str, str], cat: Catalog) -> tuple[str | None, str, list[str]]:
    reasons: list[str] = []
    raw_phone = cells.get("phone", "").strip()
    # only digits and separators: to_e164 would silently drop a mistyped letter ('O' for '0')
    phone = to_e164(raw_phone) if _PHONE_CHARS.fullmatch(raw_phone) else None
    if phone is None:
        if raw_phone:
            reasons.append(cat.t("imports.bad_phone", column="phone", value=raw_phone))
        else:
            reasons.append(cat.t("imports.empty_phone", column="phone"))
    name = clean_name(cells.get("name", ""))
    if not name:
        reasons.append(cat.t("imports.empty_name", column="name"))
    elif len(name) > MAX_NAME:
        reasons.append(cat.t("imports.long_name", column="name", length=len(name), max=MAX_NAME))
    unreadable = next(((c, v) for c, v in cells.items() if "\ufffd" in v), None)
    if unreadable is not None:
        column, value = unreadable
        reasons.append(cat.t("imports.not_utf8", column=column, value=value.strip()))
    return phone, name, reasons


def parse_resident(
    row: CsvRow, areas: AreaResolver, today: Callable[[str], date], cat: Catalog | None = None
) -> ResidentRow | list[str]:
    """A valid row, or every reason it is bad. `today(area_code)` is the local date there.
    The history cells are only read here (a date or not); the dose service judges them when
    the row is applied."""
    cat = cat or load_catalog("id")
    cells = row.cells
    phone, name, reasons = _check_phone_and_name(cells, cat)
    raw_sex = cells.get("sex", "").strip()
    sex = raw_sex.upper()
    if not raw_sex:
        reasons.append(cat.t("imports.empty_sex", column="sex"))
    elif sex not in ("L", "P"):
        reasons.append(cat.t("imports.bad_sex", column="sex", value=raw_sex))
    area_code, area_problem = areas.resolve(cells.get("area", ""), cat, "area")
    if area_problem:
        reasons.append(area_problem)
    raw_birth = cells.get("birth_date", "").strip()
    birth_date, problem = parse_date(raw_birth, "birth_date", cat, "imports.bad_birth_date")
    if problem:
        reasons.append(problem)
    raw_hpht = cells.get("hpht", "").strip()
    hpht, problem = parse_date(raw_hpht, "hpht", cat, "imports.bad_hpht")
    if problem:
        reasons.append(problem)
    local_today = today(area_code or areas.default_code or "")
    if birth_date is not None and birth_date > local_today:
        reasons.append(cat.t("imports.birth_date_future", column="birth_date", value=raw_birth))
    if hpht is not None:
        if sex == "L":
            reasons.append(
                cat.t("imports.hpht_male", column="hpht", value=raw_hpht, sex_column="sex")
            )
        if hpht > local_today:
            reasons.append(cat.t("imports.hpht_future", column="hpht", value=raw_hpht))
        elif (local_today - hpht).days > MAX_PREGNANCY_WEEKS * 7:
            reasons.append(
                cat.t(
                    "imports.hpht_too_old",
                    column="hpht",
                    value=raw_hpht,
                    weeks=MAX_PREGNANCY_WEEKS,
                )
            )
        if birth_date is not None and hpht <= birth_date:
            reasons.append(
                cat.t(
                    "imports.hpht_before_birth", column="hpht", value=raw_hpht, birth_date=raw_birth
                )
            )
    history, history_problems = parse_history(cells, cat)
    if reasons:
        return reasons + history_problems
    assert phone is not None and area_code is not None
    return ResidentRow(
        row.line,
        phone,
        name,
        sex,
        birth_date,
        hpht,
        area_code,
        tuple(sorted(history, key=_order)),
        row.raw,
        tuple(history_problems),
    )


def _order(entry: tuple[str, date]) -> tuple[date, int]:
    """History in the order given (by date, then the schedule's order of items)."""
    return entry[1], RECORDABLE.index(entry[0])


def parse_worker(
    row: CsvRow, areas: AreaResolver, cat: Catalog | None = None
) -> WorkerRow | list[str]:
    """A valid worker row, or every reason it is bad (in Indonesian)."""
    cat = cat or load_catalog("id")
    cells = row.cells
    phone, name, reasons = _check_phone_and_name(cells, cat)
    raw_role = cells.get("role", "").strip()
    role = raw_role.lower()
    roles = ", ".join(WORKER_ROLES)
    if not raw_role:
        reasons.append(cat.t("imports.empty_role", column="role", roles=roles))
    elif role not in WORKER_ROLES:
        reasons.append(cat.t("imports.unknown_role", column="role", value=raw_role, roles=roles))
    codes: list[str] = []
    for part in re.split(r"[;,]", cells.get("areas", "")):
        if not part.strip():
            continue
        code, problem = areas.resolve(part, cat, "areas")
        if problem:
            reasons.append(problem)
        elif code not in codes:
            codes.append(code)
    if reasons:
        return reasons
    assert phone is not None
    return WorkerRow(row.line, phone, name, role, tuple(codes))


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---------------------------------------------------------------------------- applying


def import_residents(
    session_factory: sessionmaker,
    rows: Iterable[CsvRow],
    now: datetime,
    *,
    default_tz: str,
    default_area: str | None,
    consented: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], Any] | None = None,
    settings: dict[str, Any] | None = None,
) -> ImportResult:
    """Create contacts (one per phone) and persons from the rows; commit every `batch_size` rows.

    A person already present (same phone, name and birth date) is skipped, so re-running a file
    imports nothing twice. The same person twice in the file is rejected the second time.
    Contacts get `consent_at` only with `consented` (never when they opted out).

    History cells (item columns) are recorded through the dose service (`bot/doses.py`, source
    `import`), which re-plans the person. A cell the service refuses (or that is not a date)
    is left out and the row still imported with the rest: every such cell of the row and its
    reason go to `partial`, so the register's child is never lost over one bad date and the
    admin sees all of a row's problems at once. For a person already present the doses not
    yet recorded are added (counted as `updated`), so the mended row imports what was left
    out. `settings` are the app's (the re-plan needs them); without them a file with history
    cannot be imported."""
    result = ImportResult()
    cat = load_catalog("id")
    with session_factory() as s:
        areas = AreaResolver.load(s, default_tz, default_area)
    area_ids: dict[str, int] = {}
    zones: dict[str, ZoneInfo] = {}

    def today(code: str) -> date:
        tz = areas.timezones.get(code, default_tz)
        if tz not in zones:
            zones[tz] = ZoneInfo(tz)
        return now.astimezone(zones[tz]).date()

    seen: dict[tuple[str, str, date | None], int] = {}  # person key -> first line in this file
    for batch in _batches(rows, batch_size):
        good: list[ResidentRow] = []
        for row in batch:
            parsed = parse_resident(row, areas, today, cat)
            if isinstance(parsed, list):
                result.rejected.append(Rejected(row.line, "; ".join(parsed), row.raw))
            elif parsed.key in seen:
                reason = cat.t("imports.duplicate_person", line=seen[parsed.key])
                result.rejected.append(Rejected(row.line, reason, row.raw))
            else:
                seen[parsed.key] = row.line
                good.append(parsed)
        if good:
            with session_factory() as s, s.begin():
                if not area_ids:
                    area_ids.update(
                        (code, id_) for code, id_ in s.execute(select(Area.code, Area.id))
                    )
                _apply_residents(s, good, now, area_ids, consented, result, today, settings, cat)
        if progress is not None:
            progress(len(batch))
    return result


def _apply_residents(
    s: Session,
    rows: list[ResidentRow],
    now: datetime,
    area_ids: dict[str, int],
    consented: bool,
    result: ImportResult,
    today: Callable[[str], date],
    settings: dict[str, Any] | None,
    cat: Catalog,
) -> None:
    phones = sorted({r.phone for r in rows})
    contacts = {
        c.phone: c for c in s.execute(select(Contact).where(Contact.phone.in_(phones))).scalars()
    }
    present: dict[tuple[str, str, date | None], int | None] = {}  # key -> person id
    if contacts:
        ids = {c.id: c.phone for c in contacts.values()}
        for person_id, contact_id, name, birth_date in s.execute(
            select(Person.id, Person.contact_id, Person.name, Person.birth_date).where(
                Person.contact_id.in_(ids)
            )
        ):
            present[person_key(ids[contact_id], name, birth_date)] = person_id
    stamp = to_db(now)
    for r in rows:
        local_today = today(r.area_code)
        if r.key in present:
            _add_history(s, r, present[r.key], local_today, now, settings, cat, result)
            continue
        person = Person(
            name=r.name,
            sex=r.sex,
            birth_date=r.birth_date,
            birth_date_estimated=False,
            hpht=r.hpht,
            edd=r.hpht + timedelta(days=PREGNANCY_DAYS) if r.hpht else None,
            area_id=area_ids.get(r.area_code),
            status="active",
            created_at=stamp,
            updated_at=stamp,
        )
        given, refused = _judged(s, person, _given(r), local_today, settings, cat)
        contact = contacts.get(r.phone)
        if contact is None:
            contact = Contact(
                phone=r.phone,
                channel="whatsapp",
                language="id",
                area_id=area_ids.get(r.area_code),
                created_at=stamp,
            )
            s.add(contact)
            contacts[r.phone] = contact
        elif contact.area_id is None:
            contact.area_id = area_ids.get(r.area_code)
        if consented and contact.consent_at is None and not contact.opted_out:
            contact.consent_at = stamp
            result.consented += 1
        # a new contact has no id before the flush: link it through the relationship
        if contact.id:
            person.contact_id = contact.id
        else:
            person.contact = contact
        s.add(person)
        if given:
            s.flush()
            doses.record(s, person, given, local_today, now, settings)  # type: ignore[arg-type]
        present[r.key] = person.id
        result.imported += 1
        _note_partial(r, refused, result)


def _given(r: ResidentRow) -> list[doses.Given]:
    return [doses.Given(item, on, "import") for item, on in r.history]


def _judged(
    s: Session,
    person: Person,
    given: list[doses.Given],
    today: date,
    settings: dict[str, Any] | None,
    cat: Catalog,
) -> tuple[list[doses.Given], list[str]]:
    """The history items the dose service accepts (in date order, each judged with the ones
    accepted before it), and the service's reason (Indonesian) for each one it refuses."""
    if not given:
        return [], []
    if settings is None:
        raise ImportFileError("history columns need the app settings to re-plan")
    accepted: list[doses.Given] = []
    refused: list[str] = []
    with s.no_autoflush:
        for g in given:
            try:
                doses.validate(s, person, [*accepted, g], today)
            except doses.DoseRefused as refusal:
                refused.append(refusal.text(cat))
            else:
                accepted.append(g)
    return accepted, refused


def _note_partial(r: ResidentRow, refused: list[str], result: ImportResult) -> None:
    problems = [*r.history_problems, *refused]
    if problems:
        result.partial.append(Rejected(r.line, "; ".join(problems), r.raw))


def _add_history(
    s: Session,
    r: ResidentRow,
    person_id: int | None,
    today: date,
    now: datetime,
    settings: dict[str, Any] | None,
    cat: Catalog,
    result: ImportResult,
) -> None:
    """A person already present: record the history items not recorded yet."""
    person = s.get(Person, person_id) if person_id is not None else None
    recorded = set(
        s.execute(select(DoseRecord.item).where(DoseRecord.person_id == person_id)).scalars()
    )
    given = [g for g in _given(r) if g.item not in recorded]
    if person is None or not given:
        result.skipped += 1
        if person is not None:
            _note_partial(r, [], result)
        return
    given, refused = _judged(s, person, given, today, settings, cat)
    if given:
        doses.record(s, person, given, today, now, settings)  # type: ignore[arg-type]
        result.updated += 1
    else:
        result.skipped += 1
    _note_partial(r, refused, result)


def import_workers(
    session_factory: sessionmaker,
    rows: Iterable[CsvRow],
    now: datetime,
    *,
    default_tz: str,
    progress: Callable[[int], Any] | None = None,
) -> ImportResult:
    """Insert or update workers by phone (name, role, areas) in one transaction.

    `imported` counts new workers, `updated` changed ones, `skipped` those already identical."""
    result = ImportResult()
    cat = load_catalog("id")
    with session_factory() as s, s.begin():
        areas = AreaResolver.load(s, default_tz, None)
        by_code = {a.code: a for a in s.execute(select(Area)).scalars()}
        workers = {w.phone: w for w in s.execute(select(Worker)).scalars()}
        seen: dict[str, int] = {}
        for row in rows:
            parsed = parse_worker(row, areas, cat)
            if isinstance(parsed, list):
                result.rejected.append(Rejected(row.line, "; ".join(parsed), row.raw))
            elif parsed.phone in seen:
                reason = cat.t(
                    "imports.duplicate_phone",
                    column="phone",
                    value=row.cells.get("phone", "").strip(),
                    line=seen[parsed.phone],
                )
                result.rejected.append(Rejected(row.line, reason, row.raw))
            else:
                seen[parsed.phone] = row.line
                _apply_worker(s, parsed, workers, by_code, now, result)
            if progress is not None:
                progress(1)
    return result


def _apply_worker(
    s: Session,
    r: WorkerRow,
    workers: dict[str, Worker],
    by_code: dict[str, Area],
    now: datetime,
    result: ImportResult,
) -> None:
    worker = workers.get(r.phone)
    new_areas = [by_code[c] for c in r.area_codes]
    if worker is None:
        worker = Worker(phone=r.phone, name=r.name, role=r.role, active=True, created_at=to_db(now))
        worker.areas = new_areas
        s.add(worker)
        workers[r.phone] = worker
        result.imported += 1
        return
    same_areas = sorted(a.code for a in worker.areas) == sorted(r.area_codes)
    if worker.name == r.name and worker.role == r.role and same_areas:
        result.skipped += 1
        return
    worker.name, worker.role = r.name, r.role
    if not same_areas:
        worker.areas = new_areas
    result.updated += 1
