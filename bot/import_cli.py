"""`flask --app app residents import FILE.csv` and `flask --app app workers import FILE.csv`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from bot import imports
from bot.catalog import load_catalog


def _rt():
    return current_app.extensions["jemput_bola"]


def _echo_result(result: imports.ImportResult, updated: bool = False) -> None:
    """The summary line, then one line per rejected row."""
    parts = [f"{result.imported} imported"]
    if updated:
        parts.append(f"{result.updated} updated")
    parts.append(f"{result.skipped} skipped (already present)")
    parts.append(f"{len(result.rejected)} rejected")
    if result.partial:
        parts.append(f"{len(result.partial)} imported without some doses")
    click.echo(", ".join(parts))
    cat = load_catalog("id")
    for r in result.rejected:
        click.echo(cat.t("imports.rejected_line", line=r.line, reason=r.reason))
    for r in result.partial:
        click.echo(cat.t("imports.partial_line", line=r.line, reason=r.reason))


def _report(path: str | None, csv_file: imports.CsvFile, result: imports.ImportResult) -> None:
    if path:
        rows = sorted([*result.rejected, *result.partial], key=lambda r: r.line)
        imports.write_report(path, csv_file.header, rows, csv_file.delimiter)
        click.echo(f"{len(rows)} row(s) to mend written to {path}")


def _open(path: str, columns: tuple[str, ...]) -> imports.CsvFile:
    try:
        return imports.open_csv(path, columns)
    except imports.ImportFileError as exc:
        raise click.ClickException(str(exc)) from exc


_FILE = click.Path(exists=True, dir_okay=False)
_REPORT = click.option(
    "--report",
    "report",
    type=click.Path(dir_okay=False, writable=True),
    help="write the rejected rows, with a reason column, to this CSV file",
)


@click.group("residents", cls=AppGroup, help="Residents and their households.")
def residents_group() -> None:
    pass


@residents_group.command(
    "import",
    help="Import a register: columns phone,name,sex,birth_date,hpht,area, optionally one "
    "column per item code (HB0, BCG, OPV1 ... MR2) with the date given. Rows with the same "
    "phone form one household. Idempotent.",
)
@click.argument("path", type=_FILE)
@_REPORT
@click.option(
    "--consented",
    is_flag=True,
    help="the residents agreed on paper: record consent now (otherwise no reminders until "
    "they consent in the chat)",
)
def residents_import(path: str, report: str | None, consented: bool) -> None:
    rt = _rt()
    total = imports.count_rows(path)
    with _open(path, imports.RESIDENT_COLUMNS) as csv_file:
        cat = load_catalog("id")
        known = imports.RESIDENT_COLUMNS + imports.HISTORY_COLUMNS + imports.REPORT_COLUMNS
        for column, guess in imports.unknown_columns(csv_file.header, known):
            key = "imports.unknown_column" if guess is None else "imports.unknown_column_guess"
            click.echo(cat.t(key, column=column, guess=(guess or "").upper()))
        with click.progressbar(length=total, label="importing residents") as bar:
            result = imports.import_residents(
                rt.session_factory,
                csv_file.rows,
                rt.clock.now(),
                default_tz=rt.settings["timezone"],
                default_area=rt.district.default_area,
                consented=consented,
                progress=bar.update,
                settings=rt.settings,
            )
        _echo_result(result, updated=result.updated > 0)
        if consented:
            click.echo(f"consent recorded for {result.consented} contact(s)")
        _report(report, csv_file, result)
    if result.imported:
        click.echo("run `flask --app app reminders plan` to plan their reminders now")


@click.group("workers", cls=AppGroup, help="Health workers (kader, bidan, perawat...).")
def workers_group() -> None:
    pass


@workers_group.command(
    "import",
    help="Insert or update workers by phone: columns phone,name,role,areas (areas: codes or "
    "names separated by ';'). Idempotent.",
)
@click.argument("path", type=_FILE)
@_REPORT
def workers_import(path: str, report: str | None) -> None:
    rt = _rt()
    total = imports.count_rows(path)
    with _open(path, imports.WORKER_COLUMNS) as csv_file:
        with click.progressbar(length=total, label="importing workers") as bar:
            result = imports.import_workers(
                rt.session_factory,
                csv_file.rows,
                rt.clock.now(),
                default_tz=rt.settings["timezone"],
                progress=bar.update,
            )
        _echo_result(result, updated=True)
        _report(report, csv_file, result)


def init_app(app: Flask) -> None:
    """Register the import commands (called from bot.cli.init_app)."""
    app.cli.add_command(residents_group)
    app.cli.add_command(workers_group)
