"""The fault soak's newer faults, for scripts/soak.py (which runs each in a thread of its own): rows locked from
another PostgreSQL session (rowlocks), floods of slow webhook bodies from one address (flood), webhooks signed as
Evolution signs them but late, replayed, future-dated or impossibly dated (forged), and the responder's kill -9
while a connect's create is in flight upstream (killconnect).

Each takes the running Soak: its stack, its checks (Soak.check, Soak.violation) and its `chaos_lock`, which every
disruptive fault holds while it acts, so that each fault's answers are its own (no PostgreSQL termination during a
row lock, no flood while a forged webhook is answered). Each keeps its own counts and gives the lines of the report.
"""
