"""Column declarations of the _cat tables, with Elasticsearch 8's names, aliases and descriptions
(RestNodesAction, RestIndicesAction, RestShardsAction, RestHealthAction, RestCountAction,
RestCatRecoveryAction, RestAliasAction)."""

from __future__ import annotations

from typing import Any

from .cat_table import ByteSize, Duration
from .shard_stats import ShardNumbers

# Index-level statistics columns: (name, aliases, description, kind) - kind n=number, b=bytes, t=time.
STATS = [
    ("completion.size", "cs,completionSize", "size of completion", "b"),
    ("fielddata.memory_size", "fm,fielddataMemory", "used fielddata cache", "b"),
    ("fielddata.evictions", "fe,fielddataEvictions", "fielddata evictions", "n"),
    ("query_cache.memory_size", "qcm,queryCacheMemory", "used query cache", "b"),
    ("query_cache.evictions", "qce,queryCacheEvictions", "query cache evictions", "n"),
    ("query_cache.hit_count", "qchc,queryCacheHitCount", "query cache hit counts", "n"),
    ("query_cache.miss_count", "qcmc,queryCacheMissCount", "query cache miss counts", "n"),
    ("request_cache.memory_size", "rcm,requestCacheMemory", "used request cache", "b"),
    ("request_cache.evictions", "rce,requestCacheEvictions", "request cache evictions", "n"),
    ("request_cache.hit_count", "rchc,requestCacheHitCount", "request cache hit counts", "n"),
    ("request_cache.miss_count", "rcmc,requestCacheMissCount", "request cache miss counts", "n"),
    ("flush.total", "ft,flushTotal", "number of flushes", "n"),
    ("flush.total_time", "ftt,flushTotalTime", "time spent in flush", "t"),
    ("get.current", "gc,getCurrent", "number of current get ops", "n"),
    ("get.time", "gti,getTime", "time spent in get", "t"),
    ("get.total", "gto,getTotal", "number of get ops", "n"),
    ("get.exists_time", "geti,getExistsTime", "time spent in successful gets", "t"),
    ("get.exists_total", "geto,getExistsTotal", "number of successful gets", "n"),
    ("get.missing_time", "gmti,getMissingTime", "time spent in failed gets", "t"),
    ("get.missing_total", "gmto,getMissingTotal", "number of failed gets", "n"),
    ("indexing.delete_current", "idc,indexingDeleteCurrent", "number of current deletions", "n"),
    ("indexing.delete_time", "idti,indexingDeleteTime", "time spent in deletions", "t"),
    ("indexing.delete_total", "idto,indexingDeleteTotal", "number of delete ops", "n"),
    ("indexing.index_current", "iic,indexingIndexCurrent", "number of current indexing ops", "n"),
    ("indexing.index_time", "iiti,indexingIndexTime", "time spent in indexing", "t"),
    ("indexing.index_total", "iito,indexingIndexTotal", "number of indexing ops", "n"),
    ("indexing.index_failed", "iif,indexingIndexFailed", "number of failed indexing ops", "n"),
    ("merges.current", "mc,mergesCurrent", "number of current merges", "n"),
    ("merges.current_docs", "mcd,mergesCurrentDocs", "number of current merging docs", "n"),
    ("merges.current_size", "mcs,mergesCurrentSize", "size of current merges", "b"),
    ("merges.total", "mt,mergesTotal", "number of completed merge ops", "n"),
    ("merges.total_docs", "mtd,mergesTotalDocs", "docs merged", "n"),
    ("merges.total_size", "mts,mergesTotalSize", "size merged", "b"),
    ("merges.total_time", "mtt,mergesTotalTime", "time spent in merges", "t"),
    ("refresh.total", "rto,refreshTotal", "total refreshes", "n"),
    ("refresh.time", "rti,refreshTime", "time spent in refreshes", "t"),
    ("refresh.external_total", "rto,refreshTotal", "total external refreshes", "n"),
    ("refresh.external_time", "rti,refreshTime", "time spent in external refreshes", "t"),
    ("refresh.listeners", "rli,refreshListeners", "number of pending refresh listeners", "n"),
    ("search.fetch_current", "sfc,searchFetchCurrent", "current fetch phase ops", "n"),
    ("search.fetch_time", "sfti,searchFetchTime", "time spent in fetch phase", "t"),
    ("search.fetch_total", "sfto,searchFetchTotal", "total fetch ops", "n"),
    ("search.open_contexts", "so,searchOpenContexts", "open search contexts", "n"),
    ("search.query_current", "sqc,searchQueryCurrent", "current query phase ops", "n"),
    ("search.query_time", "sqti,searchQueryTime", "time spent in query phase", "t"),
    ("search.query_total", "sqto,searchQueryTotal", "total query phase ops", "n"),
    ("search.scroll_current", "scc,searchScrollCurrent", "open scroll contexts", "n"),
    ("search.scroll_time", "scti,searchScrollTime", "time scroll contexts held open", "t"),
    ("search.scroll_total", "scto,searchScrollTotal", "completed scroll contexts", "n"),
    ("segments.count", "sc,segmentsCount", "number of segments", "n"),
    ("segments.memory", "sm,segmentsMemory", "memory used by segments", "b"),
    ("segments.index_writer_memory", "siwm,segmentsIndexWriterMemory", "memory used by index writer", "b"),
    ("segments.version_map_memory", "svmm,segmentsVersionMapMemory", "memory used by version map", "b"),
    ("segments.fixed_bitset_memory", "sfbm,fixedBitsetMemory",
     "memory used by fixed bit sets for nested object field types and type filters for types referred in _parent fields", "b"),
    ("suggest.current", "suc,suggestCurrent", "number of current suggest ops", "n"),
    ("suggest.time", "suti,suggestTime", "time spend in suggest", "t"),
    ("suggest.total", "suto,suggestTotal", "number of suggest ops", "n"),
    ("bulk.total_operations", "bto,bulkTotalOperations", "number of bulk shard ops", "n"),
    ("bulk.total_time", "btti,bulkTotalTime", "time spend in shard bulk", "t"),
    ("bulk.total_size_in_bytes", "btsi,bulkTotalSizeInBytes", "total size in bytes of shard bulk", "n"),
    ("bulk.avg_time", "bati,bulkAvgTime", "average time spend in shard bulk", "t"),
    ("bulk.avg_size_in_bytes", "basi,bulkAvgSizeInBytes", "average size in bytes of shard bulk", "n"),
]

NODE_INFO = [
    ("id", "default:false;alias:id,nodeId;desc:unique node id"),
    ("pid", "default:false;alias:p;desc:process id"),
    ("ip", "alias:i;desc:ip address"),
    ("port", "default:false;alias:po;desc:bound transport port"),
    ("http_address", "default:false;alias:http;desc:bound http address"),
    ("version", "default:false;alias:v;desc:es version"),
    ("flavor", "default:false;alias:f;desc:es distribution flavor"),
    ("type", "default:false;alias:t;desc:es distribution type"),
    ("build", "default:false;alias:b;desc:es build hash"),
    ("jdk", "default:false;alias:j;desc:jdk version"),
    ("disk.total", "default:false;alias:dt,diskTotal;text-align:right;desc:total disk space"),
    ("disk.used", "default:false;alias:du,diskUsed;text-align:right;desc:used disk space"),
    ("disk.avail", "default:false;alias:d,da,disk,diskAvail;text-align:right;desc:available disk space"),
    ("disk.used_percent", "default:false;alias:dup,diskUsedPercent;text-align:right;desc:used disk space percentage"),
    ("heap.current", "default:false;alias:hc,heapCurrent;text-align:right;desc:used heap"),
    ("heap.percent", "alias:hp,heapPercent;text-align:right;desc:used heap ratio"),
    ("heap.max", "default:false;alias:hm,heapMax;text-align:right;desc:max configured heap"),
    ("ram.current", "default:false;alias:rc,ramCurrent;text-align:right;desc:used machine memory"),
    ("ram.percent", "alias:rp,ramPercent;text-align:right;desc:used machine memory ratio"),
    ("ram.max", "default:false;alias:rm,ramMax;text-align:right;desc:total machine memory"),
    ("file_desc.current", "default:false;alias:fdc,fileDescriptorCurrent;text-align:right;desc:used file descriptors"),
    ("file_desc.percent", "default:false;alias:fdp,fileDescriptorPercent;text-align:right;desc:used file descriptor ratio"),
    ("file_desc.max", "default:false;alias:fdm,fileDescriptorMax;text-align:right;desc:max file descriptors"),
    ("cpu", "alias:cpu;text-align:right;desc:recent cpu usage"),
    ("load_1m", "alias:l;text-align:right;desc:1m load avg"),
    ("load_5m", "alias:l;text-align:right;desc:5m load avg"),
    ("load_15m", "alias:l;text-align:right;desc:15m load avg"),
    ("uptime", "default:false;alias:u;text-align:right;desc:node uptime"),
    ("node.role", "alias:r,role,nodeRole;desc:m:master eligible node, d:data node, i:ingest node, -:coordinating node only"),
    ("master", "alias:m;desc:*:current master"),
    ("name", "alias:n;desc:node name"),
]

_SCRIPT = [
    ("script.compilations", "scrcc,scriptCompilations", "script compilations", "n"),
    ("script.cache_evictions", "scrce,scriptCacheEvictions", "script cache evictions", "n"),
    ("script.compilation_limit_triggered", "scrclt,scriptCacheCompilationLimitTriggered",
     "script cache compilation limit triggered", "n"),
]


def _stat_spec(alias: str, desc: str, sibling: bool) -> str:
    return f"{'sibling:pri;' if sibling else ''}alias:{alias};default:false;text-align:right;desc:{desc}"


def node_columns() -> list[tuple[str, str]]:
    script_at = next(i for i, s in enumerate(STATS) if s[0] == "search.fetch_current")
    ordered = STATS[:script_at] + _SCRIPT + STATS[script_at:]
    return NODE_INFO + [(name, _stat_spec(alias, desc, False)) for name, alias, desc, _ in ordered]


def index_columns(with_dataset: bool) -> list[tuple[str, str]]:
    columns = [
        ("health", "alias:h;desc:current health status"),
        ("status", "alias:s;desc:open/close status"),
        ("index", "alias:i,idx;desc:index name"),
        ("uuid", "alias:id,uuid;desc:index uuid"),
        ("pri", "alias:p,shards.primary,shardsPrimary;text-align:right;desc:number of primary shards"),
        ("rep", "alias:r,shards.replica,shardsReplica;text-align:right;desc:number of replica shards"),
        ("docs.count", "alias:dc,docsCount;text-align:right;desc:available docs"),
        ("docs.deleted", "alias:dd,docsDeleted;text-align:right;desc:deleted docs"),
        ("creation.date", "alias:cd;default:false;desc:index creation date (millisecond value)"),
        ("creation.date.string", "alias:cds;default:false;desc:index creation date (as string)"),
        ("store.size", "sibling:pri;alias:ss,storeSize;text-align:right;desc:store size of primaries & replicas"),
        ("pri.store.size", "text-align:right;desc:store size of primaries"),
    ]
    if with_dataset:
        columns.append(("dataset.size", "text-align:right;desc:total size of dataset"))
    for name, alias, desc, _ in STATS:
        columns.append((name, _stat_spec(alias, desc, True)))
        columns.append((f"pri.{name}", f"default:false;text-align:right;desc:{desc}"))
    return columns


def stat_values(n: ShardNumbers | None, names: list[str]) -> list[Any]:
    """The values of the given stats columns for one set of numbers (None: not available)."""
    kinds = {name: kind for name, _, _, kind in STATS + _SCRIPT}
    known = {"indexing.index_total": n.index_total if n else None,
             "indexing.delete_total": n.delete_total if n else None,
             "segments.count": (n.shards if n.docs else 0) if n else None}
    out: list[Any] = []
    for name in names:
        if n is None:
            out.append(None)
        elif name in known:
            out.append(known[name])
        else:
            out.append({"n": 0, "b": ByteSize(0), "t": Duration(0)}[kinds[name]])
    return out


def node_stat_names() -> list[str]:
    return [name for name, _ in node_columns()[len(NODE_INFO):]]


SHARDS = [
    ("index", "default:true;alias:i,idx;desc:index name"),
    ("shard", "default:true;alias:s,sh;desc:shard name"),
    ("prirep", "alias:p,pr,primaryOrReplica;default:true;desc:primary or replica"),
    ("state", "default:true;alias:st;desc:shard state"),
    ("docs", "alias:d,dc;text-align:right;desc:number of docs in shard"),
    ("store", "alias:sto;text-align:right;desc:store size of shard (how much disk it uses)"),
    ("dataset", "text-align:right;desc:total size of dataset"),
    ("ip", "default:true;desc:ip of node where it lives"),
    ("id", "default:false;desc:unique id of node where it lives"),
    ("node", "default:true;alias:n;desc:name of node where it lives"),
    ("sync_id", "alias:sync_id;default:false;desc:sync id"),
    ("unassigned.reason", "alias:ur;default:false;desc:reason shard became unassigned"),
    ("unassigned.at", "alias:ua;default:false;desc:time shard became unassigned (UTC)"),
    ("unassigned.for", "alias:uf;default:false;text-align:right;desc:time has been unassigned"),
    ("unassigned.details", "alias:ud;default:false;desc:additional details as to why the shard became unassigned"),
    ("recoverysource.type", "alias:rs;default:false;desc:recovery source type"),
    ("seq_no.max", "alias:sqm,maxSeqNo;default:false;text-align:right;desc:max sequence number"),
    ("seq_no.local_checkpoint", "alias:sql,localCheckpoint;default:false;text-align:right;desc:local checkpoint"),
    ("seq_no.global_checkpoint", "alias:sqg,globalCheckpoint;default:false;text-align:right;desc:global checkpoint"),
    ("path.data", "alias:pd,dataPath;default:false;text-align:right;desc:shard data path"),
    ("path.state", "alias:ps,statsPath;default:false;text-align:right;desc:shard state path"),
]

HEALTH = [
    ("cluster", "alias:cl;desc:cluster name"),
    ("status", "alias:st;desc:health status"),
    ("node.total", "alias:nt,nodeTotal;text-align:right;desc:total number of nodes"),
    ("node.data", "alias:nd,nodeData;text-align:right;desc:number of nodes that can store data"),
    ("shards", "alias:t,sh,shards.total,shardsTotal;text-align:right;desc:total number of shards"),
    ("pri", "alias:p,shards.primary,shardsPrimary;text-align:right;desc:number of primary shards"),
    ("relo", "alias:r,shards.relocating,shardsRelocating;text-align:right;desc:number of relocating nodes"),
    ("init", "alias:i,shards.initializing,shardsInitializing;text-align:right;desc:number of initializing nodes"),
    ("unassign", "alias:u,shards.unassigned,shardsUnassigned;text-align:right;desc:number of unassigned shards"),
]
HEALTH_UNASSIGNED_PRIMARY = ("unassign.pri", "alias:up,shards.unassigned.primary,shardsUnassignedPrimary;"
                             "text-align:right;desc:number of unassigned primary shards")
HEALTH_TAIL = [
    ("pending_tasks", "alias:pt,pendingTasks;text-align:right;desc:number of pending tasks"),
    ("max_task_wait_time", "alias:mtwt,maxTaskWaitTime;text-align:right;desc:wait time of longest task pending"),
    ("active_shards_percent", "alias:asp,activeShardsPercent;text-align:right;desc:active number of shards in percent"),
]

COUNT = [("count", "alias:dc,docs.count,docsCount;desc:the document count")]

RECOVERY = [
    ("index", "alias:i,idx;desc:index name"),
    ("shard", "alias:s,sh;desc:shard name"),
    ("start_time", "default:false;alias:start;desc:recovery start time"),
    ("start_time_millis", "default:false;alias:start_millis;desc:recovery start time in epoch milliseconds"),
    ("stop_time", "default:false;alias:stop;desc:recovery stop time"),
    ("stop_time_millis", "default:false;alias:stop_millis;desc:recovery stop time in epoch milliseconds"),
    ("time", "alias:t,ti;desc:recovery time"),
    ("type", "alias:ty;desc:recovery type"),
    ("stage", "alias:st;desc:recovery stage"),
    ("source_host", "alias:shost;desc:source host"),
    ("source_node", "alias:snode;desc:source node name"),
    ("target_host", "alias:thost;desc:target host"),
    ("target_node", "alias:tnode;desc:target node name"),
    ("repository", "alias:rep;desc:repository"),
    ("snapshot", "alias:snap;desc:snapshot"),
    ("files", "alias:f;desc:number of files to recover"),
    ("files_recovered", "alias:fr;desc:files recovered"),
    ("files_percent", "alias:fp;desc:percent of files recovered"),
    ("files_total", "alias:tf;desc:total number of files"),
    ("bytes", "alias:b;desc:number of bytes to recover"),
    ("bytes_recovered", "alias:br;desc:bytes recovered"),
    ("bytes_percent", "alias:bp;desc:percent of bytes recovered"),
    ("bytes_total", "alias:tb;desc:total number of bytes"),
    ("translog_ops", "alias:to;desc:number of translog ops to recover"),
    ("translog_ops_recovered", "alias:tor;desc:translog ops recovered"),
    ("translog_ops_percent", "alias:top;desc:percent of translog ops recovered"),
]

ALIASES = [
    ("alias", "alias:a;desc:alias name"),
    ("index", "alias:i,idx;desc:index alias points to"),
    ("filter", "alias:f,fi;desc:filter"),
    ("routing.index", "alias:ri,routingIndex;desc:index routing"),
    ("routing.search", "alias:rs,routingSearch;desc:search routing"),
    ("is_write_index", "alias:w,isWriteIndex;desc:write index"),
]

CAT_ROOT = """=^.^=
/_cat/allocation
/_cat/shards
/_cat/shards/{index}
/_cat/master
/_cat/nodes
/_cat/tasks
/_cat/indices
/_cat/indices/{index}
/_cat/segments
/_cat/segments/{index}
/_cat/count
/_cat/count/{index}
/_cat/recovery
/_cat/recovery/{index}
/_cat/health
/_cat/pending_tasks
/_cat/aliases
/_cat/aliases/{alias}
/_cat/thread_pool
/_cat/thread_pool/{thread_pools}
/_cat/plugins
/_cat/fielddata
/_cat/fielddata/{fields}
/_cat/nodeattrs
/_cat/repositories
/_cat/snapshots/{repository}
/_cat/templates
/_cat/component_templates/_cat/ml/anomaly_detectors
/_cat/ml/anomaly_detectors/{job_id}
/_cat/ml/datafeeds
/_cat/ml/datafeeds/{datafeed_id}
/_cat/ml/trained_models
/_cat/ml/trained_models/{model_id}
/_cat/ml/data_frame/analytics
/_cat/ml/data_frame/analytics/{id}
/_cat/transforms
/_cat/transforms/{transform_id}
"""
