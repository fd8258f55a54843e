"""The HTTP face of a practice cluster, as Elasticsearch 8 shows it: product header, media types and
REST compatibility, parse errors, routing errors, parameters, rendering options and limits."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers sit beside the tests (importlib import mode)
from rest_support import call, error, raw_exchange  # noqa: E402


@pytest.fixture
def es(sandbox):
    return sandbox.url("remote")


def test_product_header_on_every_answer(es, unique_name):
    answers = [
        call(es, "GET", "/"),
        call(es, "GET", f"/{unique_name()}"),  # 404
        call(es, "GET", "/_nothing/here/at/all"),  # 400, no handler
        call(es, "DELETE", "/_cluster/health"),  # 405
        call(es, "PUT", f"/{unique_name()}", raw=b"{}", content_type="text/plain"),  # 406
        call(es, "HEAD", f"/{unique_name()}"),
    ]
    assert [a.headers["X-elastic-product"] for a in answers] == ["Elasticsearch"] * len(answers)


def test_official_client_and_plain_json(sandbox, es, unique_name):
    client = sandbox.client("remote")
    assert client.info()["version"]["number"].startswith("8.")
    name = unique_name()
    client.index(index=name, id="1", document={"a": 1}, refresh=True)
    assert client.get(index=name, id="1")["_source"] == {"a": 1}
    assert client.indices.exists(index=name).body is True
    plain = call(es, "GET", f"/{name}/_doc/1", headers={"Accept": "application/json"})
    assert plain.status == 200 and plain.headers["Content-Type"] == "application/json"


def test_compatible_with_versions(es):
    nine = call(es, "GET", "/", headers={"Accept": "application/vnd.elasticsearch+json; compatible-with=9"})
    assert nine.status == 400
    assert nine.body["error"]["type"] == "media_type_header_exception"
    assert nine.body["error"]["reason"] in ("Invalid media-type value on headers [Accept, Content-Type]",
                                            "Invalid media-type value on headers [Content-Type, Accept]")
    assert nine.body["error"]["caused_by"] == {
        "type": "status_exception",
        "reason": "Accept version must be either version 8 or 7, but found 9. Accept=application/vnd.elasticsearch+json; compatible-with=9"}
    seven = call(es, "GET", "/", headers={"Accept": "application/vnd.elasticsearch+json; compatible-with=7"})
    assert seven.status == 200
    assert seven.headers["Content-Type"] == "application/vnd.elasticsearch+json;compatible-with=7"


def test_content_types(es, unique_name):
    refused = call(es, "PUT", f"/{unique_name()}", raw=b"{}", content_type="text/plain")
    assert (refused.status, refused.body) == (406, {"error": "Content-Type header [text/plain] is not supported", "status": 406})
    form = call(es, "PUT", f"/{unique_name()}", raw=b"{}", content_type="application/x-www-form-urlencoded")
    assert form.body == {"error": "Content-Type header [application/x-www-form-urlencoded] is not supported", "status": 406}
    ndjson = call(es, "PUT", f"/{unique_name()}", raw=b"{}", content_type="application/json; charset=UTF-8")
    assert ndjson.status == 200
    missing = raw_exchange(es, b"PUT /%s HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}" % unique_name().encode())
    assert missing.startswith(b"HTTP/1.1 406") and missing.endswith(b'{"error":"Content-Type header is missing","status":406}')


@pytest.mark.parametrize("body,column,message", [
    (b'{"settings":}', 14, "Unexpected character ('}' (code 125)): expected a value"),
    (b'{settings:1}', 3, "Unexpected character ('s' (code 115)): was expecting double-quote to start field name"),
    (b'{"a":1 "b":2}', 9, "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries"),
    (b'nonsense', 9, "Unrecognized token 'nonsense': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"),
    (b'{"a":1,"a":2}', 11, "Duplicate field 'a'"),
])
def test_malformed_json(es, unique_name, body, column, message):
    # XContentParseException "[line:col] <Jackson message>" caused by Jackson's JsonParseException.
    answer = call(es, "PUT", f"/{unique_name()}", raw=body)
    jackson = f'{message}\n at [Source: (byte[])"{body.decode()}"; line: 1, column: {column}]'
    assert answer.status == 400
    assert answer.body["error"]["root_cause"] == [{"type": "x_content_parse_exception", "reason": f"[1:{column}] {jackson}"}]
    assert answer.body["error"]["caused_by"] == {"type": "json_parse_exception", "reason": jackson}


def test_truncated_json_is_an_eof_error(es, unique_name):
    answer = call(es, "PUT", f"/{unique_name()}", raw=b'{"settings":{')
    assert answer.body["error"]["type"] == "x_content_e_o_f_exception"
    assert answer.body["error"]["reason"].startswith("[1:14] Unexpected end-of-input: expected close marker for Object")
    assert answer.body["error"]["caused_by"]["type"] == "json_e_o_f_exception"


def test_routing_errors(es):
    nothing = call(es, "GET", "/_nothing/here/at/all?x=1")
    assert (nothing.status, nothing.body) == (400, {"error": "no handler found for uri [/_nothing/here/at/all?x=1] and method [GET]",
                                                    "status": 400})
    wrong = call(es, "DELETE", "/_cluster/health")
    assert (wrong.status, wrong.body) == (405, {"error": "Incorrect HTTP method for uri [/_cluster/health] and method [DELETE], "
                                                         "allowed: [GET, HEAD]", "status": 405})
    assert wrong.headers["Allow"] == "GET,HEAD"


def test_unrecognized_parameters(es):
    one = call(es, "GET", "/_cluster/health?levle=indices")
    assert one.body == error(400, "illegal_argument_exception",
                             "request [/_cluster/health] contains unrecognized parameter: [levle] -> did you mean [level]?")
    two = call(es, "GET", "/_cluster/health?zzz=1&levle=indices")
    assert two.body["error"]["reason"] == ("request [/_cluster/health] contains unrecognized parameters: [levle] -> "
                                           "did you mean [level]?, [zzz]")


def test_pretty_filter_path_head_and_opaque_id(es, unique_name):
    pretty = call(es, "GET", "/_cluster/health?pretty")
    assert pretty.raw.startswith(b'{\n  "cluster_name" : ') and pretty.raw.endswith(b"}\n")
    filtered = call(es, "GET", "/_cluster/health?filter_path=number_of_data_nodes,number_of_nodes")
    assert filtered.body == {"number_of_nodes": 3, "number_of_data_nodes": 2}
    name = unique_name()
    call(es, "PUT", f"/{name}")
    head = call(es, "HEAD", f"/{name}")
    assert (head.status, head.raw) == (200, b"")
    echoed = call(es, "GET", f"/{unique_name()}", headers={"X-Opaque-Id": "runbook-42"})
    assert echoed.status == 404 and echoed.headers["X-Opaque-Id"] == "runbook-42"


def test_oversized_body_is_refused_with_413(es):
    answer = raw_exchange(es, b"PUT /big/_doc/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              b"Content-Length: 104857601\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert call(es, "HEAD", "/big").status == 404
