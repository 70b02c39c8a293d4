#!/usr/bin/env python3
"""FlowKit's tutorial, in Escapade: load a sample, compensate, transform, gate with a FlowJo
workspace, read the counts and plot one population.

    PYTHONPATH=build/release/python python3 examples/flowkit_tutorial.py [OUT_DIR]

(after scripts/install-python, plain `python3 examples/flowkit_tutorial.py`). Reads the
shared data beside the project (../shared), as the tests do.
"""
import pathlib
import sys

import numpy as np

import escapade

shared = pathlib.Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "out/python_tutorial")
out.mkdir(parents=True, exist_ok=True)

# 1. A sample: channels, keywords and events (NumPy views of Escapade's own memory).
sample = escapade.read_fcs(shared / "comp" / "test_comp_example.fcs")
print(sample)
print("channels:", sample.pnn_labels)
print("cytometer:", sample.keywords.get("$CYT", "?"))
pe = sample.channel("PE-A")
print(f"PE-A: {pe.size} events, median {np.median(pe):.1f} (a view, no copy: owndata={pe.flags.owndata})")

# 2. Compensation with the lab's spillover matrix (a FlowJo matrix CSV).
rows = (shared / "comp" / "comp_complete_example.csv").read_text().split()
detectors = rows[0].split(",")
matrix = np.array([[float(v) for v in r.split(",")] for r in rows[1:]])
compensated = sample.compensate(escapade.SpilloverMatrix(detectors, matrix))
print(f"PE-A median: raw {np.median(pe):.1f}, compensated {np.median(compensated.channel('PE-A')):.1f}")

# 3. A transform, as a function on arrays.
logicle = escapade.logicle(compensated.channel("PE-A"), t=262144, w=0.5, m=4.5, a=0)
print(f"logicle PE-A: 5th–95th percentile {np.percentile(logicle, 5):.3f}–{np.percentile(logicle, 95):.3f}")

# 4. Gating with a FlowJo workspace: counts beside FlowJo's own.
workspace = escapade.Workspace(shared / "flowjo" / "flowsom_68983" / "gating.wsp")
print(workspace)
results = workspace.gate(workspace.samples[0])
table = results.to_pandas(stats=["median"], channels=["FSC-A"])
print(table[["population", "count", "flowjo_count", "pct_parent", "median:FSC-A"]].to_string(index=False))

# 5. One population's events, and its plot (with the gates drawn on its axes).
population = next(p for p in results.populations if p.endswith("/ab T cells"))
member = results.memberships(population)
print(f"{population}: {member.sum()} events")
image = results.plot(population, x="CD4", y="CD8", path=out / "ab_t_cells.png", overwrite=True)
print("plot written to", image["path"], "gates drawn:", image["gates"])
