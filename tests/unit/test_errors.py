"""Errors say what happened: a cluster's error reads the same from either Python client."""

from __future__ import annotations

import elasticsearch
import elasticsearch7
import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig

from runbook_lib import errors
from runbook_lib.errors import ClusterRequestError, ParameterError, RunbookError

SOFT_DELETES = {
    "error": {
        "root_cause": [{"type": "illegal_argument_exception",
                        "reason": "leader index [myindex] does not have soft deletes enabled"}],
        "type": "illegal_argument_exception",
        "reason": "leader index [myindex] does not have soft deletes enabled",
    },
    "status": 400,
}


def meta(status: int) -> ApiResponseMeta:
    return ApiResponseMeta(status=status, http_version="1.1", headers=HttpHeaders(), duration=0.01,
                           node=NodeConfig("http", "127.0.0.1", 9200))


def test_every_error_has_one_root_and_says_when_it_is_raised():
    for name in ("ParameterError", "CheckFailed", "ClusterRequestError", "WrongCluster",
                 "ConfirmationRequired", "UnsafeState", "WaitTimedOut"):
        cls = getattr(errors, name)
        assert issubclass(cls, RunbookError)
        assert cls.__doc__.startswith("Raised when"), name


def test_api_error_from_the_8x_client():
    exc = elasticsearch.BadRequestError("illegal_argument_exception", meta(400), SOFT_DELETES)
    error = ClusterRequestError.from_client_error(exc, "put", "/myindex_follow/_ccr/follow", cluster="local")
    assert (error.method, error.status, error.error_type) == ("PUT", 400, "illegal_argument_exception")
    assert str(error) == ("local: PUT /myindex_follow/_ccr/follow failed with 400 illegal_argument_exception: "
                          "leader index [myindex] does not have soft deletes enabled")


def test_transport_error_from_the_7x_client():
    exc = elasticsearch7.exceptions.RequestError(400, "illegal_argument_exception", SOFT_DELETES)
    error = ClusterRequestError.from_client_error(exc, "PUT", "/myindex_follow/_ccr/follow")
    assert (error.status, error.error_type) == (400, "illegal_argument_exception")
    assert "soft deletes" in error.reason


def test_caused_by_and_plain_string_errors():
    body = {"error": {"root_cause": [], "type": "media_type_header_exception",
                      "reason": "Invalid media-type value on headers [Content-Type, Accept]",
                      "caused_by": {"type": "status_exception",
                                    "reason": "Accept version must be either version 8 or 7, but found 9"}},
            "status": 400}
    error = ClusterRequestError.from_client_error(elasticsearch.ApiError("x", meta(400), body), "GET", "/")
    assert "caused by: status_exception: Accept version must be" in str(error)
    plain = {"error": "no handler found for uri [/_ccr/nope] and method [GET]", "status": 400}
    error = ClusterRequestError.from_client_error(elasticsearch.ApiError("x", meta(400), plain), "GET", "/_ccr/nope")
    assert error.reason.startswith("no handler found") and error.status == 400


def test_connection_errors_have_no_status():
    exc = elasticsearch.ConnectionError("Connection refused")
    error = ClusterRequestError.from_client_error(exc, "GET", "/", cluster="remote")
    assert error.status is None and error.error_type == "ConnectionError"
    assert str(error).startswith("remote: GET / failed with ConnectionError: ") and "Connection refused" in str(error)
    exc7 = elasticsearch7.exceptions.ConnectionError("N/A", "refused", OSError("refused"))
    assert ClusterRequestError.from_client_error(exc7, "GET", "/").status is None


def test_parameter_errors_combine_into_one_message():
    combined = ParameterError.combine([ParameterError("a", "x", 1), ParameterError("b", "y", got_text="nothing")])
    assert [p.field for p in combined.problems] == ["a", "b"]
    assert str(combined) == "2 parameters are wrong:\n  - parameter `a`: expected x; got 1\n  - parameter `b`: expected y; got nothing"
    with pytest.raises(ParameterError, match="not shown"):
        raise ParameterError("remote.password_env", "a name", "hunter2!", conceal=True)
