"""The official Python SDK's BusinessVerification (smile-id-core 3.0.1), unmodified, against `openkyc serve`."""

from __future__ import annotations

import pytest
from smile_id_core.BusinessVerification import BusinessVerification
from smile_id_core.ServerError import ServerError
from smile_id_core.Signature import Signature

from tests.e2e.conftest import Server

pytestmark = pytest.mark.slow

ID_PARAMS = {
    "country": "NG",
    "id_type": "BUSINESS_REGISTRATION",
    "id_number": "0000000",
    "business_type": "co",
}


def test_sdk_verifies_the_sample_business(server: Server) -> None:
    api = BusinessVerification(server.partner_id, server.sandbox_key, server.sid_server)
    result = api.submit_job({"user_id": "kyb-user", "job_id": "kyb-e2e-1", "job_type": 7}, dict(ID_PARAMS))
    assert result["ResultCode"] == "1012" and result["ResultText"] == "Business Verified"
    assert result["company_information"]["registration_number"] == "0000000" and result["directors"]
    assert Signature(server.partner_id, server.sandbox_key).confirm_signature(
        result["timestamp"], result["signature"]
    )


def test_sdk_surfaces_unsupported_business_type(server: Server) -> None:
    api = BusinessVerification(server.partner_id, server.sandbox_key, server.sid_server)
    with pytest.raises(ServerError, match="2413"):
        api.submit_job(
            {"user_id": "kyb-user", "job_id": "kyb-e2e-2", "job_type": 7},
            {**ID_PARAMS, "business_type": "xx"},
        )
