"""What a practice cluster's version shows over HTTP: identity (`GET /`), the product header, media
types and REST compatibility, the licence and security paths; proved with the official client of each
major (elasticsearch7 for 6.x/7.x, elasticsearch 8.19 for 8.x/9.x) and with plain HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import elasticsearch
import elasticsearch7
import pytest

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers sit beside the tests (importlib import mode)
from rest_support import call  # noqa: E402

pytestmark = pytest.mark.sandbox_only

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VERSIONS = {"v67": "6.7.0", "v68": "6.8.23", "v710": "7.10.2", "v717": "7.17.29", "v8": "8.19.3", "v9": "9.1.5"}
VND8 = "application/vnd.elasticsearch+json; compatible-with=8"
TRIAL_NEEDS_ENABLING = ("Security must be explicitly enabled when using a [trial] license. Enable security by setting "
                        "[xpack.security.enabled] to [true] in the elasticsearch.yml file and restart the node.")


@pytest.fixture(scope="module")
def urls(start_sandbox):
    options = ["--clusters", ",".join(VERSIONS), "--cluster-option", "v67.flavour=vendor",
               "--cluster-option", "v67.license=basic"]
    for name, version in VERSIONS.items():
        options += ["--cluster-option", f"{name}.version={version}"]
    box = start_sandbox(*options)
    return {name: box.url(name) for name in VERSIONS}


def test_root_names_the_version_as_each_release_does(urls):
    expected = {  # lucene, minimum wire, minimum index compatibility, hash length, JSON content type
        "v67": ("7.7.0", "5.6.0", "5.0.0", 7, "application/json; charset=UTF-8"),
        "v68": ("7.7.3", "5.6.0", "5.0.0", 7, "application/json; charset=UTF-8"),
        "v710": ("8.7.0", "6.8.0", "6.0.0-beta1", 40, "application/json; charset=UTF-8"),
        "v717": ("8.11.3", "6.8.0", "6.0.0-beta1", 40, "application/json; charset=UTF-8"),
        "v8": ("9.12.2", "7.17.0", "7.0.0", 40, "application/json"),
        "v9": ("10.2.2", "8.18.0", "8.0.0", 40, "application/json"),
    }
    for name, (lucene, wire, index, hash_length, content_type) in expected.items():
        answer = call(urls[name], "GET", "/")
        assert answer.status == 200 and answer.headers["Content-Type"] == content_type
        body = answer.body
        assert list(body) == ["name", "cluster_name", "cluster_uuid", "version", "tagline"]
        assert (body["cluster_name"], body["tagline"]) == (name, "You Know, for Search")
        version = body["version"]
        assert list(version) == ["number", "build_flavor", "build_type", "build_hash", "build_date", "build_snapshot",
                                 "lucene_version", "minimum_wire_compatibility_version",
                                 "minimum_index_compatibility_version"]
        assert (version["number"], version["build_flavor"], version["build_snapshot"]) == (VERSIONS[name], "default", False)
        assert (version["lucene_version"], version["minimum_wire_compatibility_version"],
                version["minimum_index_compatibility_version"]) == (lucene, wire, index)
        assert len(version["build_hash"]) == hash_length


def test_product_header_only_from_7_14(urls):
    for name, url in urls.items():
        answers = [call(url, "GET", "/"), call(url, "GET", "/_nothing/here/at/all")]
        sent = [a.headers.get("X-elastic-product") for a in answers]
        assert sent == (["Elasticsearch"] * 2 if name in ("v717", "v8", "v9") else [None, None]), name


def test_8x_client_refuses_servers_without_the_product_header(urls):
    for name in ("v67", "v68", "v710"):
        with pytest.raises(elasticsearch.UnsupportedProductError) as failure:
            elasticsearch.Elasticsearch(urls[name]).info()
        assert failure.value.message == ("The client noticed that the server is not Elasticsearch and we do not "
                                         "support this unknown product")
    # Its first request with a body never gets that far: 7.10 cannot read the vendor media type.
    with pytest.raises(elasticsearch.ApiError) as failure:
        elasticsearch.Elasticsearch(urls["v710"]).license.post(license={"uid": "x"})
    assert failure.value.meta.status == 406
    assert failure.value.body == {"error": f"Content-Type header [{VND8}] is not supported", "status": 406}


def test_8x_client_works_with_7_17_8x_and_9x(urls):
    for name in ("v717", "v8", "v9"):
        client = elasticsearch.Elasticsearch(urls[name])
        assert client.info()["version"]["number"] == VERSIONS[name]
        assert client.license.get()["license"]["type"] == "trial"


def test_7x_client_works_with_every_version(urls):
    for name, url in urls.items():
        client = elasticsearch7.Elasticsearch(url)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # not even the "unable to verify" warning
            assert client.info()["version"]["number"] == VERSIONS[name]
            assert client.license.get_trial_status()["eligible_to_start_trial"] is (name == "v67")


def test_7x_client_refuses_a_7_10_that_is_not_the_default_distribution(urls):
    # The 7.17 client's product check reads build_flavor for 7.0-7.13: what it would say to an oss build.
    from elasticsearch7.transport import _ProductChecker

    body = call(urls["v710"], "GET", "/").body
    assert _ProductChecker.check_product({}, body) is True
    body["version"]["build_flavor"] = "oss"
    assert _ProductChecker.check_product({}, body) == _ProductChecker.UNSUPPORTED_DISTRIBUTION


def test_compatible_with_media_types_per_version(urls):
    body = {"license": {"uid": "x"}}
    refused_406 = {"error": f"Content-Type header [{VND8}] is not supported", "status": 406}
    for name in ("v67", "v68", "v710"):
        answer = call(urls[name], "PUT", "/_license", body, content_type=VND8, headers={"Accept": VND8})
        assert (answer.status, answer.body) == (406, refused_406), name
        # Accept alone is never read as a media type to refuse: the answer is plain JSON.
        answer = call(urls[name], "GET", "/", headers={"Accept": VND8})
        assert answer.status == 200 and answer.headers["Content-Type"] == "application/json; charset=UTF-8"
    for compat in ("7", "8", "9"):  # 7.11+ drops the parameter, whatever the number
        vnd = f"application/vnd.elasticsearch+json;compatible-with={compat}"
        answer = call(urls["v717"], "PUT", "/_license", body, content_type=vnd, headers={"Accept": vnd})
        assert (answer.status, answer.headers["Content-Type"]) == (200, "application/json; charset=UTF-8")
        assert answer.body == {"acknowledged": True, "license_status": "invalid"}
    for name, accepted, refused in (("v8", ("7", "8"), "9"), ("v9", ("8", "9"), "7")):
        for compat in accepted:
            vnd = f"application/vnd.elasticsearch+json;compatible-with={compat}"
            answer = call(urls[name], "GET", "/", headers={"Accept": vnd})
            assert (answer.status, answer.headers["Content-Type"]) == (200, vnd)
        vnd = f"application/vnd.elasticsearch+json; compatible-with={refused}"
        answer = call(urls[name], "GET", "/", headers={"Accept": vnd})
        major = VERSIONS[name][0]
        assert answer.status == 400
        assert answer.body["error"]["type"] == "media_type_header_exception"
        assert answer.body["error"]["reason"] == "Invalid media-type value on headers [Content-Type, Accept]"
        assert answer.body["error"]["caused_by"] == {
            "type": "status_exception",
            "reason": f"Accept version must be either version {major} or {int(major) - 1}, but found {refused}. "
                      f"Accept={vnd}"}


def test_licence_paths_per_version(urls):
    for name in ("v67", "v68"):  # both spellings since 6.7, neither deprecated
        for path in ("/_xpack/license", "/_license"):
            answer = call(urls[name], "GET", path)
            assert answer.status == 200 and "Warning" not in answer.headers
            assert "max_resource_units" not in answer.body["license"]
        assert call(urls[name], "GET", "/_xpack/license/trial_status").body == {
            "eligible_to_start_trial": name == "v67"}

    answer = call(urls["v710"], "GET", "/_xpack/license/trial_status")
    assert (answer.status, answer.body) == (200, {"eligible_to_start_trial": False})
    root = call(urls["v710"], "GET", "/").body["version"]
    assert answer.headers["Warning"] == (
        f'299 Elasticsearch-7.10.2-{root["build_hash"]} '
        '"[GET /_xpack/license/trial_status] is deprecated! Use [GET /_license/trial_status] instead."')
    answer = call(urls["v710"], "GET", "/_license")
    assert "Warning" not in answer.headers and answer.body["license"]["max_resource_units"] is None

    for name in ("v8", "v9"):
        answer = call(urls[name], "GET", "/_xpack/license")
        assert (answer.status, answer.body) == (
            400, {"error": "no handler found for uri [/_xpack/license] and method [GET]", "status": 400})
        assert call(urls[name], "GET", "/_license").status == 200


def test_security_paths_when_security_is_off(urls):
    for name in ("v68", "v710", "v717"):
        for path in ("/_security/_authenticate", "/_xpack/security/_authenticate"):
            answer = call(urls[name], "GET", path)
            assert answer.status == 500 and answer.body["error"]["type"] == "exception"
            assert answer.body["error"]["reason"] == TRIAL_NEEDS_ENABLING
            deprecated = name != "v68" and path.startswith("/_xpack")
            assert ("Warning" in answer.headers) is deprecated, (name, path)
    warning = call(urls["v717"], "GET", "/_xpack/security/user/_has_privileges").headers["Warning"]
    assert warning.endswith('"[GET /_xpack/security/user/_has_privileges] is deprecated! '
                            'Use [GET /_security/user/_has_privileges] instead."')
    for name in ("v8", "v9"):
        for path in ("/_security/_authenticate", "/_xpack/security/_authenticate"):
            answer = call(urls[name], "GET", path)
            assert (answer.status, answer.body) == (
                400, {"error": f"no handler found for uri [{path}] and method [GET]", "status": 400})


def test_6_7_basic_then_trial_through_the_xpack_paths(urls):
    # Runs after the tests that read v67's basic licence. Security joined the basic licence in 6.8.0.
    url = urls["v67"]
    answer = call(url, "GET", "/_xpack/security/_authenticate")
    assert answer.status == 403
    assert answer.body["error"]["root_cause"] == [{
        "type": "security_exception", "reason": "current license is non-compliant for [security]",
        "license.expired.feature": "security"}]
    answer = call(url, "POST", "/_xpack/license/start_trial")
    assert (answer.status, answer.body["acknowledged"], answer.body["trial_was_started"]) == (200, False, False)
    answer = call(url, "POST", "/_xpack/license/start_trial?acknowledge=true")
    assert (answer.status, answer.body) == (200, {"acknowledged": True, "trial_was_started": True, "type": "trial"})
    assert call(url, "GET", "/_license").body["license"]["type"] == "trial"
    answer = call(url, "GET", "/_security/_authenticate")
    assert (answer.status, answer.body["error"]["reason"]) == (500, TRIAL_NEEDS_ENABLING)


def test_7x_client_reads_security_disabled_as_the_real_7x(urls):
    with pytest.raises(elasticsearch7.TransportError) as failure:
        elasticsearch7.Elasticsearch(urls["v710"]).security.authenticate()
    assert (failure.value.status_code, failure.value.error) == (500, "exception")


def test_up_refuses_unsupported_versions(tmp_path):
    home = str(tmp_path / "refused")

    def up(*options: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "es_sandbox", "--home", home, "up", "--http-port", "0",
                               "--transport-port", "0", *options], cwd=ROOT, capture_output=True, text=True, timeout=60)

    for options, message in (
            (["--version", "7.9.3"], "error: cluster [remote]: version [7.9.3] is not supported by the practice "
                                     "clusters; supported lines: 6.7, 6.8, 7.10-7.17, 8.x, 9.x"),
            (["--cluster-option", "local.version=6.6.2"], "error: cluster [local]: version [6.6.2] is not supported"),
            (["--cluster-option", "remote.flavour=odd"],
             "error: cluster [remote]: unknown flavour [odd]; expected one of default, vendor")):
        result = up(*options)
        assert result.returncode == 2 and result.stderr.startswith(message)
        assert not os.path.exists(os.path.join(home, "clusters.json"))  # nothing was started
