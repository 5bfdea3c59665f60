"""NLU backends behind one interface: Rasa in this process, or a Rasa server over HTTP."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from nlu.sanitize import prepare

log = logging.getLogger(__name__)
FALLBACK = "nlu_fallback"


class Backend(Protocol):
    def parse_clean(self, text: str) -> dict[str, Any]:
        """Rasa's parse of already-sanitised text."""


class _SequentialRunner:
    """Runs Rasa's predict graph node after node in this thread, as dask's synchronous scheduler
    does, without building a dask graph for every message (8 dask tasks per parse)."""

    def __init__(self, runner: Any) -> None:
        self._schema = runner._graph_schema
        self._nodes = runner._instantiated_nodes
        self._orders: dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]] = {}

    def _order(self, targets: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
        """The nodes the targets need, each after its inputs, with the names of its inputs."""
        if targets not in self._orders:
            nodes = self._schema.minimal_graph_schema(list(targets)).nodes
            done: set[str] = set()
            order: list[tuple[str, tuple[str, ...]]] = []

            def visit(name: str) -> None:
                if name in done or name not in nodes:
                    return
                done.add(name)
                needs = tuple(nodes[name].needs.values())
                for need in needs:
                    visit(need)
                order.append((name, needs))

            for target in targets:
                visit(target)
            self._orders[targets] = order
        return self._orders[targets]

    def run(
        self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
    ) -> dict[str, Any]:
        wanted = tuple(targets or self._schema.target_names)
        values: dict[str, Any] = {k: (k, v) for k, v in (inputs or {}).items()}
        for name, needs in self._order(wanted):
            values[name] = self._nodes[name](*(values[n] for n in needs))
        return dict(values[t] for t in wanted)  # each node gives (its name, its output)


class InProcessRasa:
    """One Rasa Agent per process; parse calls are serialised on one event-loop thread."""

    _agents: dict[Path, Any] = {}
    _load_lock = threading.Lock()

    def __init__(self, model: Path) -> None:
        self.model = model
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    @property
    def agent(self) -> Any:
        with self._load_lock:
            if self.model not in self._agents:
                from nlu.model import quiet_rasa, quiet_structlog

                quiet_rasa()
                from rasa.core.agent import Agent
                from rasa.utils.tensorflow.environment import setup_tf_environment

                setup_tf_environment()
                quiet_structlog()
                started = time.perf_counter()
                agent = Agent.load(str(self.model))
                agent.processor.graph_runner = _SequentialRunner(agent.processor.graph_runner)
                self._agents[self.model] = agent
                log.info("NLU model loaded in %.1f s", time.perf_counter() - started)
            return self._agents[self.model]

    def load(self) -> None:
        _ = self.agent

    @property
    def loaded(self) -> bool:
        return self.model in self._agents

    def parse_clean(self, text: str) -> dict[str, Any]:
        agent = self.agent
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            return self._loop.run_until_complete(agent.parse_message(text))


class HttpRasa:
    """A separate `rasa run --enable-api` server: POST /model/parse."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 5) -> None:
        self.url = base_url.rstrip("/") + "/model/parse"
        if token:
            self.url += "?" + urllib.parse.urlencode({"token": token})
        self.timeout = timeout
        self.loaded = True

    def load(self) -> None:
        pass

    def parse_clean(self, text: str) -> dict[str, Any]:
        req = urllib.request.Request(
            self.url,
            data=json.dumps({"text": text}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 (configured URL)
            return json.loads(resp.read().decode())


class Nlu:
    """Sanitise, parse, and shape the result as {text, intent, entities, truncated}."""

    def __init__(self, backend: Backend, max_chars: int = 1000) -> None:
        self.backend = backend
        self.max_chars = max_chars

    def parse(
        self, text: str | None, now: datetime | None = None, tz: str = "Asia/Jakarta"
    ) -> dict[str, Any]:
        """Parse `text`; with `now`, dates and times in it are resolved in zone `tz`."""
        result = self._parse(text)
        if now is not None:
            result["dates"] = _dates(result["text"], now, tz)
        return result

    def _parse(self, text: str | None) -> dict[str, Any]:
        clean, truncated = prepare(text, self.max_chars)
        if not clean:
            return _result(text or "", FALLBACK, 0.0, [], truncated)
        try:
            raw = self.backend.parse_clean(clean)
        except (OSError, urllib.error.URLError, ValueError) as exc:
            log.warning("NLU backend failed: %s", type(exc).__name__)
            return _result(clean, FALLBACK, 0.0, [], truncated, error=type(exc).__name__)
        intent = raw.get("intent") or {}
        entities = [
            {
                k: e.get(k)
                for k in ("entity", "value", "start", "end", "confidence_entity", "extractor")
                if k in e
            }
            for e in raw.get("entities") or []
        ]
        return _result(
            clean,
            intent.get("name") or FALLBACK,
            float(intent.get("confidence") or 0.0),
            entities,
            truncated,
        )


def _dates(text: str, now: datetime, tz: str) -> list[dict[str, Any]]:
    """Resolved dates/times as JSON-friendly dicts (local date, time, part of day)."""
    from nlu.dates import resolve

    out = []
    for w in resolve(text, now, tz):
        out.append(
            {
                "text": w.text,
                "start": w.start,
                "end": w.end,
                "date": w.date.isoformat() if w.date else None,
                "time": w.time.strftime("%H:%M") if w.time else None,
                "part_of_day": w.part_of_day,
            }
        )
    return out


def _result(
    text: str,
    intent: str,
    confidence: float,
    entities: list[dict[str, Any]],
    truncated: bool,
    error: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": round(confidence, 4)},
        "entities": entities,
        "truncated": truncated,
    }
    if error:
        out["error"] = error
    return out
