"""The Python package against references Escapade did not compute: FlowIO's decoded arrays,
NumPy's own linear algebra, the ISAC Gating-ML 2.0 compliance counts, FlowJo's stored counts,
and the CLI's results.json for the same file."""
import csv
import json
import os
import pathlib
import subprocess
import tempfile

import numpy as np
import pytest

import escapade

SHARED = pathlib.Path("../shared")
DATA = SHARED / "data"


def data(relative):
    path = DATA / relative
    if not path.exists():
        pytest.fail(f"{path}: missing shared data (tests run from the project root, ../shared beside it)")
    return str(path)


# --- reading ---------------------------------------------------------------------------------


def test_scale_values_equal_flowio_preprocessed():
    sample = escapade.read_fcs(data("gatingml/data1.fcs"))
    truth = np.load(data("fcs/flowio/truth/data1_preprocessed.npy"))
    assert sample.event_count == truth.shape[0] == len(sample)
    events = sample.get_events()
    assert events.shape == truth.shape
    np.testing.assert_allclose(events, truth, rtol=3e-14, atol=0)


def test_channels_share_memory_with_the_event_matrix():
    sample = escapade.read_fcs(data("gatingml/data1.fcs"))
    first = sample.channel(0)
    # The array's buffer is the matrix's column, not a copy.
    assert first.ctypes.data == sample._column_address(0)
    assert not first.flags.owndata
    assert not first.flags.writeable
    again = sample.channel(sample.pnn_labels[0])
    assert np.shares_memory(first, again)
    for k, column in enumerate(sample.columns):
        assert column.ctypes.data == sample._column_address(k)
    # The array keeps the sample alive after the last Python reference to it is gone.
    del sample
    assert np.isfinite(first).all()


def test_accuri_time_is_scaled_by_timestep_as_flowio():
    sample = escapade.read_fcs(data("fcs/flowio/B01 KC-A-W---91-US.fcs"))
    truth = np.load(data("fcs/flowio/truth/B01 KC-A-W---91-US_preprocessed_events.npy"))
    np.testing.assert_array_equal(sample.get_events(), truth)


def test_channels_and_keywords_as_the_file_states_them():
    sample = escapade.read_fcs(data("gatingml/data1.fcs"))
    assert sample.keywords["$PAR"] == str(len(sample.channels))
    names = [c.name for c in sample.channels]
    assert names == sample.pnn_labels
    assert sample.keywords["$TOT"].strip() == str(sample.event_count)


def test_bad_file_is_an_fcs_error_naming_file_and_place():
    with tempfile.TemporaryDirectory() as d:
        path = pathlib.Path(d) / "cut.fcs"
        path.write_bytes(pathlib.Path(data("gatingml/data1.fcs")).read_bytes()[:300])
        with pytest.raises(escapade.FcsError) as e:
            escapade.read_fcs(str(path))
        assert isinstance(e.value, escapade.Error)
        assert e.value.file == str(path)
        assert e.value.kind
        assert e.value.reason
        assert str(path) in str(e.value)


def test_missing_file_is_an_error_not_a_crash():
    with pytest.raises(escapade.Error) as e:
        escapade.read_fcs("no/such/file.fcs")
    assert e.value.kind == "io"


# --- compensation and transforms ---------------------------------------------------------------


def read_matrix_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], np.array([[float(v) for v in r] for r in rows[1:] if r], dtype=float)


def test_compensation_equals_numpy_inverse():
    sample = escapade.read_fcs(data("comp/test_comp_example.fcs"))
    detectors, s = read_matrix_csv(data("comp/comp_complete_example.csv"))
    compensated = sample.compensate(escapade.SpilloverMatrix(detectors, s))
    raw = np.column_stack([sample.channel(d) for d in detectors])
    expected = raw @ np.linalg.inv(s)
    got = np.column_stack([compensated.channel(d) for d in detectors])
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9 * np.abs(raw).max())
    # Channels outside the matrix are untouched, and the input sample is not modified.
    np.testing.assert_array_equal(compensated.channel(0), sample.channel(0))
    assert not np.array_equal(compensated.channel("PE-A"), sample.channel("PE-A"))


def test_logicle_fixed_points_and_inverse():
    # Parks et al. 2006: logicle(0) = (W + A) / (M + A) and logicle(T) = 1.
    t, w, m, a = 262144.0, 0.5, 4.5, 0.0
    y = escapade.logicle(np.array([0.0, t]), t=t, w=w, m=m, a=a)
    np.testing.assert_allclose(y, [(w + a) / (m + a), 1.0], rtol=1e-12)
    x = np.linspace(-1000, 250000, 1001).reshape(7, 143)
    back = escapade.logicle(escapade.logicle(x), inverse=True)
    assert back.shape == x.shape
    np.testing.assert_allclose(back, x, rtol=1e-9, atol=1e-6)


def test_asinh_and_log_follow_gatingml_definitions():
    t, m, a = 262144.0, 4.5, 0.0
    x = np.array([1.0, 10.0, 1000.0, 262144.0])
    expected = (np.arcsinh(x * np.sinh(m * np.log(10)) / t) + a * np.log(10)) / ((m + a) * np.log(10))
    np.testing.assert_allclose(escapade.asinh(x, t=t, m=m, a=a), expected, rtol=1e-12)
    np.testing.assert_allclose(escapade.log(x, t=t, m=m), (1 / m) * np.log10(x / t) + 1, rtol=1e-12)


def test_bad_transform_parameters_are_an_error():
    with pytest.raises(escapade.Error):
        escapade.logicle(np.array([1.0]), w=5.0, m=4.5)


# --- gating --------------------------------------------------------------------------------------


def compliance_counts():
    with open(data("gatingml/expected_counts.tsv"), newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_gatingml_compliance_suite_counts():
    rows = compliance_counts()
    assert len(rows) > 50
    sample = escapade.read_fcs(data("gatingml/data1.fcs"))
    by_file = {}
    for r in rows:
        by_file.setdefault(r["gml_file"], []).append(r)
    for gml, expected in by_file.items():
        strategy = escapade.GatingStrategy.from_gatingml(data(f"gatingml/gml/{gml}"))
        results = strategy.gate(sample, threads=2)
        for r in expected:
            if r["events_in_gate"] == "-":  # a QuadrantGate's own id: its quadrants are the populations
                continue
            assert results.count(r["gate_id"]) == int(r["events_in_gate"]), (gml, r["gate_id"])


def test_memberships_match_counts_and_report():
    sample = escapade.read_fcs(data("gatingml/data1.fcs"))
    strategy = escapade.GatingStrategy.from_gatingml(data("gatingml/gml/gml_all_gates.xml"))
    results = strategy.gate(sample)
    report = {row["population"]: row for row in results.report()}
    for pop in results.populations:
        member = results.memberships(pop)
        assert member.dtype == np.bool_ and member.shape == (sample.event_count,)
        assert member.sum() == results.count(pop) == report[pop]["count"]
    table = results.to_pandas(stats=["mean", "median"], channels=["FL1-H"])
    assert list(table.columns[:6]) == ["sample", "population", "parent", "count", "pct_parent", "pct_total"]
    pop = "Range1"
    values = sample.channel("FL1-H")[results.memberships(pop)]
    row = table[table.population == pop].iloc[0]
    assert row["mean:FL1-H"] == pytest.approx(values.mean(), rel=1e-12)
    assert row["median:FL1-H"] == pytest.approx(np.median(values), rel=1e-12)


def test_unknown_population_is_a_gate_tree_error():
    sample = escapade.read_fcs(data("gatingml/data1.fcs"))
    results = escapade.GatingStrategy.from_gatingml(data("gatingml/gml/gml_all_gates.xml")).gate(sample)
    with pytest.raises(escapade.GateTreeError):
        results.count("no such population")


def test_flowjo_workspace_counts_equal_flowjos_own():
    ws = escapade.Workspace(data("flowjo/flowsom_68983/gating.wsp"))
    assert ws.samples
    results = ws.gate(ws.samples[0], threads=2)
    compared = 0
    for pop in results.populations:
        stored = results.flowjo_count(pop)
        if stored is None:
            continue
        assert results.count(pop) == stored, pop
        compared += 1
    assert compared >= 10
    frame = results.to_pandas().dropna(subset=["flowjo_count"])
    assert len(frame) == compared
    assert (frame["count"] == frame["flowjo_count"]).all()


# --- the automatic analysis ----------------------------------------------------------------------


def test_analyze_equals_the_cli_results_json():
    cli = os.environ.get("ESCAPADE_CLI_PATH")
    if not cli:
        pytest.skip("ESCAPADE_CLI_PATH is set by ctest")
    tube = data("bal_dev/canto/dev_canto_002.fcs")
    ours = escapade.analyze(tube)
    with tempfile.TemporaryDirectory() as d:
        out = pathlib.Path(d) / "out"
        subprocess.run([cli, "analyze", tube, "--out", str(out), "--no-report", "-q"], check=True)
        theirs = json.loads((out / "results.json").read_text())
    assert ours == theirs
    assert ours["populations"]["pre_escape"]["events"] >= 0


def test_plot_draws_the_populations_gates_with_their_counts():
    ws = escapade.Workspace(data("flowjo/flowsom_68983/gating.wsp"))
    results = ws.gate(ws.samples[0])
    parent = next(p for p in results.populations if p.endswith("/ab T cells"))
    with tempfile.TemporaryDirectory() as d:
        made = results.plot(parent, x="CD4", y="CD8", path=pathlib.Path(d) / "t.png")
        assert pathlib.Path(made["path"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(made["gates"]) == 4, "CD4, CD8, DN and DP T cells are gated on CD4 × CD8"
        for gate, n in made["gates"].items():
            assert n == results.count(gate)
        assert made["events"] <= results.count(parent)
        with pytest.raises(escapade.Error):
            results.plot(parent, x="CD4", y="CD8", path=pathlib.Path(d) / "t.png")  # exists: never overwritten


def test_tutorial_example_runs():
    example = pathlib.Path(__file__).resolve().parents[2] / "examples" / "flowkit_tutorial.py"
    with tempfile.TemporaryDirectory() as d:
        run = subprocess.run([os.environ.get("PYTHON", "/usr/bin/python3"), str(example), d], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        assert "flowjo_count" in run.stdout
        assert (pathlib.Path(d) / "ab_t_cells.png").exists()


def test_simulate_gives_a_sample_with_its_labels_and_truth():
    sample, labels, truth = escapade.simulate("diagnosis", events=20000, seed=5)
    assert sample.event_count == labels.size == truth["events"]
    assert labels.dtype == np.uint8
    assert "CD19" in " ".join(sample.pns_labels)


def test_cohort_run_and_report_as_the_cli():
    cli = os.environ.get("ESCAPADE_CLI_PATH")
    if not cli:
        pytest.skip("ESCAPADE_CLI_PATH is set by ctest")
    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        subprocess.run([cli, "simulate", "cohort", "--patients", "3", "--events", "20000", "--seed", "4", "--out", str(d / "c"), "-q"],
                       check=True, stdout=subprocess.DEVNULL)
        ours = escapade.cohort_run(d / "c" / "manifest.tsv", d / "py.db", jobs=2)
        assert ours["failed"] == 0 and ours["analysed"] == ours["total"] > 0
        subprocess.run([cli, "cohort", "run", str(d / "c" / "manifest.tsv"), "--db", str(d / "cli.db"), "-q"], check=True,
                       stdout=subprocess.DEVNULL)
        report = escapade.cohort_report(d / "py.db", d / "report")
        assert pathlib.Path(report["html"]).exists() and report["samples"] == ours["total"]
        # The same numbers as the CLI's own database: every stored population count.
        import sqlite3

        def counts(db):
            with sqlite3.connect(db) as c:
                return sorted(c.execute("select * from populations").fetchall())

        assert counts(d / "py.db") == counts(d / "cli.db")
