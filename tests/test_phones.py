import pytest

from bot.phones import mask, to_e164


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("whatsapp:+6281234567890", "+6281234567890"),
        ("+14155238886", "+14155238886"),
        ("", None),
        (None, None),
        ("12", None),
        ("halo", None),
        ("+62" + "9" * 40, None),
    ],
)
def test_to_e164(raw, expected):
    assert to_e164(raw) == expected


def test_mask_hides_the_middle():
    assert mask("+6281234567890") == "+62********890"
    assert "1234567" not in mask("+6281234567890")
    assert mask(None) == "-"
