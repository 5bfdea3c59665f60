"""Run every YAML transcript in tests/transcripts against the real pipeline and NLU."""

from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.alert_lifecycle import escalate_due
from bot.catalog import load_catalog
from bot.db import transaction
from bot.models import OutboundMessage
from bot.phones import to_e164

FILES = sorted((Path(__file__).parent / "transcripts").glob("*.yml"))


def check_reply(expect: dict, replies: list[str], where: str) -> None:
    cat = load_catalog("id")
    if "key" in expect:
        wanted = cat.t(expect["key"], **expect.get("values", {}))
        hit = wanted in replies
    else:
        hit = any(expect["contains"] in r for r in replies)
    if expect.get("absent"):
        assert not hit, f"{where}: unexpected reply {expect} in {replies}"
    else:
        assert hit, f"{where}: expected {expect} in {replies}"


def check_events(expected: list[dict], events: list[dict], where: str) -> None:
    assert len(events) == len(expected), f"{where}: events {events} != {expected}"
    for want, got in zip(expected, events, strict=True):
        for k, v in want.items():
            assert got.get(k) == v, f"{where}: event {got} lacks {k}={v}"


def outbox_since(rt, last_id: int) -> list[OutboundMessage]:
    with rt.session_factory() as s:
        return list(
            s.execute(
                select(OutboundMessage)
                .where(OutboundMessage.id > last_id)
                .order_by(OutboundMessage.id)
            ).scalars()
        )


def check_outbox(expected: list[dict], sent: list[OutboundMessage], where: str) -> None:
    """`outbox: [{to: phone, contains: text}]`: messages queued by this step (alerts...)."""
    for want in expected:
        to = to_e164(want["to"])
        hits = [m for m in sent if m.to_phone == to and want.get("contains", "") in m.body]
        if want.get("absent"):
            assert not hits, f"{where}: unexpected message to {to}: {[m.body for m in hits]}"
        else:
            assert (
                hits
            ), f"{where}: no message to {to} with {want}: {[(m.to_phone, m.body) for m in sent]}"


def run_job(name: str, rt) -> None:
    if name == "escalate":
        with transaction(rt.session_factory) as s:
            ids = escalate_due(s, rt.clock.now(), rt.settings)
        rt.outbox.deliver_many(ids)
    else:  # pragma: no cover - a typo in a transcript
        raise AssertionError(f"unknown job {name}")


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_transcript(path, client, clock, rt):
    script = yaml.safe_load(path.read_text())
    clock.set(datetime.fromisoformat(script["clock"]))
    for i, step in enumerate(script["steps"], 1):
        where = f"{path.name} step {i} ({step.get('send', step.get('run'))!r})"
        if "advance" in step:
            clock.advance(**step["advance"])
        last_id = max([m.id for m in outbox_since(rt, 0)] or [0])
        if "run" in step:
            run_job(step["run"], rt)
            check_outbox(step.get("outbox", []), outbox_since(rt, last_id), where)
            continue
        sender = step.get("from", script["from"])
        resp = client.post("/simulator/send", json={"from": sender, "text": step["send"]})
        assert resp.status_code == 200, where
        data = resp.get_json()
        if "replies" in step:
            positive = [r for r in step["replies"] if not r.get("absent")]
            if step["replies"] == []:
                assert data["replies"] == [], f"{where}: expected silence, got {data['replies']}"
            else:
                assert len(data["replies"]) >= len(positive), where
            for expect in step["replies"]:
                check_reply(expect, data["replies"], where)
        if "events" in step:
            check_events(step["events"], data["events"], where)
        if "outbox" in step:
            check_outbox(step["outbox"], outbox_since(rt, last_id), where)
