"""Index aliases as Elasticsearch 8 changes and shows them.

`POST _aliases` is parsed like IndicesAliasesRequest (unknown fields and missing targets refused with
the parser's locations), resolved per action like TransportIndicesAliasesAction (a `remove` that
removes nothing is an error result; when no action does anything the whole request is "aliases
[...] missing"), and applied like MetadataIndexAliasesService: every `remove_index` first, then the
other actions in order, then the metadata checks (one write index per alias, one is_hidden value).
The answer is `{"acknowledged": true, "errors": false}` or, with failed actions, `action_results`.
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any, Callable

from . import errors, json_body
from .suggest import _similarity

if TYPE_CHECKING:
    from .cluster import Cluster
    from .index import Index

_COMMON_FIELDS = ("index", "indices", "alias", "aliases")
_FIELDS = {
    "add": (*_COMMON_FIELDS, "filter", "routing", "index_routing", "search_routing", "is_write_index", "is_hidden"),
    "remove": (*_COMMON_FIELDS, "must_exist"),
    "remove_index": (*_COMMON_FIELDS, "must_exist"),
}
_SPEC_KEYS = ("filter", "index_routing", "search_routing", "is_write_index", "is_hidden")
_INVALID_CHARS = ["\\", "/", "*", "?", '"', "<", ">", "|", " ", ",", "#"]


def validate_name(alias: str) -> None:
    """MetadataCreateIndexService.validateIndexOrAliasName for an alias."""
    def invalid(reason: str) -> errors.EsError:
        return errors.EsError(400, "invalid_alias_name_exception", f"Invalid alias name [{alias}]: {reason}")

    if any(c in alias for c in _INVALID_CHARS):
        raise invalid('must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]')
    if ":" in alias:
        raise invalid("must not contain ':'")
    if alias[0] in "_-+":
        raise invalid("must not start with '_', '-', or '+'")
    if alias in (".", ".."):
        raise invalid("must not be '.' or '..'")
    if len(alias.encode()) > 255:
        raise invalid(f"alias name is too long, ({len(alias.encode())} > 255)")


def spec_of(raw: dict[str, Any]) -> dict[str, Any]:
    """The stored alias metadata; `routing` sets both routings, as AliasActions.routing does."""
    spec = {k: raw[k] for k in _SPEC_KEYS if raw.get(k) is not None}
    routing = raw.get("routing")
    if routing is not None:
        spec.setdefault("index_routing", str(routing))
        spec.setdefault("search_routing", str(routing))
    if "index_routing" in spec and "," in str(spec["index_routing"]):
        raise errors.illegal_argument(f"alias [{raw.get('alias')}] has several index routing values associated with it")
    ordered = {k: spec[k] for k in ("filter", "index_routing", "search_routing", "is_write_index", "is_hidden") if k in spec}
    return ordered


# --- parsing ---------------------------------------------------------------------------------


def parse_actions(raw: bytes, body: Any) -> list[tuple[str, dict[str, Any]]]:
    """IndicesAliasesRequest.PARSER: [(kind, fields)], or its XContentParseException."""
    where = json_body.token_locations(raw)

    def at(*path: Any) -> str:
        line, col = where.get(path, (1, 1))
        return f"[{line}:{col}]"

    if not isinstance(body, dict):
        raise errors.EsError(400, "x_content_parse_exception", f"{at('value')} [aliases] Expected START_OBJECT but was: {json_body.token_name(body)}")
    for key in body:
        if key != "actions":
            raise errors.EsError(400, "x_content_parse_exception", f"{at(key, 'name')} [aliases] unknown field [{key}]")
    actions = body.get("actions")
    if isinstance(actions, dict):
        actions = [actions]
    parsed: list[tuple[str, dict[str, Any]]] = []

    def failed(cause: errors.EsError, *path: Any) -> errors.EsError:
        return errors.EsError(400, "x_content_parse_exception", f"{at(*path)} [aliases] failed to parse field [actions]", caused_by=cause)

    if actions is not None and not isinstance(actions, list):
        raise failed(errors.java_exception("illegal_argument_exception", f"[actions] Expected START_ARRAY but was: {json_body.token_name(actions)}"), "actions", "value")
    for n, action in enumerate(actions or []):
        if not isinstance(action, dict) or any(not isinstance(f, dict) for f in action.values()):
            cause = errors.EsError(400, "x_content_parse_exception", f"{at('actions', n, 'value')} [alias_action] Expected START_OBJECT")
            raise failed(cause, "actions", n, "value")
        if len(action) > 1:
            cause = errors.EsError(400, "x_content_parse_exception",
                                   f"{at('actions', n, 'end')} Failed to build [alias_action] after last required field arrived",
                                   caused_by=errors.java_exception("illegal_argument_exception", "Too many operations declared on operation entry"))
            raise failed(cause, "actions", n, "end")
        for kind, fields in action.items():
            if kind not in _FIELDS:
                cause = errors.EsError(400, "x_content_parse_exception", f"{at('actions', n, kind, 'name')} [alias_action] unknown field [{kind}]")
                raise failed(cause, "actions", n, kind, "value")
            for field in fields:
                if field not in _FIELDS[kind]:
                    near = sorted((c for c in _FIELDS[kind] if _similarity(field, c) > 0.7), key=lambda c: -_similarity(field, c))
                    hint = "" if not near else f" did you mean [{near[0]}]?" if len(near) == 1 else f" did you mean any of {near}?"
                    cause = errors.EsError(400, "x_content_parse_exception",
                                           f"{at('actions', n, kind, field, 'name')} [{kind}] unknown field [{field}]{hint}")
                    raise failed(cause, "actions", n, kind, field, "value")
            parsed.append((kind, fields))
    for kind, fields in parsed:
        if not (fields.get("index") or fields.get("indices")):
            raise failed(errors.java_exception("illegal_argument_exception", "One of [index] or [indices] is required"), "actions", "end")
        if kind != "remove_index" and not (fields.get("alias") or fields.get("aliases")):
            raise failed(errors.java_exception("illegal_argument_exception", "One of [alias] or [aliases] is required"), "actions", "end")
    if not parsed:
        raise errors.illegal_argument("No action specified")
    return parsed


def _names(fields: dict[str, Any], one: str, many: str) -> list[str]:
    value = fields.get(one) if fields.get(one) is not None else fields.get(many)
    values = value if isinstance(value, list) else [value] if value is not None else []
    return [str(v) for part in values for v in str(part).split(",") if v] if one == "index" else [str(v) for v in values]


# --- applying --------------------------------------------------------------------------------


def apply(cluster: "Cluster", actions: list[tuple[str, dict[str, Any]]],
          authorize: Callable[[list["Index"]], None]) -> dict[str, Any]:
    """Resolves, authorizes (`authorize` raises to refuse), validates and applies alias actions;
    returns the response body."""
    steps: list[tuple[str, "Index", str, dict[str, Any]]] = []
    results: list[dict[str, Any]] = []
    requested: list[str] = []
    with cluster.lock:
        for kind, fields in actions:
            expressions = _names(fields, "index", "indices")
            if kind == "remove_index":
                for expression in expressions:
                    if expression not in cluster.indices and expression in cluster.alias_names():
                        raise errors.illegal_argument(f"The provided expression [{expression}] matches an alias, "
                                                      "specify the corresponding concrete indices instead.")
            targets = cluster.resolve(",".join(expressions), expand_wildcards="open,closed", allow_no_indices=False)
            authorize(targets)
            aliases = _names(fields, "alias", "aliases")
            requested.extend(aliases)
            removed = 0
            for index in targets:
                if kind == "add":
                    steps.extend(("add", index, alias, spec_of({**fields, "alias": alias})) for alias in aliases)
                elif kind == "remove_index":
                    steps.append(("remove_index", index, "", {}))
                else:
                    matched = [a for a in index.aliases if any(p == "_all" or fnmatch.fnmatchcase(a, p) for p in aliases)]
                    if not matched and fields.get("must_exist") is True:
                        matched = aliases
                    steps.extend(("remove", index, alias, {"must_exist": fields.get("must_exist")}) for alias in matched)
                    removed += len(matched)
            result = {"action": {"type": kind, "indices": sorted(i.name for i in targets), "aliases": aliases}, "status": 200}
            if kind == "remove" and removed == 0:
                missing = _missing(aliases)
                result.update(status=404, error=missing.fragment())
            results.append(result)
        if not steps:
            raise _missing(list(dict.fromkeys(requested)))
        _apply_steps(cluster, steps)
    if any(r["status"] != 200 for r in results):
        return {"acknowledged": True, "errors": True, "action_results": results}
    return {"acknowledged": True, "errors": False}


def _missing(aliases: list[str]) -> errors.EsError:
    return errors.EsError(404, "aliases_not_found_exception", f"aliases [{', '.join(aliases)}] missing",
                          resource__type="aliases", resource__id=aliases[0] if len(aliases) == 1 else aliases)


def _apply_steps(cluster: "Cluster", steps: list[tuple[str, "Index", str, dict[str, Any]]]) -> None:
    doomed = {index.name for kind, index, _, _ in steps if kind == "remove_index"}
    remaining = {name: dict(index.aliases) for name, index in cluster.indices.items() if name not in doomed}
    for kind, index, alias, spec in steps:
        if kind == "remove_index":
            continue
        if index.name not in remaining:
            raise errors.index_not_found(index.name)
        if kind == "add":
            validate_name(alias)
            if alias in remaining:
                raise errors.EsError(400, "invalid_alias_name_exception",
                                     f"Invalid alias name [{alias}]: an index or data stream exists with the same name as the alias")
            remaining[index.name][alias] = spec
        elif alias in remaining[index.name]:
            del remaining[index.name][alias]
        elif spec.get("must_exist") is True:
            raise errors.EsError(404, "resource_not_found_exception", f"required alias [{alias}] does not exist")
    _check_metadata(remaining)
    for name in doomed:
        cluster.delete_index(cluster.indices[name])
    for name, aliases in remaining.items():
        index = cluster.indices[name]
        if aliases != index.aliases:
            index.aliases = aliases
            index.aliases_version += 1
            index.persist()


def _check_metadata(by_index: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Metadata.Builder's alias checks, which fail as IllegalStateException (HTTP 500)."""
    holders: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for index, aliases in sorted(by_index.items()):
        for alias, spec in aliases.items():
            holders.setdefault(alias, []).append((index, spec))
    for alias, entries in holders.items():
        writers = [index for index, spec in entries if spec.get("is_write_index") is True]
        if len(writers) > 1:
            raise errors.EsError(500, "illegal_state_exception", f"alias [{alias}] has more than one write index [{','.join(writers)}]")
        hidden = [index for index, spec in entries if spec.get("is_hidden") is True]
        if hidden and len(hidden) != len(entries):
            shown = [index for index, spec in entries if spec.get("is_hidden") is not True]
            raise errors.EsError(500, "illegal_state_exception",
                                 f"alias [{alias}] has is_hidden set to true on indices [{','.join(hidden)}] but does not have "
                                 f"is_hidden set to true on indices [{','.join(shown)}]; alias must have the same is_hidden "
                                 "setting on all indices")


# --- reading ---------------------------------------------------------------------------------


def get(indices: list["Index"], names: str | None) -> tuple[int, dict[str, Any]]:
    """RestGetAliasesAction.buildRestResponse: (status, body); missing explicit names answer 404."""
    requested = names.split(",") if names else []
    patterns = [] if requested in ([], ["_all"]) else requested
    body: dict[str, Any] = {}
    returned: set[str] = set()
    for index in indices:
        chosen = {a: s for a, s in sorted(index.aliases.items()) if _selected(a, patterns)}
        returned.update(chosen)
        if chosen or names is None:
            body[index.name] = {"aliases": chosen}
    first_wildcard = next((i for i, p in enumerate(requested) if "*" in p), len(requested))
    missing = sorted({
        p for i, p in enumerate(requested)
        if p != "_all" and "*" not in p and not (i > first_wildcard and p.startswith("-"))
        and not any(q.startswith("-") and fnmatch.fnmatchcase(p, q[1:]) for q in requested[max(i + 1, first_wildcard):])
        and p not in returned
    })
    if not missing:
        return 200, body
    word = "alias" if len(missing) == 1 else "aliases"
    return 404, {"error": f"{word} [{','.join(missing)}] missing", "status": 404, **body}


def _selected(alias: str, patterns: list[str]) -> bool:
    if not patterns:
        return True
    chosen = False
    for pattern in patterns:
        if pattern.startswith("-") and chosen:
            if fnmatch.fnmatchcase(alias, pattern[1:]):
                chosen = False
        elif fnmatch.fnmatchcase(alias, pattern):
            chosen = True
    return chosen
