"""IMUN as kader type it from the Buku KIA (field trial, 2026-12): the words and numbers of the
book read as the rules' item codes, the book's DD-MM-YYYY dates as dates."""

from __future__ import annotations

import pytest

from flows.kader_commands import parse


@pytest.mark.parametrize(
    ("text", "items", "on"),
    [
        ("imun 3 dpt 3 pcv 1", ("DPT3", "PCV1"), None),
        ("imun 2 bcg polio1 dpt1 2024-01-10", ("BCG", "OPV1", "DPT1"), "2024-01-10"),
        ("IMUN 3 DPT3", ("DPT3",), None),
        ("IMUN 5 HB0 KN1", ("HB0", "KN1"), None),
        ("imun 4 polio suntik 1 10-01-2024", ("IPV1",), "2024-01-10"),
        ("imun 4 ipv 1 5/3/2026", ("IPV1",), "2026-03-05"),
        ("IMUN 2 campak 1", ("MR1",), None),
        ("imun 2 BCG, OPV1", ("BCG", "OPV1"), None),
        ("IMUN 3 ANC1", ("ANC1",), None),
        ("IMUN 3 DPT", ("DPT",), None),  # no number: the dose service names the problem
        ("imun 3 rota 2", ("RV2",), None),
    ],
)
def test_imun_reads_the_books_words(text, items, on):
    cmd = parse(text)
    assert (cmd.name, cmd.items, cmd.date) == ("IMUN", items, on)


def test_an_impossible_local_date_stays_as_typed_and_is_refused_later():
    assert parse("imun 3 dpt1 31-02-2026").date == "2026-02-31"
