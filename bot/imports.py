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

from bot.clock import to_db
from bot.models import WORKER_ROLES, Area, Contact, Person, Worker
from bot.phones import to_e164

RESIDENT_COLUMNS = ("phone", "name", "sex", "birth_date", "hpht", "area")
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


# ---------------------------------------------------------------------------- reading CSV


def sniff_delimiter(header_line: str) -> str:
    """';' when the header has more semicolons than commas, else ','."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


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
class AreaIndex:
    """Area codes, names (lower-case) and effective time zones, to resolve a CSV cell."""

    by_code: dict[str, str]  # lower-case code -> code
    by_name: dict[str, tuple[str, ...]]  # lower-case name -> codes
    timezones: dict[str, str]  # code -> IANA zone
    default_code: str | None = None

    @classmethod
    def load(cls, session: Session, default_tz: str, default_code: str | None) -> AreaIndex:
        """Every area in the database with its own, inherited or the default time zone."""
        from bot.district import area_infos

        infos = area_infos(session, default_tz)
        by_name: dict[str, list[str]] = {}
        for a in infos:
            by_name.setdefault(_norm(a.name), []).append(a.code)
        return cls(
            by_code={a.code.lower(): a.code for a in infos},
            by_name={k: tuple(v) for k, v in by_name.items()},
            timezones={a.code: a.timezone for a in infos},
            default_code=default_code,
        )

    def resolve(self, text: str) -> tuple[str | None, str | None]:
        """(code, None) for a code or a unique name; (None, reason) otherwise."""
        key = _norm(text)
        if not key:
            if self.default_code is None:
                return None, "empty area and the district has no default_area"
            return self.default_code, None
        if key in self.by_code:
            return self.by_code[key], None
        codes = self.by_name.get(key, ())
        if len(codes) == 1:
            return codes[0], None
        if codes:
            return None, f"ambiguous area name {text.strip()!r} (use a code: {', '.join(codes)})"
        return None, f"unknown area {text.strip()!r}"


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


def parse_date(text: str, column: str) -> tuple[date | None, str | None]:
    """'' -> (None, None); 'YYYY-MM-DD' -> (date, None); anything else -> (None, reason)."""
    value = text.strip()
    if not value:
        return None, None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None, f"impossible date {column} {value!r} (use YYYY-MM-DD)"
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None, f"impossible date {column} {value!r}"
    if day.year < MIN_YEAR:
        return None, f"impossible date {column} {value!r}"
    return day, None


def _check_phone_and_name(cells: dict[str, str]) -> tuple[str | None, str, list[str]]:
    reasons: list[str] = []
    raw_phone = cells.get("phone", "").strip()
    # only digits and separators: to_e164 would silently drop a mistyped letter ('O' for '0')
    phone = to_e164(raw_phone) if _PHONE_CHARS.fullmatch(raw_phone) else None
    if phone is None:
        reasons.append(f"invalid phone {raw_phone!r}" if raw_phone else "invalid phone (empty)")
    name = clean_name(cells.get("name", ""))
    if not name:
        reasons.append("empty name")
    elif len(name) > MAX_NAME:
        reasons.append(f"name longer than {MAX_NAME} characters")
    if any("\ufffd" in v for v in cells.values()):
        reasons.append("text is not UTF-8")
    return phone, name, reasons


def parse_resident(
    row: CsvRow, areas: AreaIndex, today: Callable[[str], date]
) -> ResidentRow | list[str]:
    """A valid row, or every reason it is bad. `today(area_code)` is the local date there."""
    cells = row.cells
    phone, name, reasons = _check_phone_and_name(cells)
    raw_sex = cells.get("sex", "").strip()
    sex = raw_sex.upper()
    if sex not in ("L", "P"):
        reasons.append(f"bad sex {raw_sex!r} (L or P)")
    area_code, area_problem = areas.resolve(cells.get("area", ""))
    if area_problem:
        reasons.append(area_problem)
    birth_date, problem = parse_date(cells.get("birth_date", ""), "birth_date")
    if problem:
        reasons.append(problem)
    hpht, problem = parse_date(cells.get("hpht", ""), "hpht")
    if problem:
        reasons.append(problem)
    local_today = today(area_code or areas.default_code or "")
    if birth_date is not None and birth_date > local_today:
        reasons.append("birth date in the future")
    if hpht is not None:
        if sex == "L":
            reasons.append("hpht for a male")
        if hpht > local_today:
            reasons.append("hpht in the future")
        elif (local_today - hpht).days > MAX_PREGNANCY_WEEKS * 7:
            reasons.append(f"hpht over {MAX_PREGNANCY_WEEKS} weeks ago")
        if birth_date is not None and hpht <= birth_date:
            reasons.append("hpht before the birth date")
    if reasons:
        return reasons
    assert phone is not None and area_code is not None
    return ResidentRow(row.line, phone, name, sex, birth_date, hpht, area_code)


def parse_worker(row: CsvRow, areas: AreaIndex) -> WorkerRow | list[str]:
    """A valid worker row, or every reason it is bad."""
    cells = row.cells
    phone, name, reasons = _check_phone_and_name(cells)
    raw_role = cells.get("role", "").strip()
    role = raw_role.lower()
    if role not in WORKER_ROLES:
        reasons.append(f"unknown role {raw_role!r} ({'/'.join(WORKER_ROLES)})")
    codes: list[str] = []
    for part in re.split(r"[;,]", cells.get("areas", "")):
        if not part.strip():
            continue
        code, problem = areas.resolve(part)
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
) -> ImportResult:
    """Create contacts (one per phone) and persons from the rows; commit every `batch_size` rows.

    A person already present (same phone, name and birth date) is skipped, so re-running a file
    imports nothing twice. The same person twice in the file is rejected the second time.
    Contacts get `consent_at` only with `consented` (never when they opted out)."""
    result = ImportResult()
    with session_factory() as s:
        areas = AreaIndex.load(s, default_tz, default_area)
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
            parsed = parse_resident(row, areas, today)
            if isinstance(parsed, list):
                result.rejected.append(Rejected(row.line, "; ".join(parsed), row.raw))
            elif parsed.key in seen:
                reason = (
                    f"duplicate person (same phone, name and birth date as line {seen[parsed.key]})"
                )
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
                _apply_residents(s, good, now, area_ids, consented, result)
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
) -> None:
    phones = sorted({r.phone for r in rows})
    contacts = {
        c.phone: c for c in s.execute(select(Contact).where(Contact.phone.in_(phones))).scalars()
    }
    present: set[tuple[str, str, date | None]] = set()
    if contacts:
        ids = {c.id: c.phone for c in contacts.values()}
        for contact_id, name, birth_date in s.execute(
            select(Person.contact_id, Person.name, Person.birth_date).where(
                Person.contact_id.in_(ids)
            )
        ):
            present.add(person_key(ids[contact_id], name, birth_date))
    stamp = to_db(now)
    for r in rows:
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
        if r.key in present:
            result.skipped += 1
            continue
        # a new contact has no id before the flush: link it through the relationship
        link = {"contact_id": contact.id} if contact.id else {"contact": contact}
        s.add(
            Person(
                **link,
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
        )
        present.add(r.key)
        result.imported += 1


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
    with session_factory() as s, s.begin():
        areas = AreaIndex.load(s, default_tz, None)
        by_code = {a.code: a for a in s.execute(select(Area)).scalars()}
        workers = {w.phone: w for w in s.execute(select(Worker)).scalars()}
        seen: dict[str, int] = {}
        for row in rows:
            parsed = parse_worker(row, areas)
            if isinstance(parsed, list):
                result.rejected.append(Rejected(row.line, "; ".join(parsed), row.raw))
            elif parsed.phone in seen:
                reason = f"duplicate phone (same as line {seen[parsed.phone]})"
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
