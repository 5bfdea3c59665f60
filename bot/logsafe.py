"""Logs without personal data: a filter that masks phone numbers and query-string values in
every record at INFO and above, the werkzeug and gunicorn access logs included.

`install()` (called by `create_app`) puts the filter on the handlers of the root, werkzeug and
gunicorn loggers. A request line `GET /simulator/messages?phone=081234567890 HTTP/1.1` is
logged as `GET /simulator/messages?phone=*** HTTP/1.1`; a number anywhere else in a message
(`+6281234567890`, `6281234567890`, `%2B62812...`) keeps only its first and last three
characters (bot/phones.py `mask`). DEBUG records are left alone (the log sender shows message
bodies at DEBUG on purpose, for development).
"""

from __future__ import annotations

import logging
import re

from bot.phones import mask

# key=value pairs of a query string: the values are masked (search terms, phones, ids)
_QUERY_VALUE = re.compile(r"([?&][^=&\s\"'#?]{1,64}=)([^&\s\"'#]+)")
# +62 812-3456-7890, whatsapp:+6281..., %2B6281..., or a bare run of 9-15 digits
_PHONE = re.compile(r"(?:\+|%2[bB])\d(?:[ .-]?\d){7,14}(?!\d)|(?<![\w.%+])\d{9,15}(?!\w)")
LOGGERS = ("", "werkzeug", "gunicorn.access", "gunicorn.error")
_formatter = logging.Formatter()


def redact(text: str) -> str:
    """`text` with query-string values replaced by *** and phone numbers masked."""
    text = _QUERY_VALUE.sub(r"\1***", text)
    return _PHONE.sub(lambda m: mask(m.group(0)), text)


class RedactFilter(logging.Filter):
    """Rewrite a record's message (and its traceback text) through `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install(names: tuple[str, ...] = LOGGERS) -> None:
    """Add the filter once to every handler of these loggers (root, werkzeug, gunicorn)."""
    for name in names:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactFilter) for f in handler.filters):
                handler.addFilter(RedactFilter())
