"""Prometheus metrics. Counters and histograms live in each process; under gunicorn (several
workers) and next to the scheduler they use prometheus-client's multiprocess mode, so one scrape
of any worker gives the totals of every process on the machine. Gauges (outbox depth, open
alerts, escalations) are read from the database at scrape time, so they are right whichever
process or machine is scraped. No label ever holds a phone number or a message text: labels
are channels, fixed outcomes and Twilio error codes (digits only)."""

from __future__ import annotations

import os
import re
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as _multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import REGISTRY

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
CHANNELS = {"whatsapp", "sms", "simulator"}
_CODE = re.compile(r"^\d{1,6}$")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

MESSAGES_IN = Counter(
    "jb_messages_in", "Inbound messages by channel and pipeline result", ["channel", "result"]
)
MESSAGES_OUT = Counter(
    "jb_messages_out",
    "Outbound send attempts by channel and outcome (sent, retry, failed)",
    ["channel", "outcome"],
)
SEND_FAILURES = Counter(
    "jb_send_failures", "Failed send attempts by Twilio error code (none: unreachable)", ["code"]
)
NLU_SECONDS = Histogram("jb_nlu_seconds", "NLU parse latency", buckets=LATENCY_BUCKETS)
INBOUND_SECONDS = Histogram(
    "jb_inbound_seconds",
    "End to end: inbound message received to its replies handed to the sender",
    ["channel"],
    buckets=LATENCY_BUCKETS,
)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def channel_label(channel: str | None) -> str:
    return channel if channel in CHANNELS else "other"


def code_label(code: str | None) -> str:
    if code is None:
        return "none"
    return code if _CODE.match(str(code)) else "other"


def inbound(channel: str, result: str, seconds: float) -> None:
    MESSAGES_IN.labels(channel_label(channel), result).inc()
    INBOUND_SECONDS.labels(channel_label(channel)).observe(seconds)


def sent(channel: str, outcome: str, code: str | None = None) -> None:
    MESSAGES_OUT.labels(channel_label(channel), outcome).inc()
    if outcome != "sent":
        SEND_FAILURES.labels(code_label(code)).inc()


class DatabaseCollector:
    """Gauges computed from the database when scraped (the same on every web box)."""

    def __init__(self, rt: Any) -> None:
        self.rt = rt

    def collect(self):
        from sqlalchemy import func, select
        from sqlalchemy.exc import DBAPIError

        from bot.clock import from_db, to_db
        from bot.models import ALERT_STATUSES, Alert, OutboundMessage

        up = GaugeMetricFamily("jb_database_up", "1 when the database answered this scrape")
        try:
            with self.rt.session_factory() as s:
                by_status = s.execute(
                    select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
                ).all()
                now: datetime = self.rt.clock.now()
                oldest = s.execute(
                    select(func.min(OutboundMessage.next_attempt_at)).where(
                        OutboundMessage.status.in_(("queued", "retry")),
                        OutboundMessage.next_attempt_at <= to_db(now),
                    )
                ).scalar()
                alerts = s.execute(
                    select(Alert.urgency, Alert.status, func.count())
                    .where(Alert.status.in_(("open", "accepted", "escalated")))
                    .group_by(Alert.urgency, Alert.status)
                ).all()
                escalated = s.execute(
                    select(Alert.urgency, func.count())
                    .where(Alert.level >= 2)
                    .group_by(Alert.urgency)
                ).all()
        except DBAPIError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily(
            "jb_outbox_messages", "Outbound messages by status", labels=["status"]
        )
        counts = dict.fromkeys(("queued", "retry", "sending", "sent", "delivered", "failed"), 0)
        counts.update({status: n for status, n in by_status})
        for status, n in sorted(counts.items()):
            depth.add_metric([status], n)
        yield depth
        lag = GaugeMetricFamily(
            "jb_outbox_oldest_due_seconds",
            "How long the oldest due queued/retry message has waited (0: none)",
        )
        lag.add_metric([], max((now - from_db(oldest)).total_seconds(), 0.0) if oldest else 0.0)
        yield lag
        open_ = GaugeMetricFamily(
            "jb_alerts_open",
            "Alerts not yet closed, by urgency and status",
            labels=["urgency", "status"],
        )
        for urgency, status, n in alerts:
            if status in ALERT_STATUSES:
                open_.add_metric([urgency, status], n)
        yield open_
        esc = CounterMetricFamily(
            "jb_alerts_escalated",
            "Alerts escalated to the puskesmas on duty since the start, by urgency",
            labels=["urgency"],
        )
        for urgency, n in escalated:
            esc.add_metric([urgency], n)
        yield esc


class _ProcessCollector:
    """This process's own counters and histograms (single-process mode)."""

    def collect(self):
        yield from REGISTRY.collect()


def render(rt: Any) -> bytes:
    """The text exposition of one scrape: every process's counters, the database's gauges."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        _multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessCollector())
    registry.register(DatabaseCollector(rt))
    return generate_latest(registry)


def mark_process_dead(pid: int) -> None:
    """gunicorn's child_exit hook: drop a dead worker's live gauges (its counters stay)."""
    if multiprocess_dir():
        _multiprocess.mark_process_dead(pid)
