"""The NLU layer: sanitising, the real model in process, and `python -m nlu`."""

import io
import json
import subprocess
import sys

import pytest

from nlu.__main__ import main
from nlu.sanitize import prepare

INTENTS = {
    "greet", "goodbye", "help", "register", "report_symptom", "complain_service", "book_visit",
    "check_schedule", "cancel_visit", "reschedule_visit", "report_birth", "ask_info", "opt_out",
    "opt_in", "affirm", "deny", "out_of_scope", "nlu_fallback",
}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "clean", "truncated"),
    [
        ("/opt_out", "opt_out", False),
        (" / /greet", "greet", False),
        ("halo\x00\x07 bu", "halo bu", False),
        ("  banyak   spasi ", "banyak spasi", False),
        ("", "", False),
        ("kata " * 300, None, True),
    ],
)
def test_prepare(text, clean, truncated):
    out, was_truncated = prepare(text, 1000)
    assert was_truncated is truncated
    assert len(out) <= 1000
    if clean is not None:
        assert out == clean


@pytest.mark.parametrize(
    ("text", "intent"),
    [("halo", "greet"), ("menu", "help"), ("anak saya demam dari kemarin", "report_symptom")],
)
def test_real_model_understands_basics(nlu, text, intent):
    assert nlu.parse(text)["intent"]["name"] == intent


@pytest.mark.parametrize(
    "text",
    [
        "",
        "😀",
        "👍",
        "👍🏻",
        "🙏🙏",
        "❤️",
        "a" * 5000,
        "مرحبا كيف حالك",
        "你好吗",
        "\x00\x01\x02",
        "081234567890",
    ],
)
def test_robust_parse_returns_valid_result(nlu, text):
    result = nlu.parse(text)
    assert result["intent"]["name"] in INTENTS
    assert 0.0 <= result["intent"]["confidence"] <= 1.0
    assert isinstance(result["entities"], list)
    assert result["truncated"] is (len(text) > 1000)


def test_slash_prefix_cannot_force_an_intent(nlu):
    result = nlu.parse("/opt_out")
    assert result["text"] == "opt_out"
    assert result["intent"]["confidence"] < 1.0 or result["intent"]["name"] != "opt_out"


def test_cli_parse_prints_one_json_object_per_line(nlu, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("halo\nanak saya kejang\n\n"))
    assert main(["parse"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    first = json.loads(lines[0])
    assert set(first) >= {"text", "intent", "entities"}
    assert first["intent"]["name"] == "greet"


def test_module_entry_point_runs():
    out = subprocess.run(
        [sys.executable, "-m", "nlu", "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and "parse" in out.stdout


class FakeRasaServer:
    """A stand-in for `rasa run --enable-api`: POST /model/parse answers a fixed parse."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.paths: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.paths.append(self.path)
                data = json.dumps(
                    {
                        "text": body["text"],
                        "intent": {"name": "greet", "confidence": 0.97},
                        "entities": [{"entity": "person", "value": "child", "start": 0, "end": 4}],
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_http_backend_calls_model_parse_with_token():
    from nlu.backends import HttpRasa, Nlu

    server = FakeRasaServer()
    try:
        result = Nlu(HttpRasa(server.url, "s3cret", timeout=5)).parse("/greet anak")
    finally:
        server.server.shutdown()
    assert server.paths == ["/model/parse?token=s3cret"]
    assert result["intent"] == {"name": "greet", "confidence": 0.97}
    assert result["text"] == "greet anak"  # the leading slash never reaches Rasa
    assert result["entities"][0]["value"] == "child"


def test_http_backend_down_gives_fallback_not_an_error():
    from nlu.backends import HttpRasa, Nlu

    result = Nlu(HttpRasa("http://127.0.0.1:9", timeout=1)).parse("halo")
    assert result["intent"]["name"] == "nlu_fallback" and result["error"]


def test_the_sequential_graph_runner_parses_exactly_as_rasas_dask_runner(nlu):
    """The in-process backend runs Rasa's predict graph node after node instead of through
    dask (faster); intents, confidences and entities must be the very same."""
    from rasa.engine.runner.dask import DaskGraphRunner

    from nlu.backends import _SequentialRunner

    nlu.parse("halo")
    processor = nlu.backend.agent.processor
    ours = processor.graph_runner
    assert isinstance(ours, _SequentialRunner)
    dask_runner = DaskGraphRunner.__new__(DaskGraphRunner)
    dask_runner._graph_schema, dask_runner._instantiated_nodes = ours._schema, ours._nodes
    dask_runner._execution_context = None
    texts = [
        "anak saya demam dari kemarin",
        "mau daftar imunisasi buat dede tgl 12 jam 9",
        "tolong istri sy pendarahan banyak",
        "STOP",
        "kapan jadwal posyandu di sukamaju kaler",
        "bayi umur 3 bulan blm bcg",
    ]

    def parses() -> list:
        return [
            (r["intent"], [(e["entity"], e.get("value")) for e in r["entities"]])
            for r in map(nlu.parse, texts)
        ]

    mine = parses()
    try:
        processor.graph_runner = dask_runner
        theirs = parses()
    finally:
        processor.graph_runner = ours
    assert mine == theirs
