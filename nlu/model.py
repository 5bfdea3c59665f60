"""Train the Rasa NLU model once and cache it by a hash of its data, config and Rasa version."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)
RASA_VERSION = "3.6.21"
COMPONENTS = Path(__file__).resolve().parent / "components.py"


def quiet_rasa() -> None:
    """Environment Rasa and TensorFlow read at import: no telemetry, fewer log lines."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    for name in ("rasa", "tensorflow", "absl", "h5py", "matplotlib", "apscheduler.scheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)


def quiet_structlog() -> None:
    """Rasa's structlog would print every parsed message at debug level: keep it at WARNING."""
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)


def data_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.rglob("*") if p.suffix in {".yml", ".yaml"} and p.is_file())


def model_hash(config_path: Path, data_dir: Path) -> str:
    """Stable hash of everything that changes the trained model."""
    h = hashlib.sha256(RASA_VERSION.encode())
    h.update(config_path.read_bytes())
    h.update(COMPONENTS.read_bytes())  # our own pipeline code shapes the model too
    for path in data_files(data_dir):
        h.update(str(path.relative_to(data_dir)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def model_path(config_path: Path, data_dir: Path, model_dir: Path) -> Path:
    return model_dir / f"nlu-{model_hash(config_path, data_dir)}.tar.gz"


def ensure_model(config_path: Path, data_dir: Path, model_dir: Path) -> Path:
    """The cached model for the current data and config, training it first if needed."""
    target = model_path(config_path, data_dir, model_dir)
    if target.exists():
        return target
    return train(config_path, data_dir, model_dir, target.name[: -len(".tar.gz")])


def train(config_path: Path, data_dir: Path, model_dir: Path, name: str) -> Path:
    quiet_rasa()
    from rasa.model_training import train_nlu
    from rasa.utils.tensorflow.environment import setup_tf_environment

    setup_tf_environment()
    quiet_structlog()
    model_dir.mkdir(parents=True, exist_ok=True)
    log.warning("training the NLU model %s (under a minute)", name)
    result = train_nlu(
        config=str(config_path),
        nlu_data=str(data_dir),
        output=str(model_dir),
        fixed_model_name=name,
    )
    if not result:
        raise RuntimeError(f"Rasa training produced no model from {data_dir}")
    path = Path(result)
    for old in model_dir.glob("nlu-*.tar.gz"):
        if old != path:
            old.unlink(missing_ok=True)
    return path
