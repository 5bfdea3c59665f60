"""Declarative YAML schemas (pydantic 1, installed with Rasa): the shared base model, a few
strict field types, and error messages that name the file, the key path and the problem, e.g.
``district.yml: places[1].capacity: ensure this value is greater than or equal to 1``.

Pure: no Flask or SQLAlchemy, so the flows and the scheduler's rules loader may use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Extra, PydanticValueError, ValidationError

__all__ = ["At", "Schema", "Text", "ValidationError", "key_path", "problems", "describe"]

# Keys that name an entry of a list, shown after its index: rules[3] (id stroke).
_NAME_KEYS = ("id", "item", "code", "name")
_MESSAGES = {
    "value_error.extra": "unknown key",
    "value_error.missing": "required key is missing",
}


class Schema(BaseModel):
    """A YAML mapping: unknown keys are errors; values are not silently converted between
    text, numbers and booleans (fields use the Strict* types)."""

    class Config:
        extra = Extra.forbid
        allow_mutation = False
        validate_all = False


class At(PydanticValueError):
    """A problem found by a validator at a key below the validated field:
    ``raise At((3, "parent"), "must be listed before it")`` inside a validator of ``areas``
    is reported at ``areas[3].parent``."""

    code = "at"
    msg_template = "{problem}"

    def __init__(self, path: Sequence[str | int], problem: str) -> None:
        super().__init__(path=tuple(path), problem=problem)


class Text(str):
    """A non-blank string (kept as written)."""

    @classmethod
    def __get_validators__(cls):
        yield cls.validate

    @classmethod
    def validate(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"expected a text, got {type(value).__name__}")
        if not value.strip():
            raise ValueError("must be a non-empty text")
        return value


def key_path(loc: Iterable[str | int]) -> str:
    """('rules', 3, 'when') -> 'rules[3].when'."""
    out = ""
    for part in loc:
        if part == "__root__":
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _entry_name(data: Any, loc: Sequence[str | int]) -> str:
    """' (id stroke)' for the innermost list entry on the path that has a naming key."""
    node, found = data, ""
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(part, int) and isinstance(node, Mapping):
            for key in _NAME_KEYS:
                if isinstance(node.get(key), str | int) and not isinstance(node.get(key), bool):
                    found = f" ({key} {node[key]})"
                    break
    return found


def problems(
    exc: ValidationError,
    data: Any = None,
    prefix: Sequence[str | int] = (),
    note: Callable[[tuple[str | int, ...]], str] | None = None,
) -> list[str]:
    """One 'key.path: problem' line per error; `data` (the parsed YAML) lets a line name
    the list entry it is in; `note(loc)` may add a remark (e.g. where a value came from)."""
    out = []
    for err in exc.errors():
        loc = (*prefix, *err["loc"], *err.get("ctx", {}).get("path", ()))
        loc = tuple(p for p in loc if p != "__root__")
        message = _MESSAGES.get(err["type"], err["msg"])
        path = key_path(loc)
        name = _entry_name(data, loc) if data is not None else ""
        line = f"{path}: {message}" if path else message
        out.append(line + name + (note(loc) if note else ""))
    return out


def describe(
    file: str,
    exc: ValidationError,
    data: Any = None,
    prefix: Sequence[str | int] = (),
    note: Callable[[tuple[str | int, ...]], str] | None = None,
) -> str:
    """'file: key.path: problem', one line per problem."""
    return "\n".join(f"{file}: {line}" for line in problems(exc, data, prefix, note))
