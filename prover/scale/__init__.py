"""The batch layer: many verifications (an instances.csv) or certifications (a folder of inputs),
one task each, on the local process pool or a Dask cluster, resumable.

    tasks.py     what a task is, and its key: SHA-256 of the network, the property or input, the settings
    store.py     the output folder: one result record per task, written atomically, hash-checked on resume
    work.py      what a worker does with one task (runs on the worker; returns the proof or bundle bytes)
    engines.py   the local process pool, and `open_engine` (which imports the Dask engine only when asked)
    dask_engine.py  the cluster engine (the optional `cluster` extra)
    run.py       the driver: skip intact results, run the rest, save each as it arrives, progress
    commands.py  `apothem batch` (verification of an instance list) and the batch of `apothem certify`
"""
