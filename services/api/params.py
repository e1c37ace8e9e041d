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
from urllib.parse import parse_qsl

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
        return _joined(self.raw[key])

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        # Mapping's get goes through a KeyError for every absent key, and a send asks for
        # some thirty keys of which it has a handful.
        values = self.raw.get(key)
        return default if values is None else _joined(values)

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)


def _joined(values: list[str]) -> str:
    """Repeated values joined with commas, empty ones left out."""
    if len(values) == 1:
        return values[0]
    return ",".join(v for v in values if v != "")


URLENCODED = "application/x-www-form-urlencoded"
JSON = "application/json"
MULTIPART = "multipart/form-data"
MAX_FIELDS = 200


def media_type(content_type: str) -> str:
    """`application/json; charset=utf-8` -> `application/json`."""
    return content_type.split(";")[0].strip().lower()


def too_large(content_length: str | None, max_bytes: int) -> bool:
    """Whether a declared Content-Length is past the limit (a chunked body is counted while
    it is read instead)."""
    return (content_length is not None and content_length.isascii()
            and content_length.isdigit() and int(content_length) > max_bytes)


def add_query(params: Params, query_string: bytes) -> None:
    """The query string's parameters, decoded as Starlette decodes `request.query_params`."""
    for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        params.add(key, value)


def add_body(params: Params, ctype: str, body: bytes) -> None:
    """A JSON or urlencoded body's parameters (pure: both the FastAPI route and the plain
    POST /1/messages.json read bodies with this); a body that does not parse is BODY_INVALID."""
    try:
        if ctype == JSON:
            if body.strip():
                data = json.loads(body)
                if not isinstance(data, dict):
                    raise ValueError("JSON body must be an object")
                for key, value in data.items():
                    params.add(key, value)
        elif ctype == URLENCODED:
            # As Starlette's form parser decodes it (names and values percent-decoded as
            # UTF-8, '+' a space, blank values kept), at a fraction of its cost.
            for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True,
                                        max_num_fields=MAX_FIELDS):
                params.add(key, value)
    # JSONDecodeError, UnicodeDecodeError and parse_qsl's field limit are ValueErrors; a
    # deeply nested JSON document is a RecursionError.
    except (ValueError, RecursionError) as exc:
        raise ApiError.of(E.BODY_INVALID, f"request body could not be parsed: {exc}") from None


def checked(params: Params) -> Params:
    """`params`, unless a value cannot be stored (refused with each key's error)."""
    if params.unstorable:
        raise ApiError([
            FieldError(replace(E.TEXT_INVALID, field=key[:40]),
                       f"{key[:40]} contains a NUL character or an unpaired surrogate")
            for key in dict.fromkeys(params.unstorable)
        ])
    return params


async def read_params(request: Request, max_bytes: int) -> Params:
    params = Params()
    add_query(params, request.scope.get("query_string", b""))
    if too_large(request.headers.get("content-length"), max_bytes):
        raise ApiError.of(E.BODY_TOO_LARGE)
    ctype = media_type(request.headers.get("content-type", ""))
    if ctype in (JSON, URLENCODED):
        # Read within the limit first: a chunked body has no Content-Length to check.
        add_body(params, ctype, await _read_limited(request, max_bytes))
    elif ctype == MULTIPART:
        body = await _read_limited(request, max_bytes)
        try:
            form = await _replay(request, body).form(
                max_files=4, max_fields=MAX_FIELDS, max_part_size=max_bytes
            )
        except (ApiError, BodyTooLarge):  # ours, or the application's body limit (413)
            raise
        except Exception as exc:
            # Starlette wraps multipart errors in an HTTPException whose str() starts "400: ".
            reason = getattr(exc, "detail", None) or exc
            raise ApiError.of(E.BODY_INVALID,
                              f"request body could not be parsed: {reason}") from None
        for key, item in form.multi_items():
            if isinstance(item, UploadFile):
                params.files[key] = item
            else:
                params.add(key, item)
    return checked(params)


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
