"""Verifying sealed runs: every file against SHA256SUMS, every manifest against the chain, the head.

The whole chain of the runs folder is checked, from its newest run back to its first, because an
edit to any earlier run is also an edit to the history the asked-for run belongs to. Without a head
hash recorded elsewhere, someone who rewrote a run and recomputed every hash after it goes unseen;
with `--head`, the recorded hash must still be the manifest hash of a run in the chain.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from .seal import MANIFEST_FILE, SUMS_FILE, read_manifest, read_sums, sealed_files, sealed_runs, sha256_file


@dataclass
class Verification:
    run_id: str
    problems: list[str] = field(default_factory=list)
    chain: list[tuple[str, str]] = field(default_factory=list)  # (run id, manifest hash), newest first
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        lines = [f"Run {self.run_id}: " + ("verified" if self.ok else f"verification FAILED ({len(self.problems)})")]
        lines += [f"  {p}" for p in self.problems]
        lines += [f"  {n}" for n in self.notes]
        if self.chain:
            lines.append(f"  chain of {len(self.chain)} run(s), head {self.chain[0][1]} ({self.chain[0][0]})")
        return "\n".join(lines)


def verify_run(folder: str | os.PathLike[str], head: str | None = None) -> Verification:
    folder = Path(folder).resolve()
    result = Verification(folder.name)
    if not (folder / MANIFEST_FILE).is_file():
        result.problems.append(f"run {folder.name} is not sealed: {MANIFEST_FILE} is missing")
    walked = _walk_chain(folder.parent, result)
    names = [name for name, _ in result.chain]
    if folder.name not in names:
        if (folder / MANIFEST_FILE).is_file():
            result.problems.append(f"run {folder.name} is not in the chain that ends at the newest sealed run")
        result.problems += [f"run {folder.name}: {p}" for p in _check_folder(folder)]
    for run_folder in walked:
        label = _label(run_folder.name, folder.name, names)
        result.problems += [f"{label}: {p}" for p in _check_folder(run_folder)]
    if head:
        _check_head(head.strip().lower(), result)
    return result


def _walk_chain(runs_dir: Path, result: Verification) -> list[Path]:
    """The chain from the newest sealed run back to the first, noting each broken link."""
    runs = sealed_runs(runs_dir)
    walked: list[Path] = []
    current = runs[-1] if runs else None
    while current is not None and current not in walked:
        walked.append(current)
        result.chain.append((current.name, sha256_file(current / MANIFEST_FILE)))
        try:
            previous = read_manifest(current).get("previous")
        except ValueError:
            result.problems.append(f"run {current.name}: {MANIFEST_FILE} is not valid JSON")
            break
        if not previous:
            break
        before = runs_dir / previous["run_id"]
        if not (before / MANIFEST_FILE).is_file():
            result.problems.append(f"run {current.name} follows run {previous['run_id']}, whose sealed folder is "
                                   "missing")
            break
        actual = sha256_file(before / MANIFEST_FILE)
        if actual != previous["manifest_sha256"]:
            result.problems.append(
                f"earlier run {before.name} was edited after run {current.name} was sealed: its {MANIFEST_FILE} "
                f"hashes to {actual}, {current.name} recorded {previous['manifest_sha256']}")
        current = before
    return walked


def _check_folder(folder: Path) -> list[str]:
    if not (folder / SUMS_FILE).is_file():
        return [f"{SUMS_FILE} is missing"]
    problems = []
    try:
        recorded = read_manifest(folder).get("sha256sums")
    except (OSError, ValueError):
        recorded = None
    sums_hash = hashlib.sha256((folder / SUMS_FILE).read_bytes()).hexdigest()
    if recorded != sums_hash:
        problems.append(f"{SUMS_FILE} was changed: it no longer matches {MANIFEST_FILE}")
    sums = read_sums(folder)
    present = set(sealed_files(folder))
    for name, digest in sums.items():
        if name not in present:
            problems.append(f"{name} was removed")
        elif sha256_file(folder / name) != digest:
            problems.append(f"{name} was changed")
    problems += [f"{name} was added" for name in sorted(present - set(sums))]
    return problems


def _label(run: str, asked: str, chain: list[str]) -> str:
    if run == asked or asked not in chain:
        return f"run {run}"
    return f"{'later' if chain.index(run) < chain.index(asked) else 'earlier'} run {run}"


def _check_head(head: str, result: Verification) -> None:
    if result.chain and result.chain[0][1] == head:
        result.notes.append("the head matches the hash recorded elsewhere")
        return
    position = next((i for i, (_, digest) in enumerate(result.chain) if digest == head), None)
    if position is not None:
        result.notes.append(f"the recorded head is run {result.chain[position][0]}'s; {position} run(s) sealed "
                            "since extend the chain")
        return
    newest = f" (the newest run, {result.chain[0][0]}, hashes to {result.chain[0][1]})" if result.chain else ""
    result.problems.append(f"no run in the chain has the recorded head {head}{newest}: the chain was rewritten "
                           "or a run removed after that hash was recorded")
