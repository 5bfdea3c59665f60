"""`python -m nlu train|parse|evaluate`: the NLU from the command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from bot.config import load_settings
from nlu.model import quiet_rasa


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlu", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("train", help="train the model if its data or config changed")
    sub.add_parser("parse", help="parse messages from stdin, one per line, print JSON lines")
    ev = sub.add_parser("evaluate", help="evaluate on the held-out set and by cross-validation")
    ev.add_argument("--folds", type=int, default=5)
    ev.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    quiet_rasa()
    settings = load_settings()

    if args.command == "train":
        from nlu.factory import current_model

        print(current_model(settings))
        return 0
    if args.command == "parse":
        from datetime import datetime, timezone

        from nlu.factory import build_nlu

        nlu = build_nlu(settings)
        for line in sys.stdin:
            now = datetime.now(timezone.utc)
            result = nlu.parse(line.rstrip("\n"), now=now, tz=settings["timezone"])
            print(json.dumps(result, ensure_ascii=False), flush=True)
        return 0
    if args.command == "evaluate":
        from nlu.evaluate import run

        return run(settings, folds=args.folds, strict=args.strict)
    return 2


if __name__ == "__main__":
    sys.exit(main())
