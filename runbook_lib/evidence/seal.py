"""Sealing a run folder: SHA256SUMS over its files, and a manifest linking it to the run sealed before.

    runs/<run id>/SHA256SUMS      `<sha256>  <path>` for every file of the folder but these two
    runs/<run id>/manifest.json   the hash of SHA256SUMS and the previous run's manifest hash

The runs of one runs folder form a chain in the order they were sealed: the first names no previous
run, each later one the hash of its predecessor's manifest. The hash of the newest manifest is the
chain's head; recorded outside the machine, it makes rewriting any run of the chain detectable, even
by someone who recomputes every hash after the edit.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..run_folder import read_run, utc_now
from .bundle import write_evidence

SUMS_FILE = "SHA256SUMS"
MANIFEST_FILE = "manifest.json"
MANIFEST_SCHEMA = "ccr-runbooks.manifest.v1"
SEAL_FILES = (SUMS_FILE, MANIFEST_FILE)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sealed_files(folder: Path) -> list[str]:
    """Every file of the folder (relative, `/`-separated, sorted), the seal's own two excepted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.relative_to(folder).as_posix() not in SEAL_FILES)


def read_sums(folder: Path) -> dict[str, str]:
    sums = {}
    for line in (folder / SUMS_FILE).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        if name:
            sums[name] = digest
    return sums


def read_manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))


def sealed_runs(runs_dir: Path) -> list[Path]:
    """The sealed run folders of `runs_dir`, oldest seal first."""
    found = []
    for manifest in Path(runs_dir).glob(f"*/{MANIFEST_FILE}"):
        try:
            found.append((read_manifest(manifest.parent).get("sealed", ""), manifest.parent))
        except (OSError, ValueError):
            found.append(("", manifest.parent))  # unreadable: verification will say so
    return [folder for _, folder in sorted(found)]


def seal_run(folder: str | os.PathLike[str]) -> str:
    """Write evidence.json, SHA256SUMS and manifest.json into `folder`; return the chain's new head hash."""
    folder = Path(folder).resolve()
    write_evidence(folder)
    previous = next((f for f in reversed(sealed_runs(folder.parent)) if f != folder), None)
    sums = "".join(f"{sha256_file(folder / name)}  {name}\n" for name in sealed_files(folder))
    (folder / SUMS_FILE).write_text(sums, encoding="utf-8")
    run = read_run(folder)
    manifest = {
        "schema": MANIFEST_SCHEMA,
        "run_id": run.get("run_id", folder.name),
        "runbook": run.get("runbook"),
        "sealed": utc_now(),
        "sha256sums": hashlib.sha256(sums.encode("utf-8")).hexdigest(),
        "previous": None if previous is None else {"run_id": previous.name,
                                                   "manifest_sha256": sha256_file(previous / MANIFEST_FILE)},
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return sha256_file(folder / MANIFEST_FILE)
