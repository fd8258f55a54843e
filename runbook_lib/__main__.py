"""`python -m runbook_lib run RUNBOOK ...` and `python -m runbook_lib demo ...`.

    python -m runbook_lib run migrate -f parameters/sandbox.yaml [--from STEP] [--run-id ID]
                                      [--confirm NAME] [--dry-run] [--runs-dir runs]
    python -m runbook_lib run cleanup|rollback -f ... --confirm NAME
    python -m runbook_lib demo [--home .sandbox]
    python -m runbook_lib evidence verify runs/<run id> [--head HASH]
    python -m runbook_lib evidence list [--runs-dir runs]
    python -m runbook_lib evidence report runs/<run id> [-o PATH]
    python -m runbook_lib evidence seal runs/<run id>

Exit status: 0 when every step passed (or the evidence verified), 1 when a step failed (or verification
did), 2 for a usage error, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from .errors import RunbookError
from .runner import RUNBOOKS, RunResult, run_runbook


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m runbook_lib", description="Run the CCR runbooks headlessly.")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute a runbook's notebooks in order with papermill")
    run.add_argument("runbook", choices=sorted(RUNBOOKS), help="migrate (00-05), cleanup or rollback (06)")
    run.add_argument("-f", "--parameters-file", help="YAML parameter set (default: parameters/sandbox.yaml)")
    run.add_argument("--from", dest="from_step", metavar="STEP",
                     help="start at STEP (03, 03_follow or follow) in a new run that names the previous one")
    run.add_argument("--run-id", default="", help="the new run's id (default: a new time-based id)")
    run.add_argument("--confirm", default="", metavar="NAME",
                     help="the name destructive steps ask for (the follower index when there is one)")
    run.add_argument("--dry-run", action="store_true", help="show the requests that would change a cluster; send none")
    run.add_argument("--runs-dir", default="runs", help="where run folders are written (default runs/)")
    demo = sub.add_parser("demo", help="load sample data, keep a writer running, migrate, and summarise")
    demo.add_argument("--home", default=".sandbox", help="the practice clusters' home (default .sandbox/)")
    demo.add_argument("--docs", type=int, default=100_000, help="sample documents loaded into the leader")
    demo.add_argument("--rate", type=float, default=200.0, help="the writer's documents per second")
    demo.add_argument("--runs-dir", default="runs", help="where run folders are written (default runs/)")
    evidence = sub.add_parser("evidence", help="verify sealed run folders, or list the runs")
    ev = evidence.add_subparsers(dest="evidence_command", required=True)
    verify = ev.add_parser("verify", help="recompute every hash and the chain; name what was changed")
    verify.add_argument("folder", help="the run folder, runs/<run id>")
    verify.add_argument("--head", help="the chain's head hash as recorded outside this machine")
    listing = ev.add_parser("list", help="the runs as a table")
    listing.add_argument("--runs-dir", default="runs", help="where run folders are (default runs/)")
    report = ev.add_parser("report", help="render a run's report.html again, to a file or stdout")
    report.add_argument("folder", help="the run folder, runs/<run id>")
    report.add_argument("-o", "--output", help="where to write it (default: stdout); never into a sealed run folder")
    seal = ev.add_parser("seal", help="seal a run left unsealed (an interactive run whose notebook never "
                                      "reached step.finish(), a run whose runner was killed)")
    seal.add_argument("folder", help="the run folder, runs/<run id>")
    return p


def cmd_evidence(args: argparse.Namespace) -> int:
    if args.evidence_command == "list":
        from .evidence.listing import runs_table

        print(runs_table(args.runs_dir))
        return 0
    if args.evidence_command == "seal":
        return cmd_seal(args.folder)
    if args.evidence_command == "report":
        from .evidence.report import render_to

        render_to(args.folder, args.output)
        return 0
    from .evidence.verify import verify_run

    result = verify_run(args.folder, head=args.head)
    print(result.text())
    return 0 if result.ok else 1


def cmd_seal(folder_name: str) -> int:
    from pathlib import Path

    from .evidence.interactive import journals, seal_interactive
    from .evidence.report import write_report
    from .evidence.seal import seal_run
    from .journal import is_sealed
    from .run_folder import RUN_FILE

    folder = Path(folder_name).resolve()
    if is_sealed(folder):
        raise RunbookError(f"{folder} is already sealed, and a sealed run is never reopened")
    if journals(folder):
        head = seal_interactive(folder)
    elif (folder / RUN_FILE).is_file():
        write_report(folder)  # before sealing, so SHA256SUMS covers it, as the runner does
        head = seal_run(folder)
    else:
        raise RunbookError(f"{folder} is not a run folder: it holds neither {RUN_FILE} nor a journal")
    print(f"Sealed {folder}; evidence chain head {head}\n  record it outside this machine: a ticket, a change record")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    result = run_runbook(args.runbook, args.parameters_file, run_id=args.run_id, from_step=args.from_step,
                         dry_run=args.dry_run, confirm=args.confirm, runs_dir=args.runs_dir)
    print(conclusion(result, args))
    return 0 if result.passed else 1


def conclusion(result: RunResult, args: argparse.Namespace) -> str:
    if result.passed:
        return f"Run {result.run_id}: every step passed. Executed notebooks: {result.folder}"
    failed = result.failed_step
    step = failed.step if failed else "?"
    resume = ["python", "-m", "runbook_lib", "run", args.runbook]
    if args.parameters_file:
        resume += ["-f", args.parameters_file]
    resume += ["--from", step] + (["--confirm", args.confirm] if args.confirm else [])
    return "\n".join([
        f"Run {result.run_id} stopped at {step}: {failed.message if failed else result.status}",
        f"Executed notebooks: {result.folder}" + (f" (open {failed.notebook} to see the failing cell)"
                                                 if failed and failed.notebook else ""),
        f"Once the cause is fixed, continue with: {shlex.join(resume)}",
    ])


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "evidence":
            return cmd_evidence(args)
        from .demo import run_demo

        return run_demo(home=args.home, docs=args.docs, rate=args.rate, runs_dir=args.runs_dir)
    except RunbookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
