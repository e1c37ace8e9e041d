"""Request parameters as Pushover clients send them: query string and body, merged.

Real clients put parameters in the query string of a POST (python-pushover), in urlencoded
or multipart bodies (curl, most libraries), in JSON (Ruby, Salt), and even in urlencoded bodies
of GET requests (pushover-complete); they repeat `device` for lists. So every endpoint reads
all of them, and repeated values are joined with commas.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

from overpush.errors import ApiError, E, FieldError
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message

from services.api.body_limit import BodyTooLarge


@dataclass
class Params(Mapping[str, str | None]):
    raw: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, UploadFile] = field(default_factory=dict)
    unstorable: list[str] = field(default_factory=list)  # keys whose values we cannot keep

    def add(self, key: str, value: object) -> None:
        if isinstance(value, bool):
            value = "1" if value else "0"
        elif isinstance(value, list):
            for item in value:
                self.add(key, item)
            return
        elif value is None:
            return
        text = str(value)
        if _unstorable(text):
            self.unstorable.append(key)
            return
        self.raw.setdefault(key, []).append(text)

    def __getitem__(self, key: str) -> str | None:
        vals = [v for v in self.raw[key] if v != ""]
        return ",".join(vals) if vals else ""

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)


async def read_params(request: Request, max_bytes: int) -> Params:
    params = Params()
    for key, value in request.query_params.multi_items():
        params.add(key, value)
    length = request.headers.get("content-length")
    if length is not None and length.isascii() and length.isdigit() and int(length) > max_bytes:
        raise ApiError.of(E.BODY_TOO_LARGE)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if ctype == "application/json":
            body = await _read_limited(request, max_bytes)
            if body.strip():
                data = json.loads(body)
                if not isinstance(data, dict):
                    raise ValueError("JSON body must be an object")
                for key, value in data.items():
                    params.add(key, value)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            # Read within the limit first: a chunked body has no Content-Length to check.
            body = await _read_limited(request, max_bytes)
            form = await _replay(request, body).form(
                max_files=4, max_fields=200, max_part_size=max_bytes
            )
            for key, item in form.multi_items():
                if isinstance(item, UploadFile):
                    params.files[key] = item
                else:
                    params.add(key, item)
    except (ApiError, BodyTooLarge):  # ours, or the application's body limit (413)
        raise
    except Exception as exc:
        # Starlette wraps multipart errors in an HTTPException whose str() starts "400: ".
        reason = getattr(exc, "detail", None) or exc
        raise ApiError.of(E.BODY_INVALID, f"request body could not be parsed: {reason}") from None
    if params.unstorable:
        raise ApiError([
            FieldError(replace(E.TEXT_INVALID, field=key[:40]),
                       f"{key[:40]} contains a NUL character or an unpaired surrogate")
            for key in dict.fromkeys(params.unstorable)
        ])
    return params


def _unstorable(text: str) -> bool:
    """PostgreSQL cannot store NUL in text, and a lone surrogate (JSON "\\ud800") cannot be
    encoded as UTF-8 at all: refuse both here, the same way on every backend."""
    if "\x00" in text:
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


def _replay(request: Request, body: bytes) -> Request:
    """The same request with its body already read, for Starlette's form parser."""

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


async def _read_limited(request: Request, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ApiError.of(E.BODY_TOO_LARGE)
        chunks.append(chunk)
    return b"".join(chunks)
