"""The evidence a run leaves: `evidence.json`, sealed with SHA256SUMS into a chain of runs, verifiable.

    bundle.py   evidence.json from a run folder (run.json, parameters.json, the notebooks' records)
    seal.py     SHA256SUMS and manifest.json, linking each run to the one sealed before it
    verify.py   recompute every hash and the chain; name what was changed, removed or added
    listing.py  the runs of a runs folder as a table
"""
