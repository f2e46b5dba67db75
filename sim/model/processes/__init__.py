"""The domain parts: one module per concept of the Home Office process, each a slotted dataclass
(a ``core.Part``: its frozen, typed ``params`` swapped whole on a change day, nothing else
assignable) built by ``<Part>.build(scenario, core, streams, <parts it hands people to>)``.

Build order (each part only refers to parts built before it, so the references form a tree):
absconding, correspondence, detention, enforcement, departure, casework, tracing, reporting,
contact. A part's process runs the state it owns:

=================  ==================  ==============================================
state              part (module)        what it owns besides its parameters
=================  ==================  ==============================================
pool               contact              call-centre agents, the contact plan
in contact         departure            triage, offers, departing, recording errors
reporting          reporting            reporting-centre capacity (released on leaving)
out of contact     tracing              tracers; counts first losses of contact
casework           casework             caseworkers
detained           detention            beds (taken on admission, released on leaving)
(any wait)         absconding           the hazard of losing contact while waiting
(notices)          correspondence       delivery, receipt, clarity
(tasking)          enforcement          arrest teams, pre-arrest checks, the gatekeeper
=================  ==================  ==============================================
"""
