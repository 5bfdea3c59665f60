import re
from pathlib import Path

import pytest

from bot.catalog import CatalogError, load_catalog

ROOT = Path(__file__).resolve().parent.parent
KEY_USE = re.compile(r"""\.t\(\s*["']([a-z_]+\.[a-z_.]+)["']""")


def test_catalog_loads_and_fills_placeholders():
    cat = load_catalog("id")
    assert "Sari" in cat.t("menu.welcome", name_part=" Sari")


def test_every_key_used_in_code_exists():
    cat = load_catalog("id")
    used = set()
    for path in [*ROOT.glob("flows/**/*.py"), *ROOT.glob("bot/**/*.py")]:
        used |= set(KEY_USE.findall(path.read_text()))
    assert used, "no catalog keys found in the code"
    missing = sorted(k for k in used if k not in cat.texts)
    assert missing == []


def test_texts_fit_twilio_limit():
    cat = load_catalog("id")
    assert all(len(t) <= 1600 for t in cat.texts.values())


def test_missing_key_raises():
    with pytest.raises(CatalogError):
        load_catalog("id").t("no.such.key")


def test_bad_catalog_is_rejected(tmp_path):
    (tmp_path / "xx.yml").write_text("menu:\n  a: ''\n")
    with pytest.raises(CatalogError, match="menu.a"):
        load_catalog("xx", tmp_path)
