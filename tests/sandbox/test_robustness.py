"""Nothing a client sends crashes a practice cluster or damages its data: random bytes, deep nesting,
huge numbers, invalid UTF-8, truncated and slow requests. Each hostile request gets an answer (or a
closed connection) and afterwards the cluster still answers and the documents are intact."""

from __future__ import annotations

import os
import random
import socket
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers sit beside the tests (importlib import mode)
from rest_support import address, call, raw_exchange  # noqa: E402

pytestmark = pytest.mark.sandbox_only


@pytest.fixture
def es(sandbox):
    return sandbox.url("remote")


@pytest.fixture
def seeded(es, unique_name):
    """An index with known documents, checked after every hostile exchange."""
    name = unique_name()
    for i in range(5):
        call(es, "PUT", f"/{name}/_doc/{i}", {"n": i})
    yield name
    assert call(es, "GET", "/_cluster/health").status == 200
    docs = call(es, "POST", f"/{name}/_mget", {"ids": [str(i) for i in range(5)]}).body["docs"]
    assert [d["_source"] for d in docs] == [{"n": i} for i in range(5)]


def put(path: str, body: bytes, content_type: bytes = b"application/json") -> bytes:
    return (b"PUT %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
            % (path.encode(), content_type, len(body)) + body)


def test_random_bytes(es, seeded):
    generator = random.Random(20240611)
    for _ in range(20):
        answer = raw_exchange(es, bytes(generator.getrandbits(8) for _ in range(generator.randint(1, 300))), half_close=True)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 ")
    garbage = raw_exchange(es, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not TLS at all\r\n\r\n", half_close=True)
    assert garbage.startswith(b"HTTP/1.1 400 ") and b"X-elastic-product: Elasticsearch" in garbage


@pytest.mark.parametrize("body,reason_start", [
    (b"[" * 200_000, "[1:1002] Document nesting depth (1001) exceeds the maximum allowed (1000"),
    (b'{"a":' + b"[" * 5_000 + b"]" * 5_000 + b"}", "[1:1006] Document nesting depth (1001)"),
    (b'{"n":' + b"9" * 20_000 + b"}", "[1:20006] Number value length (20000) exceeds the maximum allowed (1000"),
    (b'{"n":"\xff\xfe\xfa"}', "[1:8] Invalid UTF-8 start byte 0xff"),
    (b'{"n":"\xc3"}', "[1:9] Invalid UTF-8 middle byte 0x22"),
    (b'{"n":NaN}', "[1:9] Non-standard token 'NaN'"),
])
def test_hostile_json_is_a_400(es, seeded, body, reason_start):
    answer = call(es, "PUT", f"/{seeded}/_doc/x", raw=body)
    assert answer.status == 400 and answer.body["error"]["reason"].startswith(reason_start)


def test_hostile_bulk_lines(es, seeded):
    body = (b'{"index":{"_index":"%s","_id":"9"}}\n' % seeded.encode()) + b"[" * 5_000 + b"\n"
    answer = call(es, "POST", "/_bulk", raw=body, content_type="application/x-ndjson")
    assert answer.status == 200 and answer.body["items"][0]["index"]["status"] == 400
    answer = call(es, "POST", "/_bulk", raw=b'{"index":{"_index":"\xff"}}\n{}\n', content_type="application/x-ndjson")
    assert answer.status == 400 and answer.body["error"]["type"] == "x_content_parse_exception"


def test_truncated_and_lying_requests(es, seeded):
    # The client says 100 bytes, sends 6 and leaves: no document, no answer owed.
    raw_exchange(es, put(f"/{seeded}/_doc/0", b'{"n":1')[:-6].replace(b"Length: 6", b"Length: 100") + b'{"n":1', read=False)
    assert raw_exchange(es, b"PUT /x/_doc/1 HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    chunked = raw_exchange(es, b"PUT /%s/_doc/c HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\nzz\r\n" % seeded.encode())
    assert chunked.startswith(b"HTTP/1.1 400 ")
    assert call(es, "GET", f"/{seeded}/_doc/c").status == 404
    line = raw_exchange(es, b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert line.startswith(b"HTTP/1.1 400 ") and b"too_long_http_line_exception" in line


def test_slow_client_does_not_hold_up_others(es, seeded):
    slow = socket.create_connection(address(es), timeout=10)
    try:
        request = put(f"/{seeded}/_doc/slow", b'{"s":"slow"}')
        for byte in request[:-3]:
            slow.sendall(bytes([byte]))
            if byte == ord("\n"):
                started = time.monotonic()
                assert call(es, "GET", "/_cluster/health").status == 200  # others are served meanwhile
                assert time.monotonic() - started < 2
        slow.sendall(request[-3:])
        time.sleep(0.2)
        reply = slow.recv(65536)
        assert reply.startswith(b"HTTP/1.1 201 "), reply
    finally:
        slow.close()
    assert call(es, "GET", f"/{seeded}/_doc/slow").body["_source"] == {"s": "slow"}
