import pytest
from sqlalchemy import func, select

from bot.models import InboundMessage


def test_halo_gets_welcome_and_menu(chat):
    data = chat.send("halo")
    assert data["status"] == "processed"
    assert len(data["replies"]) == 1
    assert "Jemput Bola" in data["replies"][0] and "DAFTAR" in data["replies"][0]


def test_menu_and_stop(chat):
    assert "1. DAFTAR" in chat.send("menu")["replies"][0]
    data = chat.send("STOP")
    assert [e["type"] for e in data["events"]] == ["opted_out"]
    assert chat.send("halo")["replies"] == []
    assert [e["type"] for e in chat.send("mulai")["events"]] == ["opted_in"]


def test_leading_slash_cannot_choose_the_intent(chat):
    data = chat.send("/opt_out")
    assert not any(e["type"] == "opted_out" for e in data["events"])


def test_same_id_twice_is_processed_once(chat, rt):
    first = chat.send("halo", id="SIM-fixed-1")
    second = chat.send("halo", id="SIM-fixed-1")
    assert second["status"] == "duplicate"
    assert second["replies"] == first["replies"]
    with rt.session_factory() as s:
        assert s.execute(select(func.count()).select_from(InboundMessage)).scalar_one() == 1


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (None, "JSON"),
        ([], "JSON"),
        ({"text": "halo"}, "from"),
        ({"from": "", "text": "halo"}, "from"),
        ({"from": "halo", "text": "halo"}, "valid phone"),
        ({"from": "+6281234567890", "text": 5}, "text"),
        ({"from": "+6281234567890", "text": "x" * 10_001}, "longer"),
        ({"from": "+6281234567890", "text": "hi", "id": ""}, "id"),
    ],
)
def test_bad_input_is_a_clear_400(client, payload, error):
    if payload is None:
        resp = client.post("/simulator/send", data="not json", content_type="text/plain")
    else:
        resp = client.post("/simulator/send", json=payload)
    assert resp.status_code == 400
    assert error in resp.get_json()["error"]


@pytest.mark.parametrize(
    "text", ["", "   ", "😀😀😀", "مرحبا", "你好", "\x00\x07\x1b", "081234567890", "a" * 5000]
)
def test_odd_text_gets_an_answer(chat, text):
    data = chat.send(text)
    assert data["status"] == "processed"
    assert data["replies"], text


def test_page_and_message_history(client, chat):
    page = client.get("/simulator")
    assert page.status_code == 200 and "Kirim" in page.get_data(as_text=True)
    chat.send("halo")
    hist = client.get("/simulator/messages?phone=081234567890").get_json()["messages"]
    assert hist and "Jemput Bola" in hist[0]["body"]
    assert client.get("/simulator/messages?phone=xyz").status_code == 400


def test_root_redirects_to_simulator(client):
    assert client.get("/").headers["Location"].endswith("/simulator")
