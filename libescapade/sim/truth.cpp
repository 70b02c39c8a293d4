// Ground truth: label sets with the SPEC.md denominators, the truth JSON, the labels side
// file, and writing a sample's three files.
#include <charconv>
#include <nlohmann/json.hpp>
#include <sstream>

#include "libescapade/base/file_io.hpp"
#include "libescapade/sim/detail/model.hpp"
#include "libescapade/sim/detail/truth.hpp"
#include "libescapade/sim/sim.hpp"

namespace escapade::sim {
namespace detail {
namespace {

LabelSet make_set(std::string name, std::string definition, std::vector<Population> labels,
                  const std::array<std::size_t, population_count>& counts) {
  LabelSet s{std::move(name), std::move(definition), std::move(labels), 0};
  for (auto p : s.labels) s.count += counts[static_cast<std::size_t>(p)];
  return s;
}

}  // namespace

Truth make_truth(const Scenario& scenario, const std::array<std::size_t, population_count>& counts) {
  using P = Population;
  Truth t;
  t.scenario = scenario;
  t.counts = counts;
  for (auto c : counts) t.events += c;
  const auto every = all_populations();
  std::vector<P> all(every.begin(), every.end());
  std::vector<P> nucleated, leukocytes;
  for (auto p : all) {
    if (p == P::debris || p == P::doublet || p == P::dead) continue;
    nucleated.push_back(p);
    if (p != P::erythroid) leukocytes.push_back(p);
  }
  t.denominators = {
      make_set("events", "every event recorded", all, counts),
      make_set("nucleated", "live singlet nucleated cells: not debris, doublet or dead", nucleated, counts),
      make_set("leukocytes", "live singlet CD45+ nucleated cells (nucleated minus CD45- erythroid precursors)",
               leukocytes, counts),
      make_set("cd34", "CD34+ SSC-low live singlet leukocytes",
               {P::hsc_mpp, P::myeloid_progenitor, P::b_progenitor, P::pre_escape, P::blast, P::blast_cd22neg,
                P::blast_cd19neg, P::myeloid_blast},
               counts),
  };
  t.populations = {
      make_set("pre_escape", "CD34+CD19-CD22+ (quadrant within CD34+)", {P::pre_escape, P::blast_cd19neg}, counts),
      make_set("b_committed", "CD34+CD19+CD22+ (quadrant within CD34+)", {P::b_progenitor, P::blast}, counts),
      make_set("cd19_only", "CD34+CD19+CD22- (quadrant within CD34+)", {P::blast_cd22neg}, counts),
      make_set("non_b", "CD34+CD19-CD22- (quadrant within CD34+)", {P::hsc_mpp, P::myeloid_progenitor, P::myeloid_blast},
               counts),
      make_set("pre_escape_progenitors", "the pre_escape label alone (what the pre_escape_pct knob sets)",
               {P::pre_escape}, counts),
      make_set("hsc", "HSC-enriched CD34+CD38-CD19- (seed 000 sort)", {P::hsc_mpp}, counts),
      make_set("progenitor", "progenitor CD34+CD38+CD19- (seed 000 sort)",
               {P::myeloid_progenitor, P::pre_escape, P::blast_cd19neg, P::myeloid_blast}, counts),
      make_set("myeloid", "myeloid CD33+ or CD13+, CD19- (seed 000 sort)",
               {P::granulocyte, P::monocyte, P::myeloid_progenitor, P::myeloid_blast}, counts),
      make_set("b_lineage", "B-lineage CD19+ (seed 000 sort)",
               {P::b_mature, P::hematogone, P::b_progenitor, P::blast, P::blast_cd22neg, P::blast_cd34neg}, counts),
      make_set("t_cells", "T cells CD3+ (seed 000 sort)", {P::t_cell}, counts),
      make_set("blasts", "leukemic blasts of every phenotype",
               {P::blast, P::blast_cd22neg, P::blast_cd19neg, P::myeloid_blast, P::blast_cd34neg}, counts),
  };
  return t;
}

}  // namespace detail

const LabelSet& Truth::set(std::string_view name) const {
  for (const auto& s : denominators) {
    if (s.name == name) return s;
  }
  for (const auto& s : populations) {
    if (s.name == name) return s;
  }
  throw InputError(ErrorKind::reference, "", "truth set '" + std::string(name) + "'", "no such denominator or population");
}

namespace {

nlohmann::json label_names(const std::vector<Population>& labels) {
  auto a = nlohmann::json::array();
  for (auto p : labels) a.push_back(std::string(to_string(p)));
  return a;
}

double pct(std::size_t num, std::size_t den) {
  return den == 0 ? 0.0 : 100.0 * static_cast<double>(num) / static_cast<double>(den);
}

}  // namespace

std::string truth_json(const Truth& t, std::string_view fcs_name, std::string_view labels_name) {
  using nlohmann::json;
  const SampleOptions& o = t.scenario.options;
  json j;
  j["format"] = "escapade-sim-truth/1";
  j["sample_id"] = o.sample_id;
  if (!fcs_name.empty()) j["fcs"] = std::string(fcs_name);
  if (!labels_name.empty()) j["labels_file"] = std::string(labels_name);
  json sc;
  sc["phase"] = std::string(to_string(o.phase));
  sc["relapse_kind"] = std::string(to_string(o.relapse_kind));
  sc["blast_pct"] = *o.blast_pct;
  sc["blast_pct_unit"] = "% of leukocytes";
  sc["blast_pct_source"] = t.scenario.blast_pct_drawn ? "drawn from the phase default" : "given";
  sc["pre_escape_pct"] = *o.pre_escape_pct;
  sc["pre_escape_pct_unit"] = "% of CD34+ leukocytes (label pre_escape only)";
  sc["pre_escape_pct_source"] = t.scenario.pre_escape_pct_drawn ? "drawn from the phase default" : "given";
  sc["events"] = o.events;
  sc["instrument"] = o.instrument;
  sc["seed"] = o.seed;
  sc["stream"] = o.stream;
  sc["debris_pct"] = o.debris_pct;
  sc["doublet_pct"] = o.doublet_pct;
  sc["dead_pct"] = o.dead_pct;
  sc["drift_pct"] = o.drift_pct;
  sc["normal_cd34_fraction_of_normal_leukocytes"] = t.scenario.normal_cd34_fraction;
  sc["erythroid_fraction_of_nucleated"] = t.scenario.erythroid_fraction;
  json prob = json::object();
  for (auto p : all_populations()) prob[std::string(to_string(p))] = t.scenario.probability[static_cast<std::size_t>(p)];
  sc["label_probability"] = prob;
  j["scenario"] = sc;

  json legend = json::array();
  for (auto p : all_populations()) {
    legend.push_back({{"code", static_cast<int>(p)}, {"name", std::string(to_string(p))}, {"phenotype", std::string(phenotype(p))}});
  }
  j["legend"] = legend;
  json counts = json::object();
  for (auto p : all_populations()) counts[std::string(to_string(p))] = t.counts[static_cast<std::size_t>(p)];
  j["counts"] = counts;
  j["events"] = t.events;

  const std::size_t n_events = t.set("events").count, n_nuc = t.set("nucleated").count,
                    n_leuk = t.set("leukocytes").count, n_cd34 = t.set("cd34").count;
  json dens = json::object();
  for (const auto& s : t.denominators) {
    dens[s.name] = {{"definition", s.definition}, {"labels", label_names(s.labels)}, {"count", s.count}};
  }
  j["denominators"] = dens;
  json pops = json::object();
  for (const auto& s : t.populations) {
    json e = {{"definition", s.definition}, {"labels", label_names(s.labels)}, {"count", s.count}};
    bool in_cd34 = true;
    for (auto p : s.labels) {
      const auto& cd = t.set("cd34").labels;
      if (std::find(cd.begin(), cd.end(), p) == cd.end()) in_cd34 = false;
    }
    if (in_cd34) e["pct_of_cd34"] = pct(s.count, n_cd34);
    e["pct_of_leukocytes"] = pct(s.count, n_leuk);
    e["pct_of_nucleated"] = pct(s.count, n_nuc);
    e["pct_of_events"] = pct(s.count, n_events);
    pops[s.name] = e;
  }
  j["populations"] = pops;
  j["notes"] = {
      "Counts are of labels, i.e. of what each event truly is; a gate drawn on the data will differ at the edges.",
      "Percentages are 100 * count / denominator count; pct_of_cd34 is given only for sets inside the cd34 denominator.",
      "Leukemic blasts are CD34+ except the blast_cd34neg label (CD34-partial or CD34- B-ALL, a Variation knob); "
      "pre_escape counts CD19- blasts of a CD19-negative relapse too, as a CD19 x CD22 quadrant would."};
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string labels_tsv(std::span<const std::uint8_t> labels) {
  std::string out = "# escapade simulate: ground-truth population of each event, in FCS event order\n";
  out += "# code\tname\tphenotype\n";
  for (auto p : all_populations()) {
    out += "# " + std::to_string(static_cast<int>(p)) + "\t" + std::string(to_string(p)) + "\t" + std::string(phenotype(p)) + "\n";
  }
  out += "label\n";
  out.reserve(out.size() + labels.size() * 3);
  for (auto l : labels) {
    if (l >= 10) out.push_back(static_cast<char>('0' + l / 10));
    out.push_back(static_cast<char>('0' + l % 10));
    out.push_back('\n');
  }
  return out;
}

std::vector<std::uint8_t> parse_labels_tsv(std::string_view text, std::string_view source) {
  std::vector<std::uint8_t> out;
  std::size_t line_no = 0, pos = 0;
  bool header = false;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (!header) {
      if (line != "label") {
        throw InputError(ErrorKind::format, std::string(source), "line " + std::to_string(line_no),
                         "expected the header 'label'");
      }
      header = true;
      continue;
    }
    unsigned v = 0;
    auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
    if (ec != std::errc{} || p != line.data() + line.size() || v >= population_count) {
      throw InputError(ErrorKind::format, std::string(source), "line " + std::to_string(line_no),
                       "'" + std::string(line) + "' is not a label code 0-" + std::to_string(population_count - 1));
    }
    out.push_back(static_cast<std::uint8_t>(v));
  }
  if (!header) throw InputError(ErrorKind::format, std::string(source), "", "no 'label' header line");
  return out;
}

SampleFiles sample_files(const std::filesystem::path& fcs_path) {
  SampleFiles f;
  f.fcs = fcs_path;
  std::filesystem::path stem = fcs_path;
  stem.replace_extension();
  f.labels = stem;
  f.labels += ".labels.tsv";
  f.truth = stem;
  f.truth += ".truth.json";
  return f;
}

SampleFiles write_sample(const SimulatedSample& sample, const std::filesystem::path& fcs_path, bool overwrite) {
  const SampleFiles f = sample_files(fcs_path);
  if (!overwrite) {
    std::error_code ec;
    for (const auto& p : {f.fcs, f.labels, f.truth}) {
      if (std::filesystem::exists(p, ec)) throw InputError(ErrorKind::io, p.string(), "", "file exists; not overwritten");
    }
  }
  fcs::WriteOptions wo;
  wo.precision = fcs::WriteOptions::Precision::float32;
  fcs::write_fcs_file(f.fcs, sample.data_set, wo, overwrite);
  write_file<InputError>(f.labels, labels_tsv(sample.labels), overwrite);
  write_file<InputError>(f.truth,
                         truth_json(sample.truth, f.fcs.filename().string(), f.labels.filename().string()),
                         overwrite);
  return f;
}

}  // namespace escapade::sim
