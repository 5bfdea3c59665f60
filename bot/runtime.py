"""Everything the pipeline needs, built once per process from the settings."""

from __future__ import annotations

import logging
import os
import threading
import weakref
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.catalog import Catalog, load_catalog
from bot.clock import SystemClock
from bot.config import database_url, resolve_path
from bot.db import make_engine, make_session_factory
from bot.outbox import Outbox, RetryPolicy, SendingRules
from bot.senders import LogSender, Sender, SimulatorSender, TwilioSender

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: dict[str, Any], clock: Any = None) -> None:
        self.settings = settings
        self.engine: Engine = make_engine(database_url(settings))
        self.session_factory: sessionmaker = make_session_factory(self.engine)
        self.clock = clock or SystemClock()
        self.catalog: Catalog = load_catalog(settings["language"])
        self.district_path = resolve_path(settings["district_file"])
        self._refs = None  # tests set an iterator for predictable reference codes
        self._nlu: Any = None
        self._nlu_lock = threading.Lock()
        _LIVE.add(self)
        sending = settings["sending"]
        self.outbox = Outbox(
            self.session_factory,
            self.build_senders(),
            self,
            RetryPolicy(sending["max_attempts"], sending["retry_base_seconds"]),
            SendingRules(
                templates={k: v for k, v in (sending.get("whatsapp_templates") or {}).items() if v},
                rates=dict(sending.get("rate_per_second") or {}),
            ),
        )

    def now(self):
        """The outbox reads time through the runtime so tests can swap the clock."""
        return self.clock.now()

    @property
    def district(self):
        from bot.district import load_district

        return load_district(self.district_path, self.settings["timezone"])

    def new_ref(self) -> str:
        """A fresh 6-digit reference code (unique in practice; the database enforces it)."""
        if self._refs is not None:
            return str(next(self._refs))
        import secrets

        return str(100000 + secrets.randbelow(900000))

    def build_senders(self) -> dict[str, Sender]:
        s = self.settings
        remote: Sender
        if s["sending"]["backend"] == "twilio":
            callback = None
            if s["sending"]["status_callback"]:
                callback = s["channels"]["public_base_url"].rstrip("/") + "/twilio/status"
            remote = TwilioSender(
                s["twilio"]["account_sid"],
                s["twilio"]["auth_token"],
                s["channels"]["whatsapp_from"],
                s["channels"]["sms_from"],
                api_base_url=s["twilio"].get("api_base_url") or None,
                status_callback=callback,
            )
        else:
            remote = LogSender()
        return {"whatsapp": remote, "sms": remote, "simulator": SimulatorSender()}

    @property
    def nlu(self) -> Any:
        """The NLU, built (and for Rasa in process, loaded) on first use."""
        with self._nlu_lock:
            if self._nlu is None:
                from flows.triage_rules import load_rules
                from nlu.factory import build_nlu

                nlu = build_nlu(self.settings)
                nlu.backend.load()
                load_rules()  # the danger-sign rules too: no start-up cost on a first message
                self._nlu = nlu
            return self._nlu

    @nlu.setter
    def nlu(self, value: Any) -> None:
        self._nlu = value

    def preload_nlu(self) -> threading.Thread:
        thread = threading.Thread(target=lambda: self.nlu, name="nlu-preload", daemon=True)
        thread.start()
        return thread


# A process forked while a thread loads the NLU (gunicorn's preload_app with NLU_PRELOAD=1)
# inherits the lock that thread holds, but not the thread: every later use would wait forever
# (/readyz said "loading" for good). The child starts with free locks and loads the model
# itself if the parent had not finished.
_LIVE: weakref.WeakSet = weakref.WeakSet()


def _after_fork_in_child() -> None:
    from bot import outbox

    outbox._START_LOCK = threading.Lock()
    for rt in list(_LIVE):
        rt._nlu_lock = threading.Lock()
        rt.outbox.limiter._lock = threading.Lock()
    from nlu.backends import InProcessRasa

    InProcessRasa._load_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)
