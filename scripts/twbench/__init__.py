"""scripts/bench as a program: the measurements (scenarios.py), what they read (proc.py, wrk.py, load.py) and the
table they fill (table.py). The stack comes from scripts/twstack."""
