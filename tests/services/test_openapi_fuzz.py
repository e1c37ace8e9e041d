"""Schemathesis over /openapi.json against the real server, on both backends: no generated
request, however odd, gets a server error (5xx), and every JSON answer matches the schema
the document gives for its status. Half the cases carry real credentials
(Ann's app token, her user key, her device's secret and id) so they reach past the auth checks."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from services.runner import Runner
from tests.factories import Person

EXAMPLES = 8  # per operation: bounded so both backends stay well within the time budget


def _with_credentials(case: Any, creds: dict[str, str]) -> None:
    """Put the real value in every credential field the generated case has."""
    for part in (case.query, case.body):
        if isinstance(part, dict):
            for name, value in creds.items():
                if name in part:
                    part[name] = value


def fuzz_one(op: Any, base_url: str, creds: dict[str, str], statuses: set[int],
             failures: list[str]) -> None:
    """EXAMPLES cases of one operation; each failing case described in `failures`, each
    answer's status in `statuses`."""
    name = f"{op.method.upper()} {op.path}"

    @hypothesis.settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                         phases=[hypothesis.Phase.generate],
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(case=op.as_strategy(), real=st.booleans())
    def one(case: Any, real: bool) -> None:
        if real:
            _with_credentials(case, creds)
        response = case.call(base_url=base_url, timeout=10)
        statuses.add(response.status_code)
        try:
            case.validate_response(response,
                                   checks=[not_a_server_error, response_schema_conformance])
        except FailureGroup as e:  # every failing case is collected and named, not just the first
            failures.append(f"{name} query={case.query!r} body={case.body!r} "
                            f"path={case.path_parameters!r}: {response.status_code} "
                            f"{str(e)[:200]}")

    one()


def fuzz(doc: dict[str, Any], base_url: str, creds: dict[str, str],
         statuses: dict[str, set[int]]) -> list[str]:
    """Every operation, EXAMPLES cases each; the failures, described. `statuses` gets the
    answers each operation gave."""
    failures: list[str] = []
    for result in schemathesis.openapi.from_dict(doc).get_all_operations():
        op = result.ok()  # type: ignore[union-attr]  # an invalid operation raises here
        fuzz_one(op, base_url, creds, statuses.setdefault(f"{op.method.upper()} {op.path}",
                                                          set()), failures)
    return failures


@pytest.mark.slow
# Schemathesis's own strategies use `random`; Hypothesis warns about that, not about Overpush.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
async def test_no_server_error_under_schemathesis(server: Runner, base_url: str,
                                                  http: httpx.AsyncClient, ann: Person,
                                                  token: str) -> None:
    doc = (await http.get(f"{base_url}/openapi.json")).json()
    creds = {"token": token, "user": ann.key, "secret": ann.device.secret,
             "device_id": ann.device.device_id}
    # Schemathesis calls synchronously; the server lives on this event loop, so it runs in
    # a thread while the loop keeps serving.
    statuses: dict[str, set[int]] = {}
    failures = await asyncio.to_thread(fuzz, doc, base_url, creds, statuses)
    assert failures == [], "\n".join(failures)
    # Every documented operation was called, and the real credentials got a good share of them
    # (15 of 52 when written) past the auth checks to a success.
    documented = {f"{m.upper()} {p}" for p, ms in doc["paths"].items() for m in ms}
    assert set(statuses) == documented
    assert sum(200 in s for s in statuses.values()) >= 10, statuses
