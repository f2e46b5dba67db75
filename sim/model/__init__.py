"""One replication of the model: SimPy processes of people moving between states.

Modules, bottom to top (imports only point down; nothing here imports ``sim.analysis`` or above):

- ``compat``: every use of SimPy's private internals.
- ``states``: the states a person can be in, and ``Outcome`` (what a state's process reports).
- ``streams``: random numbers keyed by (replication, purpose, person, index): exact common
  random numbers between policies.
- ``person``: a person's attributes and the sampling of the cohort.
- ``resources``: queues and capacities that keep queueing statistics (pools, booked pools,
  booked capacity).
- ``recorder``: the one place a state changes; invariants, counts, occupancy, the event log.
- ``core``: the clock, recorder and horizon every part shares, and ``move`` with the hooks that
  release what a state holds.
- ``processes``: one module per domain concept, each a typed *part* owning its parameters,
  streams, resources and counts, and the process of the state it runs.
- ``model``: builds the parts from a scenario and runs the replication.
- ``results``: the replication's tidy tables and the summary row (``run_replication``).
"""
