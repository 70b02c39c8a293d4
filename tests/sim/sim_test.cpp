// Tests of libescapade/sim: frequencies, files, truth, determinism, errors, cohort.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "libescapade/fcs/fcs.hpp"
#include "libescapade/sim/detail/random.hpp"
#include "libescapade/sim/sim.hpp"

namespace escapade::sim {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) {
    path = fs::temp_directory_path() / ("escapade_sim_test_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// |x/n − p| within z binomial standard errors.
void expect_binomial(std::size_t x, std::size_t n, double p, const std::string& what, double z = 4.5) {
  ASSERT_GT(n, 0u) << what;
  const double se = std::sqrt(p * (1 - p) / static_cast<double>(n));
  const double f = static_cast<double>(x) / static_cast<double>(n);
  EXPECT_NEAR(f, p, z * se + 1e-12) << what << ": " << x << " of " << n;
}

TEST(SimRandom, OwnExpAndLogMatchLibm) {
  for (double x : {1e-300, 1e-10, 0.001, 0.5, 0.7071, 1.0, 1.5, 2.0, 10.0, 12345.678, 1e100}) {
    EXPECT_NEAR(detail::log(x), std::log(x), 2e-15 * std::max(1.0, std::fabs(std::log(x)))) << x;
  }
  for (double x : {-700.0, -20.0, -1.0, -1e-8, 0.0, 0.3, 1.0, 5.5, 100.0, 700.0}) {
    EXPECT_NEAR(detail::exp(x) / std::exp(x), 1.0, 4e-15) << x;
  }
}

TEST(SimRandom, NormalGammaPoissonMoments) {
  detail::Rng rng(detail::stream_key(42, 1));
  const int n = 200000;
  double s = 0, s2 = 0, g = 0, po = 0;
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    s += z;
    s2 += z * z;
    g += rng.gamma(2.5);
    po += static_cast<double>(rng.poisson(3.2));
  }
  EXPECT_NEAR(s / n, 0.0, 0.01);
  EXPECT_NEAR(s2 / n, 1.0, 0.015);
  EXPECT_NEAR(g / n, 2.5, 0.03);
  EXPECT_NEAR(po / n, 3.2, 0.03);
  EXPECT_EQ(detail::Rng(7).next(), detail::Rng(7).next());
}

TEST(SimSample, RealisedFrequenciesWithinBinomialLimits) {
  for (std::uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
    SampleOptions o;
    o.events = 20000;
    o.seed = seed;
    o.blast_pct = 40;
    o.pre_escape_pct = 8;
    o.num_threads = 2;
    const auto s = simulate_sample(o);
    const Truth& t = s.truth;
    const std::string tag = "seed " + std::to_string(seed);
    expect_binomial(t.set("pre_escape_progenitors").count, t.set("cd34").count, 0.08, tag + " pre-escape of CD34+");
    expect_binomial(t.set("blasts").count, t.set("leukocytes").count, 0.40, tag + " blasts of leukocytes");
    expect_binomial(t.counts[static_cast<std::size_t>(Population::debris)], t.events, 0.06, tag + " debris");
    expect_binomial(t.counts[static_cast<std::size_t>(Population::doublet)], t.events, 0.04, tag + " doublets");
  }
}

TEST(SimSample, PhaseDefaultsFollowSeed001) {
  // Prevalence of drawn pre-escape over many scenarios (cheap: no events generated).
  const std::pair<Phase, double> cases[] = {{Phase::diagnosis, 0.72}, {Phase::remission, 0.92}, {Phase::relapse, 0.66}};
  for (const auto& [phase, prevalence] : cases) {
    std::size_t present = 0;
    double sum = 0;
    const std::size_t n = 4000;
    for (std::size_t i = 0; i < n; ++i) {
      SampleOptions o;
      o.phase = phase;
      o.seed = 99;
      o.stream = i;
      const auto sc = resolve_scenario(o);
      present += *sc.options.pre_escape_pct > 0 ? 1 : 0;
      sum += *sc.options.pre_escape_pct;
      EXPECT_TRUE(sc.pre_escape_pct_drawn);
    }
    expect_binomial(present, n, prevalence, std::string(to_string(phase)) + " prevalence");
    const double mean = sum / static_cast<double>(n);
    const double want = phase == Phase::diagnosis ? 2.1 : phase == Phase::remission ? 6.1 : 1.6;
    EXPECT_NEAR(mean, want, 0.3 * want) << to_string(phase);  // heavy tails, capped at 60 %
  }
}

TEST(SimSample, FilesReadBackWithKeywordsSpilloverAndTruth) {
  TempDir dir("files");
  for (const auto& instrument : instrument_names()) {
    SampleOptions o;
    o.events = 6000;
    o.seed = 11;
    o.instrument = instrument;
    o.sample_id = "S-" + instrument;
    o.num_threads = 1;
    const auto s = simulate_sample(o);
    const auto files = write_sample(s, dir.path / (instrument + ".fcs"));
    const auto f = fcs::read_fcs_file(files.fcs);
    ASSERT_EQ(f.data_sets.size(), 1u);
    const auto& ds = f.data_sets[0];
    EXPECT_TRUE(ds.warnings.empty()) << instrument << ": " << (ds.warnings.empty() ? "" : ds.warnings[0].message());
    EXPECT_EQ(ds.event_count, o.events);
    EXPECT_EQ(ds.keywords.get("$DATATYPE"), "F");
    EXPECT_FALSE(ds.keywords.get("$CYT").empty());
    EXPECT_EQ(ds.keywords.get("$SRC"), o.sample_id);
    EXPECT_FALSE(ds.keywords.get("$DATE").empty());
    EXPECT_FALSE(ds.keywords.get("$BTIM").empty());
    EXPECT_FALSE(ds.keywords.get("$ETIM").empty());
    // The stains the issue asks for, whatever the naming convention.
    for (std::string marker : {"CD45", "CD34", "CD19", "CD22", "CD38", "CD10", "CD20", "CD33", "CD13", "CD3"}) {
      bool found = false;
      for (const auto& p : ds.parameters) {
        const std::string& st = p.stain;
        for (std::size_t at = st.find(marker); at != std::string::npos; at = st.find(marker, at + 1)) {
          const std::size_t end = at + marker.size();
          if (end == st.size() || !std::isdigit(static_cast<unsigned char>(st[end]))) found = true;
        }
      }
      EXPECT_TRUE(found) << instrument << " lacks " << marker;
    }
    for (std::string p : {"FSC-A", "FSC-H", "FSC-W", "SSC-A", "SSC-H", "SSC-W"}) EXPECT_TRUE(ds.find_parameter(p)) << p;
    EXPECT_NE(ds.time_parameter(), nullptr);
    // $SPILLOVER is exactly the matrix applied.
    ASSERT_TRUE(ds.spillover.has_value());
    EXPECT_EQ(*ds.spillover, *s.data_set.spillover);
    EXPECT_FALSE(ds.spillover->is_identity());
    // Values written are the values simulated (float32 exact).
    EXPECT_TRUE(ds.events == s.data_set.events) << instrument;
    // Side files.
    EXPECT_EQ(parse_labels_tsv(slurp(files.labels), files.labels.string()), s.labels);
    const auto j = nlohmann::json::parse(slurp(files.truth));
    EXPECT_EQ(j["format"], "escapade-sim-truth/1");
    std::size_t total = 0;
    for (const auto& [name, c] : j["counts"].items()) total += c.get<std::size_t>();
    EXPECT_EQ(total, o.events);
    EXPECT_EQ(j["denominators"]["events"]["count"].get<std::size_t>(), o.events);
    const auto cd34 = j["denominators"]["cd34"]["count"].get<std::size_t>();
    const auto q = [&](const char* n) { return j["populations"][n]["count"].get<std::size_t>(); };
    EXPECT_EQ(q("pre_escape") + q("b_committed") + q("cd19_only") + q("non_b"), cd34);
    EXPECT_EQ(j["denominators"]["leukocytes"]["count"].get<std::size_t>() + j["counts"]["erythroid"].get<std::size_t>(),
              j["denominators"]["nucleated"]["count"].get<std::size_t>());
    if (cd34 > 0) {
      EXPECT_NEAR(j["populations"]["pre_escape"]["pct_of_cd34"].get<double>(),
                  100.0 * static_cast<double>(q("pre_escape")) / static_cast<double>(cd34), 1e-9);
    }
    // Refuses to overwrite.
    try {
      (void)write_sample(s, files.fcs);
      ADD_FAILURE() << "overwrote";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::io);
      EXPECT_NE(std::string(e.what()).find("exists"), std::string::npos);
    }
  }
}

TEST(SimSample, SameBytesOnOneAndTwoThreads) {
  for (const auto& instrument : instrument_names()) {
    SampleOptions o;
    o.events = 3 * block_events + 123;
    o.seed = 2024;
    o.instrument = instrument;
    o.num_threads = 1;
    const auto a = simulate_sample(o);
    o.num_threads = 2;
    const auto b = simulate_sample(o);
    fcs::WriteOptions wo;
    wo.precision = fcs::WriteOptions::Precision::float32;
    EXPECT_EQ(fcs::write_fcs(a.data_set, wo), fcs::write_fcs(b.data_set, wo)) << instrument;
    EXPECT_EQ(a.labels, b.labels);
    EXPECT_EQ(truth_json(a.truth), truth_json(b.truth));
    o.seed = 2025;
    EXPECT_NE(simulate_sample(o).labels, a.labels);
  }
}

TEST(SimSample, PhysicsDoubletsDeadDebris) {
  SampleOptions o;
  o.events = 20000;
  o.seed = 5;
  o.blast_pct = 30;
  o.doublet_pct = 8;
  o.dead_pct = 6;
  const auto s = simulate_sample(o);
  const auto& m = s.data_set.events;
  const auto fa = m.channel(m.index_of("FSC-A")), fh = m.channel(m.index_of("FSC-H"));
  const auto via = m.channel(m.index_of("BV605-A")), cd45 = m.channel(m.index_of("BV510-A"));
  double ratio_single = 0, ratio_double = 0, v_dead = 0, v_live = 0, f_dead = 0, f_live = 0, cd45_debris = 0,
         cd45_t = 0;
  std::size_t n_single = 0, n_double = 0, n_dead = 0, n_live = 0, n_debris = 0, n_t = 0;
  for (std::size_t i = 0; i < m.event_count(); ++i) {
    const auto p = static_cast<Population>(s.labels[i]);
    if (p == Population::doublet) ratio_double += fa[i] / fh[i], ++n_double;
    else if (p == Population::dead) v_dead += via[i], f_dead += fa[i], ++n_dead;
    else if (p == Population::debris) cd45_debris += cd45[i], ++n_debris;
    else {
      ratio_single += fa[i] / fh[i], ++n_single;
      v_live += via[i], f_live += fa[i], ++n_live;
      if (p == Population::t_cell) cd45_t += cd45[i], ++n_t;
    }
  }
  EXPECT_NEAR(ratio_single / static_cast<double>(n_single), 1.0, 0.08);
  EXPECT_GT(ratio_double / static_cast<double>(n_double), 1.5);
  EXPECT_GT(v_dead / static_cast<double>(n_dead), 20 * std::max(50.0, v_live / static_cast<double>(n_live)));
  EXPECT_LT(f_dead / static_cast<double>(n_dead), 0.7 * f_live / static_cast<double>(n_live));
  EXPECT_LT(cd45_debris / static_cast<double>(n_debris), 0.05 * cd45_t / static_cast<double>(n_t));
}

TEST(SimSample, CompensatedNegativesSpreadWithTheSpillingSignal) {
  // PE-Cy7 (CD19) spills into APC-H7 (CD38): after compensation, CD38-negative events that are
  // CD19 bright spread wider in APC-H7 than CD19-negative ones (photon noise of the spillover).
  SampleOptions o;
  o.events = 40000;
  o.seed = 8;
  o.blast_pct = 50;
  o.drift_pct = 0;
  const auto s = simulate_sample(o);
  const auto& m = s.data_set.events;
  const auto& S = *s.data_set.spillover;
  const auto& det = S.detectors();
  // Compensate by solving x·S = raw with Gauss–Jordan (12×12 is small).
  const std::size_t n = det.size();
  std::vector<double> inv(n * n, 0.0), a(S.values().begin(), S.values().end());
  for (std::size_t i = 0; i < n; ++i) inv[i * n + i] = 1;
  for (std::size_t c = 0; c < n; ++c) {
    const double piv = a[c * n + c];
    for (std::size_t j = 0; j < n; ++j) a[c * n + j] /= piv, inv[c * n + j] /= piv;
    for (std::size_t r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = a[r * n + c];
      for (std::size_t j = 0; j < n; ++j) a[r * n + j] -= f * a[c * n + j], inv[r * n + j] -= f * inv[c * n + j];
    }
  }
  std::vector<std::size_t> col(n);
  for (std::size_t j = 0; j < n; ++j) col[j] = m.index_of(det[j]);
  const std::size_t pecy7 = 3, apch7 = 6;
  auto comp = [&](std::size_t i, std::size_t j) {
    double v = 0;
    for (std::size_t k = 0; k < n; ++k) v += m.channel(col[k])[i] * inv[k * n + j];
    return v;
  };
  double s_bright = 0, s_dim = 0;
  std::size_t n_bright = 0, n_dim = 0;
  for (std::size_t i = 0; i < m.event_count(); ++i) {
    const auto p = static_cast<Population>(s.labels[i]);
    if (p != Population::t_cell && p != Population::blast && p != Population::granulocyte) continue;
    const double v = comp(i, apch7) - 0;
    if (p == Population::blast && comp(i, pecy7) > 4000) s_bright += v * v, ++n_bright;
    if (p == Population::t_cell) s_dim += v * v, ++n_dim;
  }
  ASSERT_GT(n_bright, 100u);
  ASSERT_GT(n_dim, 100u);
  // Blasts carry some CD38 themselves; T cells dim CD38: compare spreads loosely.
  EXPECT_GT(std::sqrt(s_bright / static_cast<double>(n_bright)), std::sqrt(s_dim / static_cast<double>(n_dim)));
}

TEST(SimErrors, BadKnobsNameTheKnob) {
  auto expect_error = [](SampleOptions o, const std::string& where, const std::string& phrase) {
    try {
      (void)resolve_scenario(o);
      ADD_FAILURE() << "no error for " << where;
    } catch (const InputError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
      EXPECT_EQ(e.where(), where);
      EXPECT_NE(e.reason().find(phrase), std::string::npos) << e.what();
    }
  };
  SampleOptions o;
  o.blast_pct = 120;
  expect_error(o, "blast_pct", "within [0, 99]");
  o = {};
  o.pre_escape_pct = -1;
  expect_error(o, "pre_escape_pct", "got -1");
  o = {};
  o.events = 0;
  expect_error(o, "events", "within");
  o = {};
  o.instrument = "facs-nonesuch";
  expect_error(o, "instrument", "bd-lyric");
  o = {};
  o.sample_id = "a/b";
  expect_error(o, "sample_id", "letters");
  o = {};
  o.debris_pct = 60;
  o.doublet_pct = 30;
  o.dead_pct = 5;
  expect_error(o, "debris_pct", "at least 10%");
  EXPECT_THROW((void)parse_phase("remision"), InputError);
  EXPECT_EQ(parse_phase("cr"), Phase::remission);
  EXPECT_THROW((void)parse_relapse_kind("cd20neg"), InputError);
  EXPECT_THROW((void)parse_labels_tsv("label\n3\n99\n", "x"), InputError);
}

TEST(SimSample, Day30CarTHasBCellAplasia) {
  SampleOptions o;
  o.phase = Phase::day30_car_t;
  o.events = 20000;
  o.seed = 3;
  o.pre_escape_pct = 4;
  const auto s = simulate_sample(o);
  EXPECT_EQ(s.truth.counts[static_cast<std::size_t>(Population::b_mature)], 0u);
  EXPECT_EQ(s.truth.counts[static_cast<std::size_t>(Population::hematogone)], 0u);
  EXPECT_EQ(s.truth.counts[static_cast<std::size_t>(Population::b_progenitor)], 0u);
  o.phase = Phase::relapse;
  o.relapse_kind = RelapseKind::lineage_switch;
  o.blast_pct = 60;
  const auto r = simulate_sample(o);
  EXPECT_GT(r.truth.counts[static_cast<std::size_t>(Population::myeloid_blast)],
            10 * r.truth.counts[static_cast<std::size_t>(Population::blast)]);
}

TEST(SimCohort, WritesManifestFishAndModel) {
  TempDir dir("cohort");
  CohortOptions o;
  o.patients = 4;
  o.events = 1500;
  o.seed = 17;
  o.num_threads = 1;
  const auto summary = simulate_cohort(o, dir.path / "c");
  EXPECT_EQ(summary.patients, 4u);
  const std::string manifest = slurp(summary.manifest);
  std::istringstream lines(manifest);
  std::string header;
  std::getline(lines, header);
  EXPECT_EQ(header,
            "patient\tsample\tfcs\ttruth\tphase\ttherapy\tfish\ttranscript\trelapse\ttime_months\tdeath_in_remission\t"
            "last_followup_months\tsample_time_months");
  std::size_t rows = 0;
  for (std::string line; std::getline(lines, line);) {
    ++rows;
    std::vector<std::string> cells;
    std::stringstream ls(line);
    for (std::string c; std::getline(ls, c, '\t');) cells.push_back(c);
    ASSERT_EQ(cells.size(), 13u) << line;
    EXPECT_TRUE(fs::exists(summary.manifest.parent_path() / cells[2])) << cells[2];
    EXPECT_TRUE(fs::exists(summary.manifest.parent_path() / cells[3])) << cells[3];
    EXPECT_TRUE(fs::exists(summary.manifest.parent_path() / cells[6])) << cells[6];
    EXPECT_TRUE(cells[8] == "none" || cells[8] == "cd19pos" || cells[8] == "cd19neg");
  }
  EXPECT_EQ(rows, summary.samples);
  const auto model = nlohmann::json::parse(slurp(summary.model));
  ASSERT_EQ(model["patient_truth"].size(), 4u);
  for (const auto& p : model["patient_truth"]) {
    const std::string fish = slurp(summary.manifest.parent_path() / p["patient"].get<std::string>() / "fish.tsv");
    std::istringstream fl(fish);
    std::string line;
    std::getline(fl, line);
    EXPECT_EQ(line.rfind("compartment\tprobe\tnuclei_scored\tnuclei_positive", 0), 0u);
    while (std::getline(fl, line)) {
      std::stringstream ls(line);
      std::string comp, probe;
      double scored = 0, positive = 0;
      ls >> comp >> probe >> scored >> positive;
      const double f = positive / scored;
      if (comp == "hsc" || comp == "progenitor") {
        if (p["stem_cell_involvement"].get<bool>()) {
          EXPECT_GT(f, 0.08) << comp;
        } else {
          EXPECT_LT(f, 0.06) << comp;
        }
      }
      if (comp == "b_lineage") {
        EXPECT_GT(f, 0.4);
      }
    }
  }
  EXPECT_THROW((void)simulate_cohort(o, dir.path / "c"), InputError);
  o.patients = 0;
  EXPECT_THROW((void)simulate_cohort(o, dir.path / "d"), InputError);
}

}  // namespace
}  // namespace escapade::sim
