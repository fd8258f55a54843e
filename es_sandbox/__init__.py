"""Embedded practice clusters: local processes that answer Elasticsearch's REST API and replicate
between each other the way cross-cluster replication does. Start them with `python -m es_sandbox up`."""
