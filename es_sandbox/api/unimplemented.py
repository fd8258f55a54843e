"""Real Elasticsearch endpoints the practice clusters do not emulate, answered with
`es_sandbox_not_implemented_exception` (501) instead of "no handler found", so that a runbook never
mistakes a gap of the practice cluster for Elasticsearch's answer.

This module registers last. Every path starts with a literal segment of Elasticsearch's own
(`_snapshot`, `_cat/...`) or pairs an `{index}` with one (`{index}/_explain/{id}`), so it never
shadows a route another module adds: an identical route registered earlier wins the tie.
Security endpoints are listed only where the security APIs exist (see security_api).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import errors
from ..rest import RestRequest

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..version import Version

G, P, U, D, H = "GET", "POST", "PUT", "DELETE", "HEAD"

# (methods, path, what the error names)
ENDPOINTS: list[tuple[tuple[str, ...], str, str]] = [
    *[((G,), path, "_snapshot") for path in ("/_snapshot", "/_snapshot/_status", "/_snapshot/{repository}/_status",
                                             "/_snapshot/{repository}/{snapshot}/_status")],
    ((G, U, P, D), "/_snapshot/{repository}", "_snapshot"),
    ((G, U, P, D), "/_snapshot/{repository}/{snapshot}", "_snapshot"),
    *[((P,), f"/_snapshot/{{repository}}{suffix}", "_snapshot") for suffix in (
        "/_verify", "/_cleanup", "/_analyze", "/{snapshot}/_restore", "/{snapshot}/_clone/{target_snapshot}")],
    ((P,), "/_snapshot/{repository}/{snapshot}/_mount", "_searchable_snapshots"),
    ((G,), "/_ilm/policy", "_ilm"), ((G, U, D), "/_ilm/policy/{policy}", "_ilm"), ((G,), "/_ilm/status", "_ilm"),
    ((P,), "/_ilm/start", "_ilm"), ((P,), "/_ilm/stop", "_ilm"), ((P,), "/_ilm/move/{index}", "_ilm"),
    ((P,), "/_ilm/migrate_to_data_tiers", "_ilm"),
    ((G,), "/{index}/_ilm/explain", "_ilm"), ((P,), "/{index}/_ilm/retry", "_ilm"), ((P,), "/{index}/_ilm/remove", "_ilm"),
    ((G,), "/_slm/policy", "_slm"), ((G, U, D), "/_slm/policy/{policy_id}", "_slm"), ((G,), "/_slm/status", "_slm"),
    ((G,), "/_slm/stats", "_slm"), ((P,), "/_slm/start", "_slm"), ((P,), "/_slm/stop", "_slm"),
    ((P, U), "/_slm/policy/{policy_id}/_execute", "_slm"), ((P,), "/_slm/_execute_retention", "_slm"),
    ((G,), "/_ingest/pipeline", "_ingest/pipeline"), ((G, U, D), "/_ingest/pipeline/{id}", "_ingest/pipeline"),
    ((G, P), "/_ingest/pipeline/_simulate", "_ingest/pipeline"),
    ((G, P), "/_ingest/pipeline/{id}/_simulate", "_ingest/pipeline"), ((G,), "/_ingest/processor/grok", "_ingest"),
    ((G,), "/_transform", "_transform"), ((G, U, D), "/_transform/{transform_id}", "_transform"),
    ((G, P), "/_transform/_preview", "_transform"),
    *[((P,), f"/_transform/{{transform_id}}/{verb}", "_transform") for verb in ("_start", "_stop", "_update", "_reset",
                                                                              "_schedule_now")],
    ((G,), "/_transform/{transform_id}/_stats", "_transform"), ((G, P), "/_transform/{transform_id}/_preview", "_transform"),
    ((G,), "/_ml/info", "_ml"), ((G,), "/_ml/anomaly_detectors", "_ml"),
    ((G, U, D), "/_ml/anomaly_detectors/{job_id}", "_ml"), ((G,), "/_ml/datafeeds", "_ml"),
    ((G, U, D), "/_ml/datafeeds/{datafeed_id}", "_ml"), ((G,), "/_ml/trained_models", "_ml"),
    ((G, U, D), "/_ml/trained_models/{model_id}", "_ml"), ((G,), "/_ml/data_frame/analytics", "_ml"),
    ((G, U, D), "/_ml/data_frame/analytics/{id}", "_ml"), ((P,), "/_ml/set_upgrade_mode", "_ml"),
    ((G, P), "/_sql", "_sql"), ((G, P), "/_sql/translate", "_sql"), ((P,), "/_sql/close", "_sql"),
    ((G, D), "/_sql/async/{id}", "_sql"), ((G,), "/_sql/async/status/{id}", "_sql"),
    ((G, P), "/{index}/_eql/search", "_eql"), ((G, D), "/_eql/search/{id}", "_eql"),
    ((G,), "/_eql/search/status/{id}", "_eql"), ((P,), "/_query", "_query (ES|QL)"),
    ((G, P), "/_msearch", "_msearch"), ((G, P), "/{index}/_msearch", "_msearch"),
    ((G, P), "/_msearch/template", "_msearch/template"), ((G, P), "/{index}/_msearch/template", "_msearch/template"),
    ((G, P), "/_search/template", "_search/template"), ((G, P), "/{index}/_search/template", "_search/template"),
    ((G, P), "/_render/template", "_render/template"),
    ((G, P), "/{index}/_termvectors", "_termvectors"), ((G, P), "/{index}/_termvectors/{id}", "_termvectors"),
    ((G, P), "/_mtermvectors", "_mtermvectors"), ((G, P), "/{index}/_mtermvectors", "_mtermvectors"),
    ((G, P), "/{index}/_explain/{id}", "_explain"),
    ((G,), "/_rollup/job/{id}", "_rollup"), ((U, D), "/_rollup/job/{id}", "_rollup"),
    ((G,), "/_rollup/data/{id}", "_rollup"), ((G, P), "/{index}/_rollup_search", "_rollup"),
    ((G, U, P, D), "/_watcher/watch/{id}", "_watcher"), ((P,), "/_watcher/_start", "_watcher"),
    ((P,), "/_watcher/_stop", "_watcher"), ((G,), "/_watcher/stats", "_watcher"),
    ((G,), "/_data_stream", "_data_stream"), ((G, U, D), "/_data_stream/{name}", "_data_stream"),
    ((G,), "/_data_stream/_stats", "_data_stream"), ((G,), "/_data_stream/{name}/_stats", "_data_stream"),
    ((G,), "/_index_template", "_index_template"), ((G, H, U, P, D), "/_index_template/{name}", "_index_template"),
    ((P,), "/_index_template/_simulate", "_index_template"), ((P,), "/_index_template/_simulate/{name}", "_index_template"),
    ((P,), "/_index_template/_simulate_index/{name}", "_index_template"),
    ((G,), "/_component_template", "_component_template"),
    ((G, H, U, P, D), "/_component_template/{name}", "_component_template"),
    ((G,), "/_template", "_template"), ((G, H, U, P, D), "/_template/{name}", "_template"),
    ((G, P), "/_field_caps", "_field_caps"), ((G, P), "/{index}/_field_caps", "_field_caps"),
    ((G, P), "/_validate/query", "_validate/query"), ((G, P), "/{index}/_validate/query", "_validate/query"),
    ((G, P), "/_analyze", "_analyze"), ((G, P), "/{index}/_analyze", "_analyze"),
    ((U, P), "/{index}/_shrink/{target}", "_shrink"), ((U, P), "/{index}/_split/{target}", "_split"),
    ((P,), "/{alias}/_rollover", "_rollover"), ((P,), "/{alias}/_rollover/{new_index}", "_rollover"),
    ((G,), "/_searchable_snapshots/stats", "_searchable_snapshots"),
    ((G,), "/{index}/_searchable_snapshots/stats", "_searchable_snapshots"),
    ((G,), "/_searchable_snapshots/cache/stats", "_searchable_snapshots"),
    ((P,), "/_searchable_snapshots/cache/clear", "_searchable_snapshots"),
    ((G,), "/_enrich/policy", "_enrich"), ((G, U, D), "/_enrich/policy/{name}", "_enrich"),
    ((P, U), "/_enrich/policy/{name}/_execute", "_enrich"), ((G,), "/_enrich/_stats", "_enrich"),
    ((G,), "/{index}/_fleet/global_checkpoints", "_fleet"), ((G, P), "/_fleet/_fleet_msearch", "_fleet"),
    ((G,), "/_autoscaling/capacity", "_autoscaling"), ((G, U, D), "/_autoscaling/policy/{name}", "_autoscaling"),
    ((G,), "/_features", "_features"), ((P,), "/_features/_reset", "_features"),
    ((G,), "/_migration/deprecations", "_migration"), ((G,), "/{index}/_migration/deprecations", "_migration"),
    ((G, P), "/_migration/system_features", "_migration"),
    ((G,), "/_health_report", "_health_report"), ((G,), "/_health_report/{feature}", "_health_report"),
    ((G, P), "/_cluster/allocation/explain", "_cluster/allocation/explain"), ((P,), "/_cluster/reroute", "_cluster/reroute"),
    ((G,), "/_cluster/pending_tasks", "_cluster/pending_tasks"), ((G,), "/_cluster/stats", "_cluster/stats"),
    ((G,), "/_cluster/stats/nodes/{node_id}", "_cluster/stats"),
    ((G,), "/_nodes/hot_threads", "_nodes/hot_threads"), ((G,), "/_nodes/{node_id}/hot_threads", "_nodes/hot_threads"),
    ((G,), "/_nodes/usage", "_nodes/usage"), ((P,), "/_nodes/reload_secure_settings", "_nodes/reload_secure_settings"),
    ((G,), "/_script_context", "_script_context"), ((G, U, P, D), "/_scripts/{id}", "_scripts"),
    ((G,), "/_resolve/index/{name}", "_resolve/index"),
    ((G, P), "/{index}/_disk_usage", "_disk_usage"), ((P,), "/{index}/_unfreeze", "_unfreeze"),
    ((G,), "/{index}/_segments", "_segments"), ((G,), "/_segments", "_segments"),
    ((G,), "/{index}/_shard_stores", "_shard_stores"), ((P,), "/_dangling/{index_uuid}", "_dangling"),
    ((G,), "/_dangling", "_dangling"),
    *[((G,), f"/_cat/{name}", f"_cat/{name}") for name in (
        "allocation", "thread_pool", "segments", "templates", "plugins", "fielddata", "pending_tasks", "repositories",
        "snapshots", "tasks", "master", "nodeattrs", "component_templates", "transforms", "ml/anomaly_detectors",
        "ml/datafeeds", "ml/trained_models", "ml/data_frame/analytics")],
    *[((G,), f"/_cat/{name}/{{target}}", f"_cat/{name}") for name in (
        "allocation", "thread_pool", "segments", "templates", "fielddata", "snapshots", "component_templates",
        "transforms", "ml/anomaly_detectors", "ml/datafeeds", "ml/trained_models", "ml/data_frame/analytics")],
]

SECURITY_ENDPOINTS: list[tuple[tuple[str, ...], str, str]] = [
    ((G,), "/_security/service", "_security/service"), ((G,), "/_security/service/{namespace}", "_security/service"),
    ((G,), "/_security/service/{namespace}/{service}", "_security/service"),
    ((G,), "/_security/service/{namespace}/{service}/credential", "_security/service"),
    ((P, U, D), "/_security/service/{namespace}/{service}/credential/token/{name}", "_security/service"),
    ((G,), "/_security/role_mapping", "_security/role_mapping"),
    ((G, U, P, D), "/_security/role_mapping/{name}", "_security/role_mapping"),
    ((G,), "/_security/privilege", "_security/privilege"), ((G,), "/_security/privilege/_builtin", "_security/privilege"),
    ((G, U, P, D), "/_security/privilege/{application}", "_security/privilege"),
    ((G,), "/_security/user/_privileges", "_security/user/_privileges"),
    ((P, D), "/_security/oauth2/token", "_security/oauth2/token"), ((P,), "/_security/api_key/grant", "_security/api_key/grant"),
    ((P,), "/_security/cross_cluster/api_key", "_security/cross_cluster/api_key"),
    ((G, P), "/_security/_query/api_key", "_security/_query/api_key"), ((G, P), "/_security/_query/role", "_security/_query/role"),
    ((G, P), "/_security/_query/user", "_security/_query/user"),
    ((U, P), "/_security/user/{username}/_enable", "_security/user/_enable"),
    ((U, P), "/_security/user/{username}/_disable", "_security/user/_disable"),
    ((P,), "/_security/saml/prepare", "_security/saml"), ((G,), "/_security/profile/{uid}", "_security/profile"),
    ((G,), "/_ssl/certificates", "_ssl/certificates"),
]


# The release that added an endpoint, where it is newer than 6.7 (the oldest version presented): an older
# cluster routes the path as it routes any unknown one ("no handler found", or whatever `{index}` route it
# falls into), as that release did. Matched against the path; the first hit wins. Sources: each API's
# reference page ("Added in X"), the 7.13 service accounts docs, the 7.9 data stream / 7.8 composable
# template release notes.
_SINCE: tuple[tuple[str, str], ...] = (
    ("/_index_template", "7.8.0"), ("/_component_template", "7.8.0"), ("/_data_stream", "7.9.0"),
    ("/_resolve/index", "7.9.0"), ("/_dangling", "7.9.0"), ("/_searchable_snapshots", "7.10.0"), ("/_mount", "7.10.0"),
    ("/_autoscaling", "7.11.0"), ("/_features", "7.12.0"), ("/_fleet", "7.13.0"), ("/_security/service", "7.13.0"),
    ("/_disk_usage", "7.15.0"), ("/_migration/system_features", "7.16.0"), ("/_health_report", "8.7.0"),
)


def _exists_on(version: "Version", path: str) -> bool:
    since = next((release for fragment, release in _SINCE if fragment in path), None)
    return since is None or version.at_least(since)


def register(cluster: "Cluster") -> None:
    endpoints = list(ENDPOINTS)
    if cluster.config.security or cluster.version.major < 8:
        endpoints += SECURITY_ENDPOINTS
    for methods, path, what in endpoints:
        if not _exists_on(cluster.version, path):
            continue
        def answer(request: RestRequest, what: str = what):
            raise errors.not_implemented(what)

        cluster.router.add(methods, path, answer)
