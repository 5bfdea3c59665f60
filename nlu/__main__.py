"""`python -m nlu train|parse`: the NLU from the command line (evaluation: `make nlu-evaluate`)."""

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
    return 2


if __name__ == "__main__":
    sys.exit(main())
