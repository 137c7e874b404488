"""Parse an untrusted file in a child process with a time limit and a memory cap, so a hostile file (a PDF built to
loop, a zip bomb) cannot stall the bot's event loop or exhaust its memory. A thread could not be stopped; the child
is killed when the time runs out.

Protocol: the parent writes one JSON line (name and limits) and then the file's bytes to the child's stdin; the child
answers one JSON object on stdout: ``{"parsed": ...}`` or ``{"error": "reason"}``.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from knowledge.parsed import DocumentError, ParsedFile
from knowledge.parsers import Limits, parse_file

ROOT = Path(__file__).resolve().parents[2]
MEMORY_CAP = 1536 * 1024 * 1024  # address space of the child
CRASHED = "the file could not be read (the reader stopped unexpectedly); it may be damaged"


def _command() -> list[str]:
    return [sys.executable, "-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
            "from knowledge.parsers.isolated import child; child()", str(ROOT)]


def _request(name: str, data: bytes, limits: Limits) -> bytes:
    head = {"name": name, "max_bytes": limits.max_bytes, "max_text_bytes": limits.max_text_bytes,
            "max_pages": limits.max_pages}
    return json.dumps(head).encode() + b"\n" + data


def _answer(stdout: bytes, returncode: int | None) -> ParsedFile:
    try:
        answer = json.loads(stdout.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, AttributeError):
        raise DocumentError(CRASHED) from None
    if "error" in answer:
        raise DocumentError(str(answer["error"]))
    return ParsedFile.from_json(answer["parsed"])


def _too_slow(timeout_s: float) -> DocumentError:
    return DocumentError(f"reading the file took longer than {timeout_s:g} s, so it was stopped; "
                         "if it is a very large document, split it")


async def parse_isolated(name: str, data: bytes, limits: Limits, timeout_s: float) -> ParsedFile:
    """Parse in a child process; ``DocumentError`` with the reason, or when the time limit passes (child killed)."""
    process = await asyncio.create_subprocess_exec(
        *_command(), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, env=_env(),
    )
    try:
        stdout, _ = await asyncio.wait_for(process.communicate(_request(name, data, limits)), timeout_s)
    except TimeoutError:
        raise _too_slow(timeout_s) from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return _answer(stdout, process.returncode)


def parse_isolated_sync(name: str, data: bytes, limits: Limits, timeout_s: float) -> ParsedFile:
    """The same for command-line use (``python -m knowledge ingest``)."""
    try:
        # our own interpreter and module, no shell
        done = subprocess.run(_command(), input=_request(name, data, limits), capture_output=True,  # noqa: S603
                              timeout=timeout_s, env=_env(), check=False)
    except subprocess.TimeoutExpired:
        raise _too_slow(timeout_s) from None
    return _answer(done.stdout, done.returncode)


def _env() -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "SYSTEMROOT")
    return {k: v for k, v in os.environ.items() if k in keep}  # no secrets in the parser's environment


def child() -> None:
    """The child's side: cap memory, read the request, parse, answer."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    except (ImportError, ValueError, OSError):
        pass
    raw = sys.stdin.buffer.read()
    head, _, data = raw.partition(b"\n")
    request = json.loads(head)
    limits = Limits(int(request["max_bytes"]), int(request["max_text_bytes"]), int(request["max_pages"]))
    answer: dict[str, Any]
    try:
        answer = {"parsed": parse_file(str(request["name"]), data, limits).to_json()}
    except DocumentError as exc:
        answer = {"error": str(exc)}
    except MemoryError:
        answer = {"error": "the file needs more memory to read than a document should; it may be damaged"}
    except Exception:  # any other failure inside a third-party parser means an unreadable file
        answer = {"error": "the file could not be read; it may be damaged"}
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()
