"""Jemput Bola's webhook against plain `rasa run`, side by side, with one load client.

    .venv/bin/python bench/vs_rasa.py                                   # SQLite only
    .venv/bin/python bench/vs_rasa.py --postgres postgresql://postgres@127.0.0.1:5432/bench_db
    .venv/bin/python bench/vs_rasa.py --quick                           # 120 messages, a smoke run

The peer is a temporary Rasa project built from this project's training data (`nlu/data/`, never
`nlu/heldout/`): the intents and entities of `nlu/domain.yml`, one response per intent, one
RulePolicy rule answering each intent (and `nlu_fallback`), a stock DIET pipeline (fewer epochs
than bench/diet.py: it is a speed peer, not an accuracy one; `--epochs`, default 20). The trained
peer is cached under `instance/bench/` by a hash of everything that shapes it.

Each server is started on its own (`rasa run` with the REST channel; this app with `flask run`,
and with gunicorn 2 workers x 4 threads when gunicorn is importable), timed until it is ready,
then driven by the same client over the same hand-written Indonesian messages
(`bench/data/vs_rasa_messages.txt`, cycled to `--messages`), each a new conversation (a new
sender id / phone, a new MessageSid), at concurrency 1 and 8. This app is called through the
signed Twilio webhook, with its sender pointed at the fake Twilio server (tests/fake_twilio.py)
answering after `--twilio-delay` seconds (0.3). After each run the bench checks that every
message was persisted (inbound row processed, replies queued). The table (req/s, p50, p99, RSS
per process, time to ready) is printed and written to `reports/vs_rasa.md`, with the load
average of the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # run as a script: import the project's `nlu`, not bench/nlu.py
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(ROOT))

PY = sys.executable
PHONES = itertools.count(10_000_000)  # every message from a new number
VENV_BIN = Path(sys.executable).parent
MESSAGES_FILE = ROOT / "bench" / "data" / "vs_rasa_messages.txt"
CACHE = ROOT / "instance" / "bench"
TOKEN = "bench-auth-token"
ACCOUNT = "AC" + "0" * 32
ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
    "LOG_LEVEL": "WARNING",
}

PEER_CONFIG = """\
recipe: default.v1
language: id
assistant_id: vs-rasa-peer
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: {epochs}
  - name: EntitySynonymMapper
  - name: FallbackClassifier
    threshold: 0.5
policies:
  - name: RulePolicy
"""


# --------------------------------------------------------------------------- the peer


def peer_files(epochs: int) -> dict[str, str]:
    """config.yml, domain.yml and data/rules.yml of the peer (the NLU data is copied as is)."""
    import yaml

    domain = yaml.safe_load((ROOT / "nlu" / "domain.yml").read_text(encoding="utf-8"))
    intents = list(domain["intents"])
    responses = {
        f"utter_{i}": [{"text": f"Balasan untuk {i.replace('_', ' ')}."}]
        for i in [*intents, "nlu_fallback"]
    }
    peer_domain = {
        "version": "3.1",
        "intents": intents,
        "entities": list(domain.get("entities") or []),
        "responses": responses,
        "session_config": domain.get("session_config") or {},
    }
    rules = {
        "version": "3.1",
        "rules": [
            {"rule": f"answer {i}", "steps": [{"intent": i}, {"action": f"utter_{i}"}]}
            for i in [*intents, "nlu_fallback"]
        ],
    }
    dump = lambda d: yaml.safe_dump(d, allow_unicode=True, sort_keys=False)  # noqa: E731
    return {
        "config.yml": PEER_CONFIG.format(epochs=epochs),
        "domain.yml": dump(peer_domain),
        "rules.yml": dump(rules),
    }


def nlu_data_files() -> list[Path]:
    data = ROOT / "nlu" / "data"
    return sorted(p for p in data.rglob("*") if p.suffix in {".yml", ".yaml"} and p.is_file())


def peer_model(epochs: int) -> tuple[Path, float | None]:
    """The trained peer (cached by hash); the training seconds when it had to train."""
    from nlu.model import RASA_VERSION

    files = peer_files(epochs)
    h = hashlib.sha256(RASA_VERSION.encode())
    for name, text in sorted(files.items()):
        h.update(name.encode() + b"\0" + text.encode())
    for path in nlu_data_files():
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    target = CACHE / f"peer-{h.hexdigest()[:16]}.tar.gz"
    if target.exists():
        return target, None
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vs-rasa-peer-") as tmp:
        project = Path(tmp)
        (project / "data").mkdir()
        (project / "config.yml").write_text(files["config.yml"], encoding="utf-8")
        (project / "domain.yml").write_text(files["domain.yml"], encoding="utf-8")
        (project / "data" / "rules.yml").write_text(files["rules.yml"], encoding="utf-8")
        for path in nlu_data_files():
            shutil.copy(path, project / "data" / path.name)
        print(f"training the plain Rasa peer (DIET {epochs} epochs)...", file=sys.stderr)
        started = time.perf_counter()
        subprocess.run(
            [
                str(VENV_BIN / "rasa"),
                "train",
                "--config",
                "config.yml",
                "--domain",
                "domain.yml",
                "--data",
                "data",
                "--out",
                str(CACHE),
                "--fixed-model-name",
                target.name[: -len(".tar.gz")],
            ],  # fmt: skip
            cwd=project,
            env={**os.environ, **ENV},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - started
    for old in CACHE.glob("peer-*.tar.gz"):
        if old != target:
            old.unlink(missing_ok=True)
    return target, seconds


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    port: int
    ready_seconds: float = 0.0
    log: Path | None = None

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


def spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    out = log.open("wb")
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return out


def rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def memory(server: Server) -> list[float]:
    """RSS in MB of every process of the server (a gunicorn master first, then its workers)."""
    return [round(rss_mb(p)) for p in tree(server.proc.pid) if rss_mb(p) > 0]


def get(port: int, path: str, timeout: float = 2) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def wait_ready(server: Server, probe, started: float, limit: float = 300) -> None:
    while time.perf_counter() - started < limit:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited; see {server.log}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if probe(server.port):
                server.ready_seconds = time.perf_counter() - started
                return
        time.sleep(0.05)
    raise RuntimeError(f"{server.name} not ready after {limit} s; see {server.log}")


def rasa_ready(port: int) -> bool:
    status, _ = get(port, "/")
    return status == 200


def app_ready(port: int) -> bool:
    """/readyz when the app has it, else /healthz with the NLU loaded."""
    status, body = get(port, "/readyz")
    if status != 404:
        return status == 200
    status, body = get(port, "/healthz")
    return status == 200 and bool(json.loads(body).get("nlu_loaded"))


def start_rasa(model: Path, workdir: Path) -> Server:
    port = free_port()
    creds = workdir / "credentials.yml"
    creds.write_text("rest:\n", encoding="utf-8")
    cmd = [str(VENV_BIN / "rasa"), "run", "--model", str(model), "--port", str(port)]
    cmd += ["--credentials", str(creds), "--interface", "127.0.0.1"]
    log = workdir / "rasa.log"
    started = time.perf_counter()
    server = Server("plain rasa run", spawn(cmd, {**os.environ, **ENV}, log), port, log=log)
    wait_ready(server, rasa_ready, started)
    return server


def app_env(db_url: str, port: int, twilio_url: str) -> dict[str, str]:
    return {
        **os.environ,
        **ENV,
        "DATABASE_URL": db_url,
        "SENDER_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_API_BASE_URL": twilio_url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "NLU_PRELOAD": "1",
        "SECRET_KEY": "bench-secret",
    }


def start_app(kind: str, db_url: str, twilio_url: str, workdir: Path) -> Server:
    port = free_port()
    env = app_env(db_url, port, twilio_url)
    if kind == "flask":
        cmd = [str(VENV_BIN / "flask"), "--app", "app", "run", "--port", str(port)]
        cmd += ["--host", "127.0.0.1", "--no-reload", "--no-debugger", "--with-threads"]
        name = "flask run"
    else:
        # the Procfile's web process: gunicorn.conf.py (the master preloads the app and the
        # model, the workers fork from it), 2 workers x 4 threads
        cmd = [PY, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "2", "--threads", "4"]
        cmd += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
        name = "gunicorn 2x4"
    log = workdir / f"{kind}.log"
    started = time.perf_counter()
    server = Server(name, spawn(cmd, env, log), port, log=log)
    wait_ready(server, app_ready, started)
    if kind == "gunicorn":  # both workers: their NLU loads in the background after the fork
        need = time.perf_counter() + 120
        hits = 0
        while hits < 8 and time.perf_counter() < need:
            hits = hits + 1 if app_ready(port) else 0
            time.sleep(0.05)
        server.ready_seconds = time.perf_counter() - started
    return server


def prepare_database(db_url: str) -> None:
    """An empty schema, migrated, with district.yml loaded (the app's own commands)."""
    if db_url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(db_url, future=True)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    env = {**os.environ, **ENV, "DATABASE_URL": db_url}
    for args in (["db", "upgrade"], ["district", "load"]):
        subprocess.run(
            [str(VENV_BIN / "flask"), "--app", "app", *args],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def start_fake_twilio(delay: float, workdir: Path) -> tuple[subprocess.Popen, str]:
    """tests/fake_twilio.py in its own process (it must not share the client's GIL)."""
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]);"
        "from tests.fake_twilio import FakeTwilio;"
        "f = FakeTwilio(); f.delay = float(sys.argv[2]); f.start();"
        "print(f.url, flush=True); time.sleep(10**6)"
    )
    proc = subprocess.Popen(
        [PY, "-c", code, str(ROOT), str(delay)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        raise RuntimeError("the fake Twilio server did not start")
    return proc, url


# --------------------------------------------------------------------------- the client


def load_messages(count: int) -> list[str]:
    lines = [
        line.strip()
        for line in MESSAGES_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return [lines[i % len(lines)] for i in range(count)]


@dataclass
class Request:
    path: str
    body: bytes
    headers: dict[str, str]


def twilio_requests(port: int, texts: list[str], tag: str) -> list[Request]:
    """Signed Twilio webhooks, each from a new WhatsApp number with a new MessageSid."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)
    url = f"http://127.0.0.1:{port}/twilio/inbound"
    out = []
    for i, text in enumerate(texts):
        form = {
            "MessageSid": f"SMbench{tag}{i:06d}",
            "AccountSid": ACCOUNT,
            "From": f"whatsapp:+62857{next(PHONES):08d}",
            "To": "whatsapp:+14155238886",
            "Body": text,
            "NumMedia": "0",
        }
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": validator.compute_signature(url, form),
        }
        out.append(Request("/twilio/inbound", urllib.parse.urlencode(form).encode(), headers))
    return out


def rasa_requests(texts: list[str], tag: str) -> list[Request]:
    headers = {"Content-Type": "application/json"}
    return [
        Request(
            "/webhooks/rest/webhook",
            json.dumps({"sender": f"bench-{tag}-{i}", "message": t}).encode(),
            headers,
        )
        for i, t in enumerate(texts)
    ]


@dataclass
class Run:
    requests: int
    concurrency: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


def drive(port: int, requests: list[Request], concurrency: int, check) -> Run:
    """Send every request once, `concurrency` at a time, each on a new connection (as Twilio)."""
    lock = threading.Lock()
    todo = iter(requests)
    latencies: list[float] = []
    errors = [0]

    def worker() -> None:
        while True:
            with lock:
                req = next(todo, None)
            if req is None:
                return
            t0 = time.perf_counter()
            ok = False
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("POST", req.path, req.body, req.headers)
                resp = conn.getresponse()
                ok = check(resp.status, resp.read())
                conn.close()
            except (OSError, http.client.HTTPException):
                ok = False
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(ms)
                errors[0] += not ok

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Run(len(requests), concurrency, time.perf_counter() - started, latencies, errors[0])


def rasa_ok(status: int, body: bytes) -> bool:
    return status == 200 and bool(json.loads(body))


def twiml_ok(status: int, body: bytes) -> bool:
    return status == 200 and b"<Response" in body


def persisted(db_url: str, tag: str, expected: int) -> str:
    """Every message stored as processed, with its replies queued (sent or not)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url, future=True)
    with engine.connect() as conn:
        inbound = conn.execute(
            text(
                "SELECT count(*) FROM inbound_message WHERE provider_message_id LIKE :p "
                "AND status IN ('processed', 'ignored')"
            ),
            {"p": f"SMbench{tag}%"},
        ).scalar()
        replies = conn.execute(
            text(
                "SELECT count(*), sum(CASE WHEN o.status IN ('sent', 'delivered') THEN 1 ELSE 0 "
                "END) FROM outbound_message o JOIN inbound_message i ON o.inbound_id = i.id "
                "WHERE i.provider_message_id LIKE :p"
            ),
            {"p": f"SMbench{tag}%"},
        ).one()
    engine.dispose()
    mark = "yes" if inbound == expected else f"NO ({inbound}/{expected})"
    return f"{mark}; {replies[0]} replies, {replies[1] or 0} sent"


# --------------------------------------------------------------------------- main


@dataclass
class Row:
    server: str
    database: str
    concurrency: int
    run: Run
    ready: float
    rss: list[float]
    persisted: str


def bench_server(server, make_requests, check, texts, warmup, concurrencies, db_url, label):
    rows = []
    drive(server.port, make_requests(texts[:warmup], f"w{label}"), 1, check)
    for c in concurrencies:
        tag = f"{label}c{c}"
        run = drive(server.port, make_requests(texts, tag), c, check)
        stored = persisted(db_url, tag, len(texts)) if db_url else "no (in-memory tracker)"
        rows.append((c, run, stored))
        print(
            f"  {server.name:<16} c{c}: {run.rps:5.1f} req/s  p50 {run.pct(50):6.0f} ms  "
            f"p99 {run.pct(99):6.0f} ms  errors {run.errors}  persisted {stored}",
            file=sys.stderr,
            flush=True,
        )
    return rows


def table(rows: list[Row]) -> str:
    lines = [
        "| server | database | concurrency | req/s | p50 ms | p99 ms | errors | RSS MB per process "
        "| ready s | persisted |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r.server} | {r.database} | {r.concurrency} | {r.run.rps:.1f} "
            f"| {r.run.pct(50):.0f} | {r.run.pct(99):.0f} | {r.run.errors} "
            f"| {' + '.join(f'{m:.0f}' for m in r.rss)} | {r.ready:.1f} | {r.persisted} |"
        )
    return "\n".join(lines)


def verdict(rows: list[Row]) -> list[str]:
    """The issue's targets, per server and database, against the peer."""
    peer = {r.concurrency: r for r in rows if r.server == "plain rasa run"}
    out = []
    if not peer:
        return out
    for r in rows:
        if r.server == "plain rasa run":
            continue
        p = peer.get(r.concurrency)
        if p is None:
            continue
        if r.concurrency == 8:
            ratio = r.run.rps / p.run.rps
            ok = ratio >= 1.5 and r.persisted.startswith("yes") and not r.run.errors
            out.append(
                f"- {r.server} on {r.database}, c8: {ratio:.2f}x the peer's throughput "
                f"(target >= 1.5x, everything persisted): {'PASS' if ok else 'FAIL'}"
            )
        if r.concurrency == 1:
            ok = r.run.pct(99) <= p.run.pct(99)
            out.append(
                f"- {r.server} on {r.database}, c1: p99 {r.run.pct(99):.0f} ms vs the peer's "
                f"{p.run.pct(99):.0f} ms (target: no higher): {'PASS' if ok else 'FAIL'}"
            )
    for r in rows:
        if r.server != "plain rasa run" and r.concurrency == 1:
            ok = r.ready <= 10
            out.append(
                f"- {r.server} on {r.database}: ready in {r.ready:.1f} s (target <= 10 s): "
                f"{'PASS' if ok else 'FAIL'}"
            )
    return out


def gunicorn_available() -> bool:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL of a database of your own")
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--quick", action="store_true", help="120 messages, a smoke run")
    parser.add_argument("--epochs", type=int, default=20, help="DIET epochs of the peer")
    parser.add_argument("--twilio-delay", type=float, default=0.3, help="fake Twilio delay (s)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--servers", nargs="+", default=["rasa", "flask", "gunicorn"])
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "vs_rasa.md")
    args = parser.parse_args(argv)
    count = 120 if args.quick else args.messages
    texts = load_messages(count)
    warmup = 10
    load_before = os.getloadavg()

    notes = []
    servers = list(args.servers)
    if "gunicorn" in servers and not gunicorn_available():
        servers.remove("gunicorn")
        notes.append("gunicorn is not installed in this environment: its rows are missing.")
        print("gunicorn is not importable: benchmarking flask run only", file=sys.stderr)

    rows: list[Row] = []
    workdir = Path(tempfile.mkdtemp(prefix="vs-rasa-"))
    peer_train = None
    fake, twilio_url = start_fake_twilio(args.twilio_delay, workdir)
    try:
        if "rasa" in servers:
            model, peer_train = peer_model(args.epochs)
            server = start_rasa(model, workdir)
            try:
                for c, run, stored in bench_server(
                    server, rasa_requests, rasa_ok, texts, warmup, args.concurrency, None, "r"
                ):
                    rows.append(Row(server.name, "in memory", c, run, server.ready_seconds,
                                    memory(server), stored))  # fmt: skip
            finally:
                server.stop()
        databases = [("SQLite", f"sqlite:///{workdir / 'bench.sqlite3'}")]
        if args.postgres:
            databases.append(("PostgreSQL", args.postgres))
        for db_name, db_url in databases:
            for kind in [s for s in servers if s in ("flask", "gunicorn")]:
                if db_url.startswith("sqlite"):
                    Path(db_url[len("sqlite:///") :]).unlink(missing_ok=True)
                prepare_database(db_url)
                server = start_app(kind, db_url, twilio_url, workdir)
                try:
                    make = lambda t, tag, port=server.port: twilio_requests(port, t, tag)  # noqa: E731
                    label = f"{kind[0]}{db_name[0]}"
                    for c, run, stored in bench_server(
                        server, make, twiml_ok, texts, warmup, args.concurrency, db_url, label
                    ):
                        rows.append(Row(server.name, db_name, c, run, server.ready_seconds,
                                        memory(server), stored))  # fmt: skip
                finally:
                    server.stop()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(fake.pid, signal.SIGTERM)
        fake.wait(5)

    load_after = os.getloadavg()
    head = [
        "# Jemput Bola vs plain `rasa run`",
        "",
        f"Generated {datetime.now(timezone.utc).isoformat(timespec='seconds')} by "
        f"`.venv/bin/python bench/vs_rasa.py{' --quick' if args.quick else ''}"
        f"{' --postgres ...' if args.postgres else ''}` on {os.cpu_count()} cores; "
        f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        "(other work on the machine skews these figures).",
        "",
        f"{count} hand-written Indonesian messages (`bench/data/vs_rasa_messages.txt`, cycled), "
        f"each a new conversation, {warmup} warm-up messages first; one client, a new "
        f"connection per request; fake Twilio API delay {args.twilio_delay * 1000:.0f} ms. "
        f"Peer: DIET {args.epochs} epochs + RulePolicy"
        + (f" (trained in {peer_train:.0f} s)" if peer_train else " (cached)")
        + ", in-memory tracker store. RSS after the runs; a gunicorn master first.",
        "",
    ]
    report = "\n".join([*head, table(rows), "", *verdict(rows), *notes, ""])
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        marker = "\n## Where the time goes"
        tail = old[old.index(marker) :] if marker in old else ""
        args.out.write_text(report + tail, encoding="utf-8")
        print(f"written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
