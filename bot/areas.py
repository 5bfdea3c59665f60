"""The area tree (desa > dusun > RW > RT) and the one rule of who acts where: a worker acts on
the alerts, visits and doses of her own areas and everything below them; the puskesmas admin
acts everywhere. One widening, for alerts only: an alert placed above a kader's area within
her desa (the family's dusun unknown) is sent to every kader inside that area, so each of them
may act on it (alert_scope). Every walk of the tree goes through AreaTree."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Area, Contact, Person, Worker
from flows.base import AreaInfo

EVERYWHERE = None  # an area scope of None: every area, and residents without one


class AreaTree:
    """All areas by id (one small table per puskesmas, read in one query): the one read model
    of the area tree, with what each area inherits from those above it (time zone, JE)."""

    def __init__(self, session: Session | None, rows: Iterable[Area] | None = None) -> None:
        """`rows`: the area rows when the caller has already loaded them."""
        if rows is None:
            rows = session.execute(select(Area)).scalars()
        self.rows: dict[int, Area] = {a.id: a for a in rows}
        self.by_code: dict[str, int] = {a.code: a.id for a in self.rows.values()}

    def chain(self, area_id: int | None) -> list[Area]:
        """The area and its ancestors, nearest first (RT -> RW -> dusun -> desa)."""
        out: list[Area] = []
        area = self.rows.get(area_id) if area_id is not None else None
        while area is not None and area not in out:
            out.append(area)
            area = self.rows.get(area.parent_id) if area.parent_id else None
        return out

    def chain_ids(self, area_id: int | None) -> list[int]:
        return [a.id for a in self.chain(area_id)]

    def level(self, area_id: int | None, level: str) -> Area | None:
        return next((a for a in self.chain(area_id) if a.level == level), None)

    def name(self, area_id: int | None, unknown: str = "-") -> str:
        """'Kaler, Sukamaju': the area and, below desa level, its desa."""
        area = self.rows.get(area_id) if area_id is not None else None
        if area is None:
            return unknown
        desa = self.level(area_id, "desa")
        return area.name if desa is None or desa is area else f"{area.name}, {desa.name}"

    def descendants(self, ids: Iterable[int]) -> set[int]:
        """The given areas and every area below them."""
        out = set(ids)
        changed = True
        while changed:
            children = {a.id for a in self.rows.values() if a.parent_id in out} - out
            out |= children
            changed = bool(children)
        return out

    def tz(self, area_id: int | None, default: str) -> str:
        """The area's time zone: its own, else the nearest ancestor's, else `default`."""
        return next((a.timezone for a in self.chain(area_id) if a.timezone), default)

    def je(self, area_id: int | None) -> bool:
        """The area, or one above it, is JE-endemic."""
        return any(a.je_endemic for a in self.chain(area_id))

    def infos(self, default_tz: str) -> tuple[AreaInfo, ...]:
        """Every area as flows see it, with its effective time zone, by id."""
        return tuple(
            AreaInfo(
                a.code,
                a.name,
                a.level,
                self.rows[a.parent_id].code if a.parent_id in self.rows else None,
                self.tz(a.id, default_tz),
            )
            for a in sorted(self.rows.values(), key=lambda a: a.id)
        )

    def desa_list(self) -> list[Area]:
        return sorted((a for a in self.rows.values() if a.level == "desa"), key=lambda a: a.name)

    def dusun_of(self, desa_id: int) -> list[Area]:
        return sorted(
            (a for a in self.rows.values() if a.level == "dusun" and a.parent_id == desa_id),
            key=lambda a: a.name,
        )


def worker_scope(tree: AreaTree, worker: Worker | None, role: str | None = None):
    """The area ids a worker acts on (her areas and their descendants); EVERYWHERE for the
    puskesmas admin (`role` overrides the worker's own, for a dashboard login)."""
    if (role or (worker.role if worker is not None else None)) == "admin":
        return EVERYWHERE
    if worker is None or not worker.active:
        return frozenset()
    return frozenset(tree.descendants(a.id for a in worker.areas))


def alert_scope(tree: AreaTree, scope: frozenset[int] | None, role: str | None):
    """The area ids whose alerts a worker with `scope` (worker_scope) acts on: her scope and,
    for a kader, the areas above hers up to her desa. An alert known only by its desa (or its
    dusun, for an RW kader) goes to the bidan above and to every kader inside it
    (bot.alerts.below): whoever is nearest takes it, the first TERIMA wins. Residents' data
    (persons, doses, visits) keeps `scope`: a person placed only at the desa stays the
    bidan's."""
    if scope is EVERYWHERE or not scope or role != "kader":
        return scope
    above: set[int] = set()
    for area_id in scope:
        for area in tree.chain(area_id)[1:]:
            above.add(area.id)
            if area.level == "desa":
                break
    return frozenset(scope | above)


def in_scope(scope: frozenset[int] | None, area_id: int | None) -> bool:
    """Whether an alert, visit or resident in `area_id` is inside `scope` (an unknown area is
    only the puskesmas's)."""
    return scope is EVERYWHERE or (area_id is not None and area_id in scope)


def resident_area_id(person: Person | None, contact: Contact | None) -> int | None:
    """Where a resident's data belongs: the person's own area, else the household's."""
    if person is not None and person.area_id:
        return person.area_id
    return contact.area_id if contact is not None else None
