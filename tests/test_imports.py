"""Bulk imports: `flask residents import` and `flask workers import` (CSV registers)."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import import_cli, imports
from bot.clock import to_db
from bot.db import transaction
from bot.models import Area, Contact, Person, Worker

DATA = Path(__file__).parent / "data"
RESIDENTS = DATA / "residents_sample.csv"
WORKERS = DATA / "workers_sample.csv"
HEADER = "phone,name,sex,birth_date,hpht,area"
GOOD_ROW = "081234567101,Ani Lestari,P,1990-01-01,,SKM"
PHONE_HINT = "Tulis seperti 0812xxxxxxx atau +62812xxxxxxx."
SEX_HINT = "Tulis L (laki-laki) atau P (perempuan)."
BIRTH_HINT = (
    "bukan tanggal yang benar. Tulis YYYY-MM-DD atau DD-MM-YYYY (misalnya 1990-03-12 atau "
    "12-03-1990), atau kosongkan bila tidak diketahui."
)
HPHT_HINT = (
    "bukan tanggal yang benar. Tulis YYYY-MM-DD atau DD-MM-YYYY (misalnya 2026-08-01 atau "
    "01-08-2026), atau kosongkan bila tidak sedang hamil."
)
UNKNOWN_AREA = (
    "Kolom area: wilayah '{}' tidak dikenal. Tulis kode atau nama wilayah seperti di daftar "
    "wilayah (district.yml)."
)
ROLES = "Tulis salah satu: kader, bidan, perawat, mantri, admin."
# the frozen clock says 2026-11-22 (WIB)


@pytest.fixture
def cli(app, runner):
    """The CLI runner with the import commands registered."""
    import_cli.init_app(app)
    return runner


def write(
    tmp_path: Path, text: str, name: str = "in.csv", encoding: str = "utf-8", newline: str = "\n"
) -> str:
    path = tmp_path / name
    path.write_text(text, encoding=encoding, newline=newline)
    return str(path)


def persons(rt) -> dict[str, tuple]:
    """name -> (phone, sex, birth_date, hpht, edd, area code)."""
    with rt.session_factory() as s:
        rows = s.execute(
            select(Person, Contact.phone, Area.code)
            .join(Contact, Person.contact_id == Contact.id)
            .outerjoin(Area, Person.area_id == Area.id)
        ).all()
        return {
            p.name: (phone, p.sex, p.birth_date, p.hpht, p.edd, code) for p, phone, code in rows
        }


def count(rt, model) -> int:
    with rt.session_factory() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


# ---------------------------------------------------------------------------- residents


def test_good_file_imports_households(cli, rt):
    result = cli.invoke(args=["residents", "import", str(RESIDENTS)])
    assert result.exit_code == 0, result.output
    assert "5 imported, 0 skipped (already present), 0 rejected" in result.output
    people = persons(rt)
    assert people["Siti Aminah"] == (
        "+6281234567001",
        "P",
        date(1995, 4, 12),
        date(2026, 8, 1),
        date(2026, 8, 1) + timedelta(days=280),
        "SKM-KLR",
    )
    assert people["Rafi Pratama"][0] == "+6281234567001"
    assert people["Rafi Pratama"][3:] == (None, None, "SKM-KLR")
    assert people["Budi Santoso"][0] == "+6281234567002"  # upper case name tidied
    assert people["Budi Santoso"][5] == "SKM-KDL"  # area by name, "Kidul"
    assert people["Dewi Lestari"][5] == "SKM"  # empty -> the district's default_area
    assert people["Nur Hasanah"][5] == "MKS"  # code, case-insensitive
    with rt.session_factory() as s:
        contacts = {c.phone: c for c in s.execute(select(Contact)).scalars()}
        assert len(contacts) == 4
        household = contacts["+6281234567001"]
        assert household.channel == "whatsapp"
        assert household.consent_at is None  # no reminders until the resident consents
        assert household.area.code == "SKM-KLR"
        assert len(household.persons) == 2


def test_reimport_imports_nothing(cli, rt):
    first = cli.invoke(args=["residents", "import", str(RESIDENTS)])
    assert first.exit_code == 0, first.output
    again = cli.invoke(args=["residents", "import", str(RESIDENTS)])
    assert again.exit_code == 0, again.output
    assert "0 imported, 5 skipped (already present), 0 rejected" in again.output
    assert count(rt, Person) == 5
    assert count(rt, Contact) == 4


def test_person_already_registered_in_chat_is_skipped(cli, rt, tmp_path):
    now = to_db(rt.clock.now())
    with transaction(rt.session_factory) as s:
        contact = Contact(phone="+6281234567101", channel="simulator", created_at=now)
        s.add(contact)
        s.flush()
        s.add(
            Person(
                contact_id=contact.id,
                name="ani lestari",
                sex="P",
                birth_date=date(1990, 1, 1),
                created_at=now,
                updated_at=now,
            )
        )
    path = write(tmp_path, f"{HEADER}\n{GOOD_ROW}\n081234567101,Bayu,L,2025-05-05,,SKM\n")
    result = cli.invoke(args=["residents", "import", path])
    assert "1 imported, 1 skipped (already present), 0 rejected" in result.output
    with rt.session_factory() as s:
        contact = s.execute(select(Contact)).scalar_one()
        assert contact.channel == "simulator"  # the existing contact is kept
        assert sorted(p.name for p in contact.persons) == ["Bayu", "ani lestari"]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            "12345,Budi,L,1990-01-01,,SKM",
            f"Kolom phone: nomor HP '12345' tidak valid. {PHONE_HINT}",
        ),
        (
            ",Budi,L,1990-01-01,,SKM",
            f"Kolom phone kosong: nomor HP wajib diisi. {PHONE_HINT}",
        ),
        ("0812345671O2,Budi,L,1990-01-01,,SKM", "Kolom phone: nomor HP '0812345671O2' tidak valid"),
        ("081234567102,Budi,L,1990-01-01,,Cibodas", UNKNOWN_AREA.format("Cibodas")),
        ("081234567102,Budi,L,1990-01-01,,SKM-XYZ", UNKNOWN_AREA.format("SKM-XYZ")),
        (
            "081234567102,Budi,X,1990-01-01,,SKM",
            f"Kolom sex: jenis kelamin 'X' tidak dikenal. {SEX_HINT}",
        ),
        (
            "081234567102,Budi,,1990-01-01,,SKM",
            f"Kolom sex kosong: jenis kelamin wajib diisi. {SEX_HINT}",
        ),
        (
            "081234567102,Budi,Laki-laki,1990-01-01,,SKM",
            "Kolom sex: jenis kelamin 'Laki-laki' tidak dikenal",
        ),
        (
            "081234567102,Budi,L,1990-02-30,,SKM",
            f"Kolom birth_date: tanggal lahir '1990-02-30' {BIRTH_HINT}",
        ),
        (
            "081234567102,Budi,L,31-02-2020,,SKM",
            f"Kolom birth_date: tanggal lahir '31-02-2020' {BIRTH_HINT}",
        ),
        (
            "081234567102,Budi,L,31/04/2020,,SKM",
            "Kolom birth_date: tanggal lahir '31/04/2020' bukan tanggal",
        ),
        (
            "081234567102,Budi,L,12-03-90,,SKM",
            "Kolom birth_date: tanggal lahir '12-03-90' bukan tanggal",
        ),
        (
            "081234567102,Budi,L,1990/03/12,,SKM",
            "Kolom birth_date: tanggal lahir '1990/03/12' bukan tanggal",
        ),
        (
            "081234567102,Budi,L,12-03/1990,,SKM",
            "Kolom birth_date: tanggal lahir '12-03/1990' bukan tanggal",
        ),
        (
            "081234567102,Budi,L,kemarin,,SKM",
            "Kolom birth_date: tanggal lahir 'kemarin' bukan tanggal",
        ),
        (
            "081234567102,Budi,L,1850-01-01,,SKM",
            "Kolom birth_date: tanggal '1850-01-01' sebelum tahun 1900. Periksa tahunnya.",
        ),
        (
            "081234567102,Budi,L,01-01-1850,,SKM",
            "Kolom birth_date: tanggal '01-01-1850' sebelum tahun 1900",
        ),
        (
            "081234567102,Sri,P,1990-01-01,2026-13-01,SKM",
            f"Kolom hpht: HPHT '2026-13-01' {HPHT_HINT}",
        ),
        (
            "081234567102,Sri,P,1990-01-01,30.02.2026,SKM",
            "Kolom hpht: HPHT '30.02.2026' bukan tanggal",
        ),
        (
            "081234567102,Budi,L,2026-11-23,,SKM",
            "Kolom birth_date: tanggal lahir '2026-11-23' belum terjadi (sesudah hari ini). "
            "Periksa tanggalnya.",
        ),
        (
            "081234567102,Budi,L,23-11-2026,,SKM",
            "Kolom birth_date: tanggal lahir '23-11-2026' belum terjadi",
        ),
        (
            "081234567102,Sri,P,1990-01-01,2026-11-23,SKM",
            "Kolom hpht: HPHT '2026-11-23' belum terjadi (sesudah hari ini). Periksa tanggalnya.",
        ),
        (
            "081234567102,Sri,P,1990-01-01,2026-01-31,SKM",
            "Kolom hpht: HPHT '2026-01-31' lebih dari 42 minggu yang lalu, terlalu lama untuk "
            "kehamilan yang sedang berjalan. Perbaiki tanggalnya, atau kosongkan HPHT bila tidak "
            "sedang hamil.",
        ),
        (
            "081234567102,Sri,P,1990-01-01,31-01-2026,SKM",
            "Kolom hpht: HPHT '31-01-2026' lebih dari 42 minggu",
        ),
        (
            "081234567102,Budi,L,1990-01-01,2026-09-01,SKM",
            "Kolom hpht: HPHT untuk laki-laki ('2026-09-01', kolom sex berisi L). Kosongkan HPHT "
            "atau perbaiki jenis kelaminnya.",
        ),
        (
            "081234567102,Sri,P,2026-10-01,2026-09-01,SKM",
            "Kolom hpht: HPHT '2026-09-01' tidak sesudah tanggal lahir '2026-10-01'. Periksa "
            "kedua tanggal itu.",
        ),
        ("081234567102,   ,P,1990-01-01,,SKM", "Kolom name kosong: nama wajib diisi."),
        ("081234567102,,P,1990-01-01,,SKM", "Kolom name kosong: nama wajib diisi."),
        (
            "081234567102," + "A" * 121 + ",P,1990-01-01,,SKM",
            "Kolom name: nama terlalu panjang (121 karakter, paling banyak 120). Singkat namanya.",
        ),
        (
            GOOD_ROW,
            "Orang yang sama sudah ada di baris 2 (nomor HP, nama dan tanggal lahir sama). Hapus "
            "baris ini, atau perbaiki datanya bila memang orang lain.",
        ),
        (
            "+6281234567101,ANI  LESTARI,P,01-01-1990,,Sukamaju",
            "Orang yang sama sudah ada di baris 2",  # the same birth date written DD-MM-YYYY
        ),
    ],
)
def test_bad_row_is_reported_with_its_line(cli, rt, tmp_path, row, reason):
    path = write(tmp_path, f"{HEADER}\n{GOOD_ROW}\n{row}\n")
    result = cli.invoke(args=["residents", "import", path])
    assert result.exit_code == 0, result.output
    assert "1 imported, 0 skipped (already present), 1 rejected" in result.output
    assert f"baris 3: {reason}" in result.output
    assert "line 3" not in result.output
    assert count(rt, Person) == 1


@pytest.mark.parametrize(
    "row",
    [
        "081234567102,Sri,P,1990-01-01,2026-11-22,SKM",  # hpht today
        "081234567102,Sri,P,01-01-1990,22-11-2026,SKM",  # the same, DD-MM-YYYY
        "081234567102,Budi,L,12-03-1990,,SKM",  # DD-MM-YYYY
        "081234567102,Budi,L,12/03/1990,,SKM",  # DD/MM/YYYY
        "081234567102,Budi,L,12.03.1990,,SKM",  # DD.MM.YYYY
        "081234567102,Budi,L,1-3-1990,,SKM",  # one-digit day and month
        "081234567102,Budi,L,29-02-2024,,SKM",  # a leap day
        "081234567102,Budi,L,01-01-1900,,SKM",  # the first year accepted
        "081234567102,Sri,P,1990-01-01,2026-02-01,SKM",  # exactly 42 weeks ago
        "081234567102,Bayi,L,2026-11-22,,SKM",  # born today
        "081234567102,Kakek,l,,,skm-klr",  # birth date unknown, lower-case sex and code
        "081234567102,Sri,P,1990-01-01,,  RW 01 kaler ",  # name with spaces and case
    ],
)
def test_edge_rows_are_accepted(cli, rt, tmp_path, row):
    path = write(tmp_path, f"{HEADER}\n{row}\n")
    result = cli.invoke(args=["residents", "import", path])
    assert "1 imported, 0 skipped (already present), 0 rejected" in result.output, result.output


@pytest.mark.parametrize(
    ("birth_date", "hpht", "expected"),
    [
        ("12-03-1990", "", (date(1990, 3, 12), None)),  # day first, not month first
        ("12/03/1990", "01/09/2026", (date(1990, 3, 12), date(2026, 9, 1))),
        ("12.03.1990", "1.9.2026", (date(1990, 3, 12), date(2026, 9, 1))),
        ("1990-03-12", "2026-09-01", (date(1990, 3, 12), date(2026, 9, 1))),
    ],
)
def test_birth_date_and_hpht_are_read_in_both_formats(
    cli, rt, tmp_path, birth_date, hpht, expected
):
    path = write(tmp_path, f"{HEADER}\n081234567102,Sri,P,{birth_date},{hpht},SKM\n")
    result = cli.invoke(args=["residents", "import", path])
    assert "1 imported, 0 skipped (already present), 0 rejected" in result.output, result.output
    phone, sex, born, first_day, edd, area = persons(rt)["Sri"]
    assert (born, first_day) == expected
    assert edd == (expected[1] + timedelta(days=280) if expected[1] else None)


def test_area_reasons_name_the_column_and_the_fix():
    """The two area reasons no district file here produces: a name two areas share, and an
    empty cell with no default_area."""
    areas = imports.AreaResolver(
        by_code={"a-1": "A-1", "b-1": "B-1"},
        by_name={"kaler": ("A-1", "B-1")},
        timezones={"A-1": "Asia/Jakarta", "B-1": "Asia/Jakarta"},
        default_code=None,
    )
    assert areas.resolve(" Kaler ") == (
        None,
        "Kolom area: nama wilayah 'Kaler' dipakai oleh beberapa wilayah. Tulis kodenya: A-1, B-1.",
    )
    assert areas.resolve("", column="areas") == (
        None,
        "Kolom areas kosong dan belum ada wilayah bawaan di district.yml. Tulis kode atau nama "
        "wilayah.",
    )
    assert areas.resolve("b-1") == ("B-1", None)


def test_every_reason_with_line_numbers_and_report(cli, rt, tmp_path):
    text = (
        "phone,name,sex,birth_date,hpht,area,notes\n"
        f"{GOOD_ROW},\n"  # line 2
        '12345,Budi,L,1990-01-01,,SKM,"two\nlines"\n'  # lines 3-4
        "081234567102,Budi,X,1990-02-30,,Cibodas,\n"  # line 5: three reasons
        "\n"  # line 6: blank, ignored
        "081234567103,Joko,L,1980-01-01,2026-10-01,SKM,\n"  # line 7
        "081234567104,Sri,P,1991-01-01,2026-10-01,MKS,\n"  # line 8: good
    )
    path = write(tmp_path, text)
    report = tmp_path / "rejected.csv"
    result = cli.invoke(args=["residents", "import", path, "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "2 imported, 0 skipped (already present), 3 rejected" in result.output
    bad_phone = f"Kolom phone: nomor HP '12345' tidak valid. {PHONE_HINT}"
    three = (
        f"Kolom sex: jenis kelamin 'X' tidak dikenal. {SEX_HINT}; "
        f"{UNKNOWN_AREA.format('Cibodas')}; "
        f"Kolom birth_date: tanggal lahir '1990-02-30' {BIRTH_HINT}"
    )
    male = (
        "Kolom hpht: HPHT untuk laki-laki ('2026-10-01', kolom sex berisi L). Kosongkan HPHT "
        "atau perbaiki jenis kelaminnya."
    )
    assert f"baris 3: {bad_phone}\n" in result.output
    assert f"baris 5: {three}\n" in result.output
    assert f"baris 7: {male}\n" in result.output
    with open(report, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["line"] for r in rows] == ["3", "5", "7"]
    assert rows[0]["phone"] == "12345" and rows[0]["notes"] == "two\nlines"
    assert rows[0]["reason"] == bad_phone
    assert rows[1]["reason"] == three
    assert rows[2]["reason"] == male
    assert list(rows[0]) == ["line", *HEADER.split(","), "notes", "reason"]


def test_bom_semicolons_crlf_and_area_names(cli, rt, tmp_path):
    """As Excel saves it in an Indonesian locale: BOM, ';' and Windows line ends."""
    text = (
        "Phone;Name;Sex;Birth_Date;HPHT;Area;Catatan\n"
        "0812 3456 7201;Siti Maryam;P;1993-03-03;2026-07-01;kaler;hamil anak kedua, sehat\n"
        "0812 3456 7201;Putri;P;2022-06-06;;KALER;\n"
        "0812 3456 7202;Ujang;L;1970-01-01;;Mekarsari;\n"
    )
    path = write(tmp_path, text, encoding="utf-8-sig", newline="\r\n")
    assert Path(path).read_bytes().startswith(b"\xef\xbb\xbfPhone;Name")
    result = cli.invoke(args=["residents", "import", path])
    assert "3 imported, 0 skipped (already present), 0 rejected" in result.output, result.output
    people = persons(rt)
    assert people["Siti Maryam"][0] == "+6281234567201"
    assert people["Siti Maryam"][5] == people["Putri"][5] == "SKM-KLR"
    assert people["Ujang"][5] == "MKS"
    assert count(rt, Contact) == 2


def test_text_that_is_not_utf8_is_rejected(cli, rt, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        f"{HEADER}\n{GOOD_ROW}\n081234567102,Ren\xe9,L,1990-01-01,,SKM\n".encode("latin-1")
    )
    result = cli.invoke(args=["residents", "import", str(path)])
    assert "1 imported, 0 skipped (already present), 1 rejected" in result.output
    assert (
        "baris 3: Kolom name: 'Ren\ufffd' berisi huruf yang tidak terbaca karena berkas bukan "
        'UTF-8. Simpan ulang berkas sebagai "CSV UTF-8" lalu impor lagi.' in result.output
    )


def test_consented_flag_records_consent(cli, rt, tmp_path):
    now = to_db(rt.clock.now())
    with transaction(rt.session_factory) as s:
        s.add(Contact(phone="+6281234567102", opted_out=True, opted_out_at=now, created_at=now))
    path = write(tmp_path, f"{HEADER}\n{GOOD_ROW}\n081234567102,Budi,L,1990-01-01,,SKM\n")
    result = cli.invoke(args=["residents", "import", path, "--consented"])
    assert "2 imported" in result.output
    assert "consent recorded for 1 contact(s)" in result.output
    with rt.session_factory() as s:
        consent = {p: c for p, c in s.execute(select(Contact.phone, Contact.consent_at))}
    assert consent == {"+6281234567101": now, "+6281234567102": None}  # opted out stays out


def test_missing_column_aborts(cli, rt, tmp_path):
    path = write(tmp_path, "phone,name,sex,birth_date,area\n081234567101,Ani,P,1990-01-01,SKM\n")
    result = cli.invoke(args=["residents", "import", path])
    assert result.exit_code != 0
    assert "missing column(s) hpht" in result.output
    assert count(rt, Person) == 0


def test_households_span_batches(rt):
    """Rows of one household in different batches still share one contact."""
    with imports.open_csv(RESIDENTS, imports.RESIDENT_COLUMNS) as csv_file:
        seen: list[int] = []
        result = imports.import_residents(
            rt.session_factory,
            csv_file.rows,
            rt.clock.now(),
            default_tz="Asia/Jakarta",
            default_area="SKM",
            batch_size=1,
            progress=seen.append,
        )
    assert (result.imported, result.skipped, result.rejected) == (5, 0, [])
    assert seen == [1, 1, 1, 1, 1]
    assert count(rt, Contact) == 4


def test_count_rows(tmp_path):
    assert imports.count_rows(write(tmp_path, "a,b\n1,2\n3,4")) == 2
    assert imports.count_rows(write(tmp_path, "a,b\n1,2\n3,4\n")) == 2
    assert imports.count_rows(write(tmp_path, "a,b\n")) == 0


@pytest.mark.parametrize(
    ("header", "sep"), [("a,b;c", ","), ("a;b;c", ";"), ("phone", ","), ("a;b,c;d", ";")]
)
def test_sniff_delimiter(header, sep):
    assert imports.sniff_delimiter(header) == sep


# ---------------------------------------------------------------------------- KIA history

# A complete Buku KIA for a child born 2024-11-10: 2 years old on the frozen date (2026-11-22).
KIA = {
    "HB0": "2024-11-10",
    "BCG": "10-12-2024",  # the register's DD-MM-YYYY
    "OPV1": "2024-12-10",
    "OPV2": "2025-01-10",
    "DPT1": "2025-01-10",
    "PCV1": "2025-01-10",
    "RV1": "2025-01-10",
    "OPV3": "2025-02-10",
    "DPT2": "2025-02-10",
    "PCV2": "2025-02-10",
    "RV2": "2025-02-10",
    "OPV4": "2025-03-10",
    "DPT3": "2025-03-10",
    "IPV1": "2025-03-10",
    "RV3": "2025-03-10",
    "MR1": "2025-08-10",
    "IPV2": "2025-08-10",
    "PCV3": "2025-11-10",
    "DPT4": "2026-05-10",
    "MR2": "2026-05-10",
}
KIA_HEADER = HEADER + "," + ",".join(KIA)
CHILD = "081234567201,Rafa,L,2024-11-10,,SKM-KLR"


def kia_row(prefix: str = CHILD, **cells: str) -> str:
    values = {**KIA, **cells}
    return prefix + "," + ",".join(values[c] for c in KIA)


def doses_of(rt, name: str) -> dict[str, tuple[date, str]]:
    from bot.models import DoseRecord

    with rt.session_factory() as s:
        rows = s.execute(
            select(DoseRecord.item, DoseRecord.given_on, DoseRecord.source)
            .join(Person, Person.id == DoseRecord.person_id)
            .where(Person.name == name)
        ).all()
        return {item: (on, source) for item, on, source in rows}


def plan_of(rt, name: str):
    from bot.models import DoseRecord
    from scheduler.planner import Given, plan
    from scheduler.reminders import Zones, facts

    with rt.session_factory() as s:
        person = s.execute(select(Person).where(Person.name == name)).scalar_one()
        given = [
            Given(d.item, d.given_on, d.source)
            for d in s.execute(
                select(DoseRecord).where(DoseRecord.person_id == person.id)
            ).scalars()
        ]
        zones = Zones(s, rt.settings["timezone"])
        return plan(facts(person, zones), given, date(2026, 11, 22))


def test_two_year_old_with_a_complete_kia_history_has_nothing_overdue(cli, rt, tmp_path):
    path = write(tmp_path, f"{KIA_HEADER}\n{kia_row()}\n")
    result = cli.invoke(args=["residents", "import", path])
    assert result.exit_code == 0, result.output
    assert "1 imported, 0 skipped (already present), 0 rejected" in result.output
    recorded = doses_of(rt, "Rafa")
    assert set(recorded) == set(KIA)
    assert recorded["BCG"] == (date(2024, 12, 10), "import")
    items = plan_of(rt, "Rafa")
    assert [i.item for i in items if i.status == "overdue"] == []
    done = {i.item for i in items if i.status == "done"}
    assert set(KIA) <= done
    # the same file again: nothing twice
    again = cli.invoke(args=["residents", "import", path])
    assert "0 imported, 5 skipped" not in again.output
    assert "0 imported, 1 skipped (already present), 0 rejected" in again.output
    assert len(doses_of(rt, "Rafa")) == len(KIA)


def test_without_the_history_the_same_child_is_overdue(cli, rt, tmp_path):
    """The control for the test above: the plan does see a 2-year-old with nothing recorded."""
    path = write(tmp_path, f"{HEADER}\n{CHILD}\n")
    cli.invoke(args=["residents", "import", path])
    overdue = {i.item for i in plan_of(rt, "Rafa") if i.status == "overdue"}
    assert {"BCG", "DPT1", "MR1"} <= overdue


def test_empty_cells_are_not_given_and_the_next_dose_is_planned_from_the_history(cli, rt, tmp_path):
    header = HEADER + ",hb0,Bcg,DPT1"
    path = write(
        tmp_path, f"{header}\n081234567201,Rafa,L,2026-08-01,,SKM-KLR,2026-08-01,,2026-09-20\n"
    )
    result = cli.invoke(args=["residents", "import", path])
    assert "1 imported" in result.output, result.output
    assert set(doses_of(rt, "Rafa")) == {"HB0", "DPT1"}  # column names in any case
    dpt2 = next(i for i in plan_of(rt, "Rafa") if i.item == "DPT2")
    assert dpt2.due_from == date(2026, 11, 1)  # at 3 months, later than DPT1 + 4 weeks


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"BCG": "besok"}, "Kolom BCG: 'besok' bukan tanggal"),
        ({"BCG": "31-02-2025"}, "Kolom BCG: '31-02-2025' bukan tanggal"),
        ({"DPT1": "2025/01/10"}, "Kolom DPT1: '2025/01/10' bukan tanggal"),
        ({"MR1": "2025-13-01"}, "Kolom MR1: '2025-13-01' bukan tanggal"),
        ({"HB0": "2024-11-09"}, "HB0 tanggal 2024-11-09 sebelum tanggal lahir"),
        ({"MR2": "2027-01-05"}, "MR2 tanggal 2027-01-05 belum terjadi"),
        ({"DPT2": "2025-01-20"}, "DPT2 paling cepat 4 minggu setelah DPT1 (2025-01-10)"),
        ({"DPT1": "2024-12-01"}, "DPT1 tanggal 2024-12-01 terlalu dini"),  # below 6 weeks
        (
            {"MR1": "2025-01-08"},
            "MR1 tanggal 2025-01-08 terlalu dini: umur anak saat itu baru 59 hari",
        ),
    ],
)
def test_a_bad_history_cell_is_left_out_and_the_child_still_imported(
    cli, rt, tmp_path, cells, reason
):
    """A register's child is never lost over one bad date: the row imports without that cell,
    the output and the report name it, and the other doses are recorded."""
    other = "081234567202,Dini,P,2024-11-10,,SKM-KLR"
    path = write(tmp_path, f"{KIA_HEADER}\n{kia_row(**cells)}\n{kia_row(other)}\n")
    report = tmp_path / "perbaiki.csv"
    result = cli.invoke(args=["residents", "import", path, "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert (
        "2 imported, 0 skipped (already present), 0 rejected, 1 imported without some doses"
        in result.output
    )
    assert f"baris 2: diimpor, tetapi tidak dicatat: {reason}" in result.output
    assert "Rafa" in persons(rt)
    (item,) = cells
    recorded = doses_of(rt, "Rafa")
    assert item not in recorded and set(recorded) == set(KIA) - {item}
    assert len(doses_of(rt, "Dini")) == len(KIA)
    with open(report, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["line"] for r in rows] == ["2"]
    assert reason in rows[0]["reason"] and rows[0]["name"] == "Rafa"


def test_every_problem_of_a_row_is_named_at_once_and_the_mended_row_fills_the_gap(
    cli, rt, tmp_path
):
    bad = kia_row(HB0="2024-11-09", DPT1="2024-12-01", MR1="besok")
    path = write(tmp_path, f"{KIA_HEADER}\n{bad}\n", "a.csv")
    result = cli.invoke(args=["residents", "import", path])
    line = next(x for x in result.output.splitlines() if x.startswith("baris 2"))
    for problem in (
        "Kolom MR1: 'besok' bukan tanggal",
        "HB0 tanggal 2024-11-09 sebelum tanggal lahir",
        "DPT1 tanggal 2024-12-01 terlalu dini",
    ):
        assert problem in line, line
    assert set(doses_of(rt, "Rafa")) == set(KIA) - {"HB0", "DPT1", "MR1"}
    mended = cli.invoke(
        args=["residents", "import", write(tmp_path, f"{KIA_HEADER}\n{kia_row()}\n")]
    )
    assert "0 imported, 1 updated" in mended.output, mended.output
    assert set(doses_of(rt, "Rafa")) == set(KIA)
    assert count(rt, Person) == 1


def test_a_dose_the_service_refuses_for_the_person_is_left_out(cli, rt, tmp_path):
    path = write(
        tmp_path, f"{HEADER},hpv,anc1\n081234567203,Bayu,L,2014-02-01,,SKM,2025-08-04,\n"
        "081234567204,Rudi,L,1990-02-01,,SKM,,2025-08-04\n"
    )  # fmt: skip
    result = cli.invoke(args=["residents", "import", path])
    assert "2 imported, 0 skipped (already present), 0 rejected" in result.output
    assert "baris 2: diimpor, tetapi tidak dicatat: HPV tidak cocok untuk Bayu" in result.output
    assert "baris 3: diimpor, tetapi tidak dicatat: ANC1 tidak cocok untuk Rudi" in result.output
    assert count(rt, Person) == 2 and doses_of(rt, "Bayu") == {} and doses_of(rt, "Rudi") == {}


def test_history_added_to_a_person_already_present(cli, rt, tmp_path):
    cli.invoke(args=["residents", "import", write(tmp_path, f"{HEADER}\n{CHILD}\n", "a.csv")])
    result = cli.invoke(
        args=["residents", "import", write(tmp_path, f"{KIA_HEADER}\n{kia_row()}\n")]
    )
    assert "0 imported, 1 updated, 0 skipped (already present), 0 rejected" in result.output
    assert len(doses_of(rt, "Rafa")) == len(KIA)
    assert count(rt, Person) == 1


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("DTP1", "Kolom 'dtp1' tidak dikenal dan diabaikan. Maksudnya DPT1?"),
        ("opv5", "Kolom 'opv5' tidak dikenal dan diabaikan. Maksudnya OPV4?"),
        ("nik", "Kolom 'nik' tidak dikenal dan diabaikan."),
    ],
)
def test_unknown_columns_are_named_in_the_output(cli, rt, tmp_path, column, message):
    path = write(tmp_path, f"{HEADER},{column}\n{GOOD_ROW},2025-01-10\n")
    result = cli.invoke(args=["residents", "import", path])
    assert message in result.output
    assert "1 imported" in result.output


def test_report_columns_are_not_unknown(cli, rt, tmp_path):
    path = write(tmp_path, f"line,{HEADER},reason\n7,{GOOD_ROW},x\n")
    result = cli.invoke(args=["residents", "import", path])
    assert "tidak dikenal" not in result.output


# ---------------------------------------------------------------------------- workers


def workers(rt) -> dict[str, tuple]:
    """phone -> (name, role, sorted area codes)."""
    with rt.session_factory() as s:
        return {
            w.phone: (w.name, w.role, sorted(a.code for a in w.areas))
            for w in s.execute(select(Worker)).scalars()
        }


def test_workers_upsert_changes_role_and_areas(cli, rt):
    before = count(rt, Worker)
    result = cli.invoke(args=["workers", "import", str(WORKERS)])
    assert result.exit_code == 0, result.output
    assert "2 imported, 1 updated, 0 skipped (already present), 0 rejected" in result.output
    people = workers(rt)
    assert people["+6281100000001"] == ("Ani Rahmawati", "bidan", ["SKM-KDL", "SKM-KLR"])
    assert people["+6281100000077"] == ("Kader Euis", "kader", ["MKS"])
    assert people["+6281100000078"] == ("Perawat Joko", "perawat", ["MKS-CRM", "SKM"])
    assert people["+6281100000002"] == ("Kader Budi", "kader", ["SKM-KDL"])  # untouched
    assert count(rt, Worker) == before + 2
    again = cli.invoke(args=["workers", "import", str(WORKERS)])
    assert "0 imported, 0 updated, 3 skipped (already present), 0 rejected" in again.output
    assert count(rt, Worker) == before + 2


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("12345,Kader Ida,kader,SKM", f"Kolom phone: nomor HP '12345' tidak valid. {PHONE_HINT}"),
        (
            "081100000080,Kader Ida,dukun,SKM",
            f"Kolom role: peran 'dukun' tidak dikenal. {ROLES}",
        ),
        ("081100000080,Kader Ida,,SKM", f"Kolom role kosong: peran wajib diisi. {ROLES}"),
        (
            '081100000080,Kader Ida,kader,"SKM;Cibodas"',
            "Kolom areas: wilayah 'Cibodas' tidak dikenal.",
        ),
        ("081100000080,,kader,SKM", "Kolom name kosong: nama wajib diisi."),
        (
            "0811 0000 0079,Kader Lain,kader,SKM",
            "Kolom phone: nomor HP '0811 0000 0079' sudah dipakai di baris 2. Satu nomor hanya "
            "untuk satu petugas: hapus baris ini atau perbaiki nomornya.",
        ),
    ],
)
def test_bad_worker_row_is_reported(cli, rt, tmp_path, row, reason):
    path = write(tmp_path, f"phone,name,role,areas\n081100000079,Kader Ida,Kader,SKM\n{row}\n")
    report = tmp_path / "rejected.csv"
    result = cli.invoke(args=["workers", "import", path, "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "1 imported, 0 updated, 0 skipped (already present), 1 rejected" in result.output
    assert f"baris 3: {reason}" in result.output
    assert workers(rt)["+6281100000079"] == ("Kader Ida", "kader", ["SKM"])
    with open(report, encoding="utf-8-sig", newline="") as fh:
        (rejected,) = list(csv.DictReader(fh))
    assert rejected["line"] == "3" and reason in rejected["reason"]


def test_workers_semicolon_file_with_quoted_areas(cli, rt, tmp_path):
    text = 'phone;name;role;areas\n081100000003;Bidan Sari;bidan;"Sukamaju;Mekarsari"\n'
    path = write(tmp_path, text, encoding="utf-8-sig")
    result = cli.invoke(args=["workers", "import", path])
    assert "0 imported, 1 updated" in result.output, result.output
    assert workers(rt)["+6281100000003"] == ("Bidan Sari", "bidan", ["MKS", "SKM"])
