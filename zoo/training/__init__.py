"""Training support: callbacks (warm-up, capacity, run folders), run
folders and their resume, atomic file writes, and multi-worker training.

    callbacks.py   BetaWarmUp, CapacitySchedule, StopOnNonFinite, ...
    runs.py        a run folder: run.json, checkpoints, resume
    atomic.py      files that appear whole or not at all
    distribute.py  tf.distribute strategies and the chief's paths
"""
