"""Enhanced KYC with the official Python SDK (smile-id-core), unmodified, against `openkyc serve`."""

from __future__ import annotations

import pytest
from smile_id_core.IdApi import IdApi
from smile_id_core.ServerError import ServerError
from smile_id_core.Signature import Signature

from tests.e2e.conftest import Server

pytestmark = pytest.mark.slow

ID_INFO = {
    "country": "NG",
    "id_type": "BVN",
    "first_name": "Joe",
    "last_name": "Doe",
    "entered": True,
}


def test_id_api_validates_a_sandbox_test_number(server: Server) -> None:
    api = IdApi(server.partner_id, server.sandbox_key, server.sid_server)
    params = {"user_id": "id-user", "job_id": "id-job-1012", "job_type": 5, "app_version": "e2e-1"}
    result = api.submit_job(params, {**ID_INFO, "id_number": "00000000000"})
    assert result["ResultCode"] == "1012", result
    assert result["ResultType"] == "ID Verification" and result["FullName"] == "Joe Leo Doe"
    assert result["PartnerParams"]["app_version"] == "e2e-1"
    assert Signature(server.partner_id, server.sandbox_key).confirm_signature(
        result["timestamp"], result["signature"]
    )


def test_id_api_not_found_is_a_result_not_an_error(server: Server) -> None:
    api = IdApi(server.partner_id, server.sandbox_key, server.sid_server)
    params = {"user_id": "id-user", "job_id": "id-job-1013", "job_type": 5}
    assert api.submit_job(params, {**ID_INFO, "id_number": "00000000001"})["ResultCode"] == "1013"


def test_id_api_surfaces_an_unsupported_id_type(server: Server) -> None:
    api = IdApi(server.partner_id, server.sandbox_key, server.sid_server)
    params = {"user_id": "id-user", "job_id": "id-job-2413", "job_type": 5}
    with pytest.raises(ServerError, match="2413"):
        api.submit_job(params, {**ID_INFO, "id_type": "NOPE", "id_number": "00000000000"})
