"""PWS pages: immunization coverage per birth cohort, ANC coverage, and the overdue list."""

from __future__ import annotations

from collections.abc import Iterable

from flask import g, render_template, request

from bot.dashboard import core, export
from bot.dashboard.blueprint import bp
from bot.dashboard.coverage import (
    ANC_LEVELS,
    IDL_ITEMS,
    Tally,
    anc,
    antigens,
    immunization,
)
from bot.dashboard.queries.coverage import (
    GROUPS,
    birth_cohort_subjects,
    overdue_rows,
    pregnancy_subjects,
)
from scheduler.reminders import Zones
from scheduler.rules import default_rules

YEARS_BACK = 5
COVERAGE_COLUMNS = (
    "tahun_lahir", "desa", "dusun", "indikator", "sasaran", "capaian", "cakupan_persen",
    "target_persen", "capaian_laporan_keluarga",
)  # fmt: skip
ANC_COLUMNS = (
    "kelompok", "desa", "dusun", "indikator", "sasaran", "capaian", "cakupan_persen",
    "target_persen",
)  # fmt: skip
OVERDUE_COLUMNS = (
    "warga_id", "nama", "umur", "tahap", "telepon", "wilayah", "item", "nama_item",
    "terlambat_sejak", "batas",
)  # fmt: skip


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
    subjects = birth_cohort_subjects(s, scope, year)
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
                ("IDL_SESUAI_UMUR", t.people, t.complete_for_age, None),
                ("IDL", t.people, t.complete, None),
                *((item, t.eligible[item], t.given[item], t.family[item]) for item in items),
            ]
            for name, whole, part, family in measures:
                rows.append(
                    {
                        **base,
                        "indikator": name,
                        "sasaran": whole,
                        "capaian": part,
                        "cakupan_persen": _fmt(_ratio(part, whole)),
                        "capaian_laporan_keluarga": family,
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
    subjects = pregnancy_subjects(s, scope)
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
    rows = overdue_rows(s, scope, areas, core.now(), core.rt().settings["timezone"], group)
    if export.wants_csv():
        return export.csv_response("terlambat", OVERDUE_COLUMNS, rows)
    return render_template(
        "dashboard/overdue.html", rows=rows, group=group, groups=GROUPS, csv_url=export.csv_url()
    )
