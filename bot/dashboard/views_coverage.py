"""PWS pages: immunization coverage per birth cohort, ANC coverage, and the overdue list."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

from flask import g, render_template, request
from sqlalchemy import select

from bot.dashboard import core, export
from bot.dashboard.blueprint import bp
from bot.dashboard.coverage import (
    ANC_ITEMS,
    ANC_LEVELS,
    IDL_ITEMS,
    Subject,
    Tally,
    anc,
    antigens,
    immunization,
)
from bot.dashboard.queries import age_text, persons_query, stage_of
from bot.models import DoseRecord, Person
from scheduler.planner import OVERDUE, Given, plan
from scheduler.reminders import Zones, book_checks, facts
from scheduler.rules import DOSE_ITEMS, default_rules

YEARS_BACK = 5
CHUNK = 500
COVERAGE_COLUMNS = (
    "tahun_lahir", "desa", "dusun", "indikator", "sasaran", "capaian", "cakupan_persen",
    "target_persen",
)  # fmt: skip
ANC_COLUMNS = (
    "kelompok", "desa", "dusun", "indikator", "sasaran", "capaian", "cakupan_persen",
    "target_persen",
)  # fmt: skip
OVERDUE_COLUMNS = (
    "warga_id", "nama", "umur", "tahap", "telepon", "wilayah", "item", "nama_item",
    "terlambat_sejak", "batas",
)  # fmt: skip
GROUPS = {
    "imunisasi": set(DOSE_ITEMS),
    "anc": set(ANC_ITEMS),
    "nifas": {"KN1", "KN2", "KN3", "KF1", "KF2", "KF3", "KF4"},
}


def _subjects(s, query) -> list[Subject]:
    """Persons of a query with their area and dose records (loaded in chunks)."""
    pairs = s.execute(query).all()
    records: dict[int, list[DoseRecord]] = {}
    ids = [p.id for p, _c in pairs]
    for i in range(0, len(ids), CHUNK):
        for d in s.execute(
            select(DoseRecord).where(DoseRecord.person_id.in_(ids[i : i + CHUNK]))
        ).scalars():
            records.setdefault(d.person_id, []).append(d)
    return [Subject(p, p.area_id or c.area_id, tuple(records.get(p.id, ()))) for p, c in pairs]


def _year_arg(default: int) -> int:
    raw = request.args.get("tahun", "")
    return int(raw) if raw.isdigit() and 1900 < int(raw) < 2200 else default


def _place(t: Tally, rows: dict[str, Tally]) -> tuple[str, str]:
    """(desa, dusun) names of a tally row for CSV."""
    if t.level == "total":
        return "Total", ""
    if t.level == "desa":
        return t.name, ""
    return rows[t.desa_key].name if t.desa_key in rows else "", t.name


def bars(pairs: Iterable[tuple[str, float | None, int, int, str]]) -> list[dict]:
    """Chart bars: label, percent (None = no target population), part, whole, level."""
    return [
        {"label": label, "value": value, "part": part, "whole": whole, "level": level}
        for label, value, part, whole, level in pairs
    ]


@bp.get("/cakupan")
def coverage():
    """Immunization coverage of one birth cohort per desa/dusun, PWS style."""
    s, scope, areas = core.db(), g.scope, g.areas
    today = core.today()
    year = _year_arg(today.year)
    target = float(core.settings()["coverage_target_percent"])
    zones = Zones(s, core.rt().settings["timezone"])
    subjects = _subjects(
        s,
        persons_query(scope).where(
            Person.status == "active",
            Person.birth_date >= date(year, 1, 1),
            Person.birth_date <= date(year, 12, 31),
        ),
    )
    tallies = immunization(subjects, today, areas, zones, scope)
    by_key = {t.key: t for t in tallies}
    total = tallies[-1]
    items = antigens(any(t.eligible["JE"] for t in tallies))
    if export.wants_csv():
        rows = []
        for t in tallies:
            desa, dusun = _place(t, by_key)
            base = {"tahun_lahir": year, "desa": desa, "dusun": dusun, "target_persen": target}
            measures = [
                ("IDL_SESUAI_UMUR", t.people, t.complete_for_age),
                ("IDL", t.people, t.complete),
                *((item, t.eligible[item], t.given[item]) for item in items),
            ]
            for name, whole, part in measures:
                rows.append(
                    {
                        **base,
                        "indikator": name,
                        "sasaran": whole,
                        "capaian": part,
                        "cakupan_persen": _fmt(_ratio(part, whole)),
                    }
                )
        return export.csv_response(f"cakupan-imunisasi-{year}", COVERAGE_COLUMNS, rows)
    compare = bars(
        (t.name, _ratio(t.complete_for_age, t.people), t.complete_for_age, t.people, t.level)
        for t in tallies
    )
    villages = []
    for t in tallies:
        if t.level != "desa" and t.level != "total":
            continue
        chart = bars(
            [
                (
                    "IDL sesuai umur",
                    _ratio(t.complete_for_age, t.people),
                    t.complete_for_age,
                    t.people,
                    "total",
                ),
                ("IDL lengkap", _ratio(t.complete, t.people), t.complete, t.people, "total"),
                *((item, t.rate(item), t.given[item], t.eligible[item], "desa") for item in items),
            ]
        )
        villages.append({"tally": t, "chart": chart})
    return render_template(
        "dashboard/coverage.html",
        year=year,
        years=list(range(today.year, today.year - YEARS_BACK, -1)),
        tallies=tallies,
        total=total,
        items=items,
        idl_items=IDL_ITEMS,
        target=target,
        compare=compare,
        villages=villages,
        csv_url=export.csv_url(),
    )


def _ratio(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


@bp.get("/anc")
def anc_coverage():
    """K1, K4 and K6 among pregnant women now, or those due in a chosen year."""
    s, scope, areas = core.db(), g.scope, g.areas
    today = core.today()
    group = request.args.get("kelompok", "hamil")
    year = int(group) if group.isdigit() and 1900 < int(group) < 2200 else None
    group = str(year) if year else "hamil"
    target = float(core.settings()["coverage_target_percent"])
    subjects = _subjects(
        s,
        persons_query(scope).where(
            Person.status == "active", (Person.hpht.isnot(None)) | (Person.edd.isnot(None))
        ),
    )
    tallies = anc(subjects, today, areas, scope, year)
    by_key = {t.key: t for t in tallies}
    if export.wants_csv():
        rows = []
        for t in tallies:
            desa, dusun = _place(t, by_key)
            for name, _need in ANC_LEVELS:
                rows.append(
                    {
                        "kelompok": group,
                        "desa": desa,
                        "dusun": dusun,
                        "indikator": name,
                        "sasaran": t.eligible[name],
                        "capaian": t.given[name],
                        "cakupan_persen": _fmt(t.rate(name)),
                        "target_persen": target,
                    }
                )
        return export.csv_response("cakupan-anc", ANC_COLUMNS, rows)
    charts = [
        {
            "name": name,
            "bars": bars(
                (t.name, t.rate(name), t.given[name], t.eligible[name], t.level) for t in tallies
            ),
        }
        for name, _need in ANC_LEVELS
    ]
    return render_template(
        "dashboard/anc.html",
        group=group,
        years=list(range(today.year + 1, today.year - YEARS_BACK + 1, -1)),
        tallies=tallies,
        levels=[n for n, _ in ANC_LEVELS],
        windows=[
            {"item": f"ANC{need}", "start": begin.days // 7, "end": end.days // 7}
            for _name, need in ANC_LEVELS
            for begin, end in [default_rules().get(f"ANC{need}").window]
        ],
        target=target,
        charts=charts,
        csv_url=export.csv_url(),
    )


@bp.get("/terlambat")
def overdue():
    """Everyone with an overdue dose or visit (planner status "overdue"), oldest first."""
    s, scope, areas = core.db(), g.scope, g.areas
    group = request.args.get("jenis", "")
    zones = Zones(s, core.rt().settings["timezone"])
    now = core.now()
    subjects = _subjects(
        s, persons_query(scope).where(Person.status == "active").order_by(Person.name)
    )
    rows = []
    checks = book_checks(s, [sub.person.id for sub in subjects])
    for sub in subjects:
        p = sub.person
        day = now.astimezone(ZoneInfo(zones.tz(sub.area_id))).date()
        given = [Given(d.item, d.given_on, d.source) for d in sub.records]
        for it in plan(facts(p, zones, check_asked=checks.get(p.id)), given, day):
            if it.status != OVERDUE or it.awaits_check:
                continue  # a dose waiting for the kader's check of the Buku KIA is not known late
            kind = next((k for k, codes in GROUPS.items() if it.item in codes), "lainnya")
            if group and kind != group:
                continue
            stage = stage_of(p)
            rows.append(
                {
                    "warga_id": p.id,
                    "nama": p.name,
                    "umur": age_text(p),
                    "tahap": core.label("stage", stage) if stage else "-",
                    "telepon": _phone(s, p),
                    "wilayah": areas.name(sub.area_id),
                    "item": it.item,
                    "nama_item": core.item_label(it.item),
                    "terlambat_sejak": it.overdue_from,
                    "batas": it.expires_on,
                }
            )
    rows.sort(key=lambda r: (r["terlambat_sejak"] or date.min, r["nama"]))
    if export.wants_csv():
        return export.csv_response("terlambat", OVERDUE_COLUMNS, rows)
    return render_template(
        "dashboard/overdue.html", rows=rows, group=group, groups=GROUPS, csv_url=export.csv_url()
    )


def _phone(s, p: Person) -> str:
    return p.contact.phone if p.contact else "-"
