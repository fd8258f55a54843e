"""Recognising and hiding secrets before anything is shown, displayed or saved.

Executed notebooks are kept as audit evidence, so whatever a cell prints lives on in a file. Every
request body, response and observed value passes through `redact` first. What an analyst types in
JupyterLab is journaled too (journal.py), and may hold a secret's value where no key says so, so that
also passes through `hide_values` with the values the parameter set's variables hold (`env_secrets`).
"""

from __future__ import annotations

import base64
import os
import re
from typing import Any, Mapping

# Compared with the *last* segment of a key, so that `password` and `access_token` are caught while
# analysis settings such as `tokenizer` or `max_token_length`, and our own `password_env` (the name
# of a variable, not its value), are left alone.
_SECRET_WORDS = ("password", "passwd", "secret", "apikey", "token", "authorization", "credentials")
_SECRET_PAIRS = ("api_key", "secret_key", "access_key", "private_key")
_SEGMENTS = re.compile(r"[._\-\s]+")

# The whole value must be `<scheme> <one token>`, so prose such as "Basic setup finished" is kept.
_SCHEMES = re.compile(r"\s*(Basic|ApiKey|Bearer)\s+[A-Za-z0-9+/=._~-]+\s*", re.IGNORECASE)
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@", re.IGNORECASE)


def looks_like_secret_key(key: str) -> bool:
    """True for a mapping key whose value is probably a secret (`password`, `api_key`, `token`...)."""
    segments = [s for s in _SEGMENTS.split(key.lower()) if s]
    if not segments:
        return False
    if "_".join(segments[-2:]) in _SECRET_PAIRS:
        return True
    return segments[-1].endswith(_SECRET_WORDS)


def secret_value_reason(value: str) -> str | None:
    """Why a string value is a secret on its own, whatever its key: an HTTP credential."""
    match = _SCHEMES.fullmatch(value)
    if match:
        return f"{match.group(1).capitalize()} credentials"
    return None


def redacted(reason: str) -> str:
    return f"<redacted: {reason}>"


def redact(value: Any) -> tuple[Any, list[str]]:
    """A copy of `value` with secrets replaced by `"<redacted: reason>"`, and the list of reasons.

    The original is never modified. Keys are kept (knowing *that* a password was sent is evidence);
    only values are replaced. Credentials inside URLs (`https://user:pw@host`) are cut out too.
    """
    reasons: list[str] = []
    return _redact(value, reasons), reasons


def _redact(value: Any, reasons: list[str]) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, str) and looks_like_secret_key(key) and not _is_empty(item):
                reason = f"key {key!r} holds a secret"
                reasons.append(reason)
                out[key] = redacted(reason)
            else:
                out[key] = _redact(item, reasons)
        return out
    if isinstance(value, (list, tuple)):
        return [_redact(item, reasons) for item in value]
    if isinstance(value, str):
        return _redact_text(value, reasons)
    return value


def _is_empty(value: Any) -> bool:
    # An empty password is not a secret, and showing that it was empty is useful evidence.
    return value is None or (isinstance(value, (str, dict, list, tuple)) and len(value) == 0)


def _redact_text(text: str, reasons: list[str]) -> str:
    reason = secret_value_reason(text)
    if reason:
        reasons.append(reason)
        return redacted(reason)

    def cut_userinfo(match: re.Match[str]) -> str:
        reasons.append("credentials in a URL")
        return f"{match.group('scheme')}{redacted('credentials in a URL')}@"

    return _URL_USERINFO.sub(cut_userinfo, text)


def env_secrets(parameters: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """secret value -> why it is hidden, for the values the variables a public parameter set names hold
    now (`password_env`, `api_key_env`), and the Basic credentials made with the password."""
    environ = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for role in ("remote", "local"):
        side = parameters.get(role) or {}
        for key in ("password_env", "api_key_env"):
            name = side.get(key)
            value = environ.get(name) if name else None
            if not value:
                continue
            found[value] = f"the value of {name}"
            user = environ.get(side.get("username_env") or "")
            if key == "password_env" and user:
                token = base64.b64encode(f"{user}:{value}".encode()).decode()
                found[token] = f"Basic credentials from {side['username_env']} and {name}"
    return found


def hide_values(value: Any, secrets: Mapping[str, str]) -> Any:
    """A copy of `value` whose strings (keys too) hold none of `secrets`: each is replaced by its marker."""
    if not secrets:
        return value
    if isinstance(value, dict):
        return {hide_values(k, secrets): hide_values(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [hide_values(item, secrets) for item in value]
    if isinstance(value, str):
        for secret in sorted(secrets, key=len, reverse=True):  # a longer one may contain a shorter one
            value = value.replace(secret, redacted(secrets[secret]))
    return value
