"""Message catalog: every text a resident or kader reads, by key, from bot/messages/<lang>.yml."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from string import Formatter

import yaml

MESSAGES_DIR = Path(__file__).resolve().parent / "messages"
MAX_CHARS = 1600  # Twilio's limit for one message


class CatalogError(Exception):
    pass


class Catalog:
    def __init__(self, texts: dict[str, str], language: str) -> None:
        self.texts = texts
        self.language = language

    def t(self, key: str, **values: object) -> str:
        """The text for `key` with its {placeholders} filled in."""
        try:
            template = self.texts[key]
        except KeyError as exc:
            raise CatalogError(f"no text {key!r} in the {self.language} catalog") from exc
        return template.format(**values).strip()

    def placeholders(self, key: str) -> set[str]:
        return {name for _, name, _, _ in Formatter().parse(self.texts[key]) if name}


@lru_cache(maxsize=8)
def load_catalog(language: str = "id", directory: Path = MESSAGES_DIR) -> Catalog:
    """Load and validate `<language>.yml` plus the fragments in `<language>/*.yml` (one per
    feature): `key: text` pairs below section headings; a key defined twice is an error."""
    texts: dict[str, str] = {}
    paths = [directory / f"{language}.yml", *sorted((directory / language).glob("*.yml"))]
    for path in paths:
        _load_file(path, texts)
    return Catalog(texts, language)


def _load_file(path: Path, texts: dict[str, str]) -> None:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"cannot read message catalog {path}: {exc}") from exc

    def walk(node: object, prefix: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{prefix}.{k}" if prefix else str(k))
        elif isinstance(node, str):
            if not node.strip():
                raise CatalogError(f"{path}: text {prefix!r} is empty")
            if len(node) > MAX_CHARS:
                raise CatalogError(f"{path}: text {prefix!r} is over {MAX_CHARS} characters")
            try:
                list(Formatter().parse(node))
            except ValueError as exc:
                raise CatalogError(f"{path}: text {prefix!r}: {exc}") from exc
            if prefix in texts:
                raise CatalogError(f"{path}: text {prefix!r} is defined twice")
            texts[prefix] = node
        else:
            raise CatalogError(f"{path}: {prefix!r} must be a text or a mapping")

    walk(raw, "")
