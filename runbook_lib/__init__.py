"""Helpers behind the ccr-runbooks notebooks: parameters, checks, records, waits and versions.

Modules are imported where they are used (`from runbook_lib.parameters import load_parameters`), so
that importing the package stays cheap and never pulls in pandas or a cluster client by accident.
This package reaches the practice clusters only over HTTP; it never imports `es_sandbox`.
"""

from .errors import (
    CheckFailed,
    ClusterRequestError,
    ConfirmationRequired,
    ParameterError,
    RunbookError,
    UnsafeState,
    WaitTimedOut,
    WrongCluster,
)

__all__ = [
    "CheckFailed",
    "ClusterRequestError",
    "ConfirmationRequired",
    "ParameterError",
    "RunbookError",
    "UnsafeState",
    "WaitTimedOut",
    "WrongCluster",
]
