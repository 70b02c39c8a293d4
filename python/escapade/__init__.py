"""Escapade for Python: exact, fast flow cytometry over libescapade.

    import escapade
    sample = escapade.read_fcs("tube.fcs")
    cd19 = sample.channel("CD19")          # NumPy, shares the sample's memory
    comp = sample.compensate()             # the file's own $SPILLOVER
    strategy = escapade.GatingStrategy.from_gatingml("gates.xml")
    results = strategy.gate(comp)
    results.to_pandas()                    # sample, population, parent, count, %…

Names follow FlowKit's where the concept is the same (`pnn_labels`, `get_events`,
`report`). Errors are `escapade.Error` (and subclasses) with `kind`, `file`, `where` and
`reason`.
"""
from ._escapade import (  # noqa: F401
    Channel,
    Error,
    FcsError,
    GateTreeError,
    GatingMlError,
    GatingResults,
    GatingStrategy,
    InputError,
    Sample,
    SpilloverMatrix,
    Workspace,
    WorkspaceError,
    __version__,
    analyze,
    cohort_report,
    cohort_run,
    asinh,
    hyperlog,
    linear,
    log,
    logicle,
    read_fcs,
    simulate,
)
