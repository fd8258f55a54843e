"""The demo's sample data: the guide's `myindex`, created with its settings and filled with documents.

The guide creates its leader index with soft deletes on and 1,024 operations of history kept
(`PUT myindex {"settings": {"index.soft_deletes.retention.operations": 1024, ...}}`): explicitly, since
on 6.x they are off unless set at creation and can never be turned on later. The documents
look like its Jack and Pony, with a few more fields so that a comparison has something to compare.
Documents are generated from a seed, so two demos load the same data.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

from .dialect import bulk_metadata, create_index_body
from .errors import RunbookError
from .versions import Version

GUIDE_SETTINGS = {"index.soft_deletes.retention.operations": 1024, "index.soft_deletes.enabled": True}
MAPPINGS = {"properties": {
    "name": {"type": "keyword"},
    "age": {"type": "integer"},
    "city": {"type": "keyword"},
    "amount": {"type": "double"},
    "created_at": {"type": "date"},
    "source": {"type": "keyword"},  # "sample" for loaded documents, "writer" for the application's
    "seq": {"type": "long"},  # the application writer's own counter
}}
NAMES = ("Jack", "Pony", "Ada", "Linus", "Grace", "Ken", "Barbara", "Edsger", "Margaret", "Dennis")
CITIES = ("Hangzhou", "Beijing", "Shanghai", "Shenzhen", "Singapore", "Frankfurt", "London", "Virginia")
_EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


def sample_document(rng: random.Random, n: int, source: str = "sample") -> dict[str, Any]:
    created = _EPOCH + timedelta(seconds=n * 37 + rng.randrange(37))
    return {"name": rng.choice(NAMES), "age": rng.randint(18, 90), "city": rng.choice(CITIES),
            "amount": round(rng.uniform(1, 5000), 2),
            "created_at": created.isoformat(timespec="seconds").replace("+00:00", "Z"), "source": source}


def sample_actions(index: str, count: int, seed: int = 7,
                   version: Version = Version(8, 0, 0)) -> Iterator[dict[str, Any]]:
    """Bulk actions for `count` documents with ids `sample-0000001`...: reloading overwrites, never adds."""
    rng = random.Random(seed)
    for n in range(count):
        yield {**bulk_metadata(version, index, f"sample-{n:07d}"), "_source": sample_document(rng, n)}


def load_sample_index(client: Any, index: str, count: int, *, chunk_size: int = 2000,
                      progress: Callable[[str], None] = print) -> float:
    """Create `index` with the guide's settings and load `count` documents; return the seconds it took.

    `client` is an official client (elasticsearch 8.x, or elasticsearch7 for 6.x-7.x clusters).
    An existing index is refused rather than reused: the demo starts from a known state.
    """
    helpers = _helpers_of(client)
    version = server_version(client)
    if client.indices.exists(index=index):
        raise RunbookError(
            f"the leader already has an index [{index}]: the demo starts from fresh practice clusters. "
            "Run `make demo` (which wipes them), or `python -m es_sandbox down --wipe` and `up` first")
    # `body=` is the one form both client generations accept.
    client.indices.create(index=index, body=create_index_body(version, GUIDE_SETTINGS, MAPPINGS))
    started = shown = time.monotonic()
    done = 0
    for ok, item in helpers.streaming_bulk(client, sample_actions(index, count, version=version), chunk_size=chunk_size,
                                           raise_on_error=False, max_retries=3):
        if not ok:
            raise RunbookError(f"loading {index} failed: {item}")
        done += 1
        if done == count or time.monotonic() - shown >= 5:
            shown = time.monotonic()
            progress(f"  loaded {done:,}/{count:,} documents into {index} ({shown - started:.0f} s)")
    client.indices.refresh(index=index)
    return time.monotonic() - started


def server_version(client: Any) -> Version:
    """The version of the server an official client (either generation) talks to."""
    info = client.info()
    return Version.parse(getattr(info, "body", info)["version"]["number"])


def _helpers_of(client: Any) -> Any:
    # The bulk helpers must come from the same client generation as `client` itself.
    module = type(client).__module__.split(".")[0]
    if module == "elasticsearch7":
        from elasticsearch7 import helpers
    else:
        from elasticsearch import helpers
    return helpers
