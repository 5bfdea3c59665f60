"""Build the configured NLU from settings."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from bot.config import resolve_path
from nlu.backends import HttpRasa, InProcessRasa, Nlu
from nlu.model import ensure_model, model_path

log = logging.getLogger(__name__)


def paths(settings: dict[str, Any]) -> tuple[Path, Path, Path]:
    """(pipeline config, training data folder, model cache folder)."""
    n = settings["nlu"]
    return resolve_path(n["config"]), resolve_path(n["data"]), resolve_path(n["model_dir"])


def current_model(settings: dict[str, Any], train_if_missing: bool = True) -> Path:
    config, data, model_dir = paths(settings)
    if train_if_missing:
        return ensure_model(config, data, model_dir)
    return model_path(config, data, model_dir)


def build_nlu(settings: dict[str, Any]) -> Nlu:
    n = settings["nlu"]
    if n["backend"] == "http":
        backend: Any = HttpRasa(
            n["server_url"], os.environ.get("NLU_SERVER_TOKEN"), n["timeout_seconds"]
        )
    else:
        backend = InProcessRasa(current_model(settings))
    return Nlu(backend, max_chars=n["max_chars"])
