// The Python front end (`import escapade`): a thin pybind11 layer over libescapade. It
// converts arguments and results and holds the GIL only while it touches Python objects;
// everything else is a library call, the same ones the CLI makes.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "libescapade/bal/results.hpp"
#include "libescapade/bal/sample.hpp"
#include "libescapade/cohort/cohort.hpp"
#include "libescapade/report/cohort_report.hpp"
#include "libescapade/sim/sim.hpp"
#include "libescapade/base/error.hpp"
#include "libescapade/comp/comp.hpp"
#include "libescapade/fcs/fcs.hpp"
#include "libescapade/gate/flowjo.hpp"
#include "libescapade/gate/gate.hpp"
#include "libescapade/gate/gatingml.hpp"
#include "libescapade/gate/population_table.hpp"
#include "libescapade/report/plot.hpp"
#include "libescapade/transform/transform.hpp"
#include "libescapade/version.hpp"

namespace py = pybind11;
using namespace escapade;

namespace {

// One data set and the file it came from. Python holds it by shared_ptr, and every NumPy
// array over its columns keeps it alive (the array's base is the Sample).
struct Sample {
  std::string source;
  std::shared_ptr<const fcs::DataSet> data;
};

// A gating plan with the file it came from.
struct Strategy {
  std::shared_ptr<const gate::GatingPlan> plan;
};

// Memberships of a plan on one sample, with what the population table needs.
struct Results {
  std::shared_ptr<const Sample> sample;
  std::shared_ptr<const gate::GatingPlan> plan;
  std::shared_ptr<const gate::GatingResult> result;
  std::string sample_name;
  std::map<std::string, std::string> labels;     // population id → printed name
  std::map<std::string, std::int64_t> flowjo;    // population id → FlowJo's stored count
};

struct WorkspaceHandle {
  std::shared_ptr<const gate::Workspace> workspace;
  std::optional<std::filesystem::path> fcs_dir;
};

std::size_t column_index(const fcs::DataSet& ds, const py::object& channel) {
  if (py::isinstance<py::int_>(channel)) {
    const auto k = channel.cast<long long>();
    if (k < 0 || static_cast<std::size_t>(k) >= ds.events.channel_count()) {
      throw py::index_error("channel " + std::to_string(k) + " is out of range (the sample has " +
                            std::to_string(ds.events.channel_count()) + " channels)");
    }
    return static_cast<std::size_t>(k);
  }
  const std::string name = channel.cast<std::string>();
  const auto names = ds.resolve_channels({name}, "", "channel");
  return ds.events.index_of(names.front());
}

// A read-only NumPy view of one column: no copy, its base keeps the Sample alive.
py::array column_view(const std::shared_ptr<const Sample>& s, std::size_t k) {
  const auto values = s->data->events.channel(k);
  py::array a(py::dtype::of<double>(), {static_cast<py::ssize_t>(values.size())}, {static_cast<py::ssize_t>(sizeof(double))},
              values.data(), py::cast(s));
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

py::array_t<double> to_numpy(std::vector<double>&& values) {
  auto* heap = new std::vector<double>(std::move(values));
  py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<double>*>(p); });
  return py::array_t<double>({static_cast<py::ssize_t>(heap->size())}, {static_cast<py::ssize_t>(sizeof(double))}, heap->data(),
                             owner);
}

std::vector<double> from_numpy(const py::array_t<double, py::array::c_style | py::array::forcecast>& x) {
  return std::vector<double>(x.data(), x.data() + x.size());
}

// Applies `t` (or its inverse) to an array of any shape; the result has the same shape.
py::array_t<double> apply_transform(const transform::Transform& t, const py::array_t<double, py::array::c_style | py::array::forcecast>& x,
                                    bool inverse) {
  std::vector<double> in = from_numpy(x);
  std::vector<double> out(in.size());
  {
    py::gil_scoped_release release;
    if (inverse) {
      t.inverse(in, out);
    } else {
      t.apply(in, out);
    }
  }
  py::array_t<double> result = to_numpy(std::move(out));
  std::vector<py::ssize_t> shape(x.shape(), x.shape() + x.ndim());
  return result.reshape(shape);
}

std::shared_ptr<Sample> read_sample(const std::filesystem::path& path, std::size_t data_set, int threads) {
  fcs::ReadOptions o;
  o.data_set = data_set;
  o.num_threads = threads;
  fcs::FcsFile f;
  {
    py::gil_scoped_release release;
    f = fcs::read_fcs_file(path, o);
  }
  auto s = std::make_shared<Sample>();
  s->source = path.string();
  s->data = std::make_shared<const fcs::DataSet>(std::move(f.data_sets.front()));
  return s;
}

std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

Results gate_sample(const std::shared_ptr<const gate::GatingPlan>& plan, const std::shared_ptr<const Sample>& sample, int threads) {
  Results r;
  r.sample = sample;
  r.plan = plan;
  r.sample_name = file_name(sample->source);
  {
    py::gil_scoped_release release;
    r.result = std::make_shared<const gate::GatingResult>(gate::apply(*plan, sample->data->events, gate::file_apply_options(*sample->data, sample->source, threads)));
  }
  for (const auto& id : plan->populations()) r.labels[id] = id;
  return r;
}

// The population table of FlowKit's `get_gating_results().report`: one dict per population.
py::list report_rows(const Results& r, const gate::StatisticsRequest& request, int threads) {
  std::vector<std::string> extra;
  gate::GatedSample g;
  g.sample = r.sample_name;
  g.data = r.sample->data.get();
  g.plan = r.plan.get();
  g.result = r.result.get();
  g.label = [&r](const std::string& id) {
    const auto it = r.labels.find(id);
    return it == r.labels.end() ? id : it->second;
  };
  if (!r.flowjo.empty()) {
    extra.push_back("flowjo_count");
    for (const auto& [id, n] : r.flowjo) g.extra[id]["flowjo_count"] = n < 0 ? "" : std::to_string(n);
  }
  gate::PopulationTable table(request, extra, threads);
  {
    py::gil_scoped_release release;
    table.add(g);
  }
  py::list rows;
  const auto& header = table.header();
  for (const auto& row : table.rows()) {
    py::dict d;
    for (std::size_t c = 0; c < header.size(); ++c) {
      const std::string& cell = row[c];
      const bool text = header[c] == "sample" || header[c] == "population" || header[c] == "parent";
      if (text) {
        d[py::str(header[c])] = cell;
      } else if (cell.empty()) {
        d[py::str(header[c])] = py::none();
      } else if (header[c] == "count" || header[c] == "flowjo_count") {
        d[py::str(header[c])] = std::stoll(cell);
      } else {
        d[py::str(header[c])] = cell == "NaN" || cell == "nan" ? std::numeric_limits<double>::quiet_NaN() : std::stod(cell);
      }
    }
    rows.append(d);
  }
  return rows;
}

py::object maybe_pandas(const py::list& rows) {
  py::module_ pandas;
  try {
    pandas = py::module_::import("pandas");
  } catch (const py::error_already_set&) {
    throw py::import_error("to_pandas() needs pandas (Debian: apt install python3-pandas)");
  }
  return pandas.attr("DataFrame")(rows);
}

const gate::WorkspaceSample& workspace_sample(const gate::Workspace& w, const std::string& id) {
  const auto* s = w.find_sample(id);
  if (s == nullptr) {
    std::string names;
    for (const auto& x : w.samples) names += (names.empty() ? "" : ", ") + x.name;
    throw InputError(ErrorKind::reference, w.source, "sample \"" + id + "\"", "no such sample (the workspace has: " + names + ")");
  }
  return *s;
}

}  // namespace

py::object json_loads(const std::string& text) { return py::module_::import("json").attr("loads")(text); }

PYBIND11_MODULE(_escapade, m) {
  m.doc() = "Escapade: exact, fast flow cytometry (libescapade) for Python";
  m.attr("__version__") = escapade::version_string;

  // Errors: escapade.Error and one subclass per library kind, carrying kind, file, where and
  // reason as attributes (the same fields as the CLI's messages).
  static py::exception<Error> error(m, "Error");
  static py::exception<FcsError> fcs_error(m, "FcsError", error.ptr());
  static py::exception<GatingMlError> gml_error(m, "GatingMlError", error.ptr());
  static py::exception<WorkspaceError> ws_error(m, "WorkspaceError", error.ptr());
  static py::exception<GateTreeError> tree_error(m, "GateTreeError", error.ptr());
  static py::exception<InputError> input_error(m, "InputError", error.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    if (!p) return;
    try {
      std::rethrow_exception(p);
    } catch (const Error& e) {
      PyObject* type = error.ptr();
      if (dynamic_cast<const FcsError*>(&e) != nullptr) type = fcs_error.ptr();
      if (dynamic_cast<const GatingMlError*>(&e) != nullptr) type = gml_error.ptr();
      if (dynamic_cast<const WorkspaceError*>(&e) != nullptr) type = ws_error.ptr();
      if (dynamic_cast<const GateTreeError*>(&e) != nullptr) type = tree_error.ptr();
      if (dynamic_cast<const InputError*>(&e) != nullptr) type = input_error.ptr();
      py::object instance = py::reinterpret_steal<py::object>(PyObject_CallFunction(type, "s", e.what()));
      if (!instance) return;  // the Python error from the call stands
      instance.attr("kind") = std::string(to_string(e.kind()));
      instance.attr("file") = e.source();
      instance.attr("where") = e.where();
      instance.attr("reason") = e.reason();
      PyErr_SetObject(type, instance.ptr());
    }
  });

  py::class_<fcs::SpilloverMatrix>(m, "SpilloverMatrix", "A spillover matrix over named detectors ($SPILLOVER).")
      .def(py::init([](std::vector<std::string> detectors, const py::array_t<double, py::array::c_style | py::array::forcecast>& values) {
             return fcs::SpilloverMatrix(std::move(detectors), from_numpy(values));
           }),
           py::arg("detectors"), py::arg("values"))
      .def_property_readonly("detectors", &fcs::SpilloverMatrix::detectors)
      .def_property_readonly("values",
                             [](const fcs::SpilloverMatrix& s) {
                               const auto v = s.values();
                               const auto n = static_cast<py::ssize_t>(s.size());
                               py::array_t<double> a({n, n});
                               std::copy(v.begin(), v.end(), a.mutable_data());
                               return a;
                             })
      .def("__repr__", [](const fcs::SpilloverMatrix& s) { return "SpilloverMatrix(" + std::to_string(s.size()) + " detectors)"; });

  py::class_<fcs::Parameter>(m, "Channel", "One parameter of an FCS data set ($PnN, $PnS, $PnR …).")
      .def_readonly("number", &fcs::Parameter::number)
      .def_readonly("name", &fcs::Parameter::name, "$PnN")
      .def_readonly("stain", &fcs::Parameter::stain, "$PnS")
      .def_readonly("range", &fcs::Parameter::range, "$PnR")
      .def_readonly("bits", &fcs::Parameter::bits, "$PnB")
      .def_readonly("gain", &fcs::Parameter::gain, "$PnG")
      .def_readonly("voltage", &fcs::Parameter::voltage, "$PnV")
      .def_readonly("is_time", &fcs::Parameter::is_time)
      .def_property_readonly("datatype", [](const fcs::Parameter& p) { return std::string(fcs::to_string(p.datatype)); })
      .def_property_readonly("amplification", &fcs::Parameter::amplification)
      .def("__repr__", [](const fcs::Parameter& p) { return "Channel(" + p.name + (p.stain.empty() ? "" : ", " + p.stain) + ")"; });

  py::class_<Sample, std::shared_ptr<Sample>>(m, "Sample", "One FCS data set: its channels, keywords and events.")
      .def_property_readonly("source", [](const Sample& s) { return s.source; })
      .def_property_readonly("event_count", [](const Sample& s) { return s.data->events.event_count(); })
      .def("__len__", [](const Sample& s) { return s.data->events.event_count(); })
      .def_property_readonly("version", [](const Sample& s) { return s.data->version; })
      .def_property_readonly("channels", [](const Sample& s) { return s.data->parameters; })
      .def_property_readonly("pnn_labels",
                             [](const Sample& s) {
                               std::vector<std::string> v;
                               for (const auto& c : s.data->events.channels()) v.push_back(c.name);
                               return v;
                             })
      .def_property_readonly("pns_labels",
                             [](const Sample& s) {
                               std::vector<std::string> v;
                               for (const auto& c : s.data->events.channels()) v.push_back(c.stain);
                               return v;
                             })
      .def_property_readonly("keywords",
                             [](const Sample& s) {
                               py::dict d;
                               for (const auto& k : s.data->keywords.all()) d[py::str(k.name)] = k.value;
                               return d;
                             })
      .def_property_readonly("spillover", [](const Sample& s) -> std::optional<fcs::SpilloverMatrix> { return s.data->spillover; })
      .def_property_readonly("warnings",
                             [](const Sample& s) {
                               std::vector<std::string> v;
                               for (const auto& w : s.data->warnings) v.push_back(w.message());
                               return v;
                             })
      .def(
          "channel", [](const std::shared_ptr<Sample>& s, const py::object& channel) { return column_view(s, column_index(*s->data, channel)); },
          py::arg("channel"),
          "The events of one channel ($PnN, a unique $PnS, or an index) as a read-only NumPy array that shares the "
          "sample's memory (no copy).")
      .def_property_readonly(
          "columns",
          [](const std::shared_ptr<Sample>& s) {
            py::list l;
            for (std::size_t k = 0; k < s->data->events.channel_count(); ++k) l.append(column_view(s, k));
            return l;
          },
          "Every channel as a read-only NumPy array sharing the sample's memory, in channel order.")
      .def(
          "get_events",
          [](const Sample& s) {
            const auto& ev = s.data->events;
            const auto n = static_cast<py::ssize_t>(ev.event_count());
            const auto c = static_cast<py::ssize_t>(ev.channel_count());
            py::array_t<double, py::array::f_style> a({n, c});
            for (py::ssize_t k = 0; k < c; ++k) {
              const auto col = ev.channel(static_cast<std::size_t>(k));
              std::copy(col.begin(), col.end(), a.mutable_data() + k * n);
            }
            return a;
          },
          "Events × channels as one Fortran-ordered array (a copy: the sample stores one array per channel).")
      .def(
          "compensate",
          [](const Sample& s, std::optional<fcs::SpilloverMatrix> spillover, int threads) {
            const fcs::SpilloverMatrix* matrix = spillover ? &*spillover : (s.data->spillover ? &*s.data->spillover : nullptr);
            if (matrix == nullptr) {
              if (s.data->spillover_problem) throw InputError(ErrorKind::format, s.source, s.data->spillover_problem->where, s.data->spillover_problem->reason);
              throw InputError(ErrorKind::reference, s.source, "compensate", "the file has no spillover matrix; pass one");
            }
            auto out = std::make_shared<Sample>();
            out->source = s.source;
            auto ds = std::make_shared<fcs::DataSet>();
            {
              py::gil_scoped_release release;
              const comp::Compensation c(*matrix);
              comp::ApplyOptions o;
              o.num_threads = threads;
              EventMatrix events = comp::compensate(s.data->events, c, o);
              *ds = *s.data;
              ds->events = std::move(events);
            }
            out->data = ds;
            return out;
          },
          py::arg("spillover") = py::none(), py::arg("threads") = 0,
          "A new Sample with compensated values: the file's own spillover unless one is given.")
      .def(
          "to_pandas",
          [](const std::shared_ptr<Sample>& s) {
            py::dict cols;
            for (std::size_t k = 0; k < s->data->events.channel_count(); ++k) cols[py::str(s->data->events.label(k).name)] = column_view(s, k);
            return py::module_::import("pandas").attr("DataFrame")(cols, py::arg("copy") = false);
          },
          "The events as a pandas DataFrame (columns named by $PnN).")
      .def("_column_address", [](const Sample& s, std::size_t k) { return reinterpret_cast<std::uintptr_t>(s.data->events.channel(k).data()); })
      .def("__repr__", [](const Sample& s) {
        return "Sample(" + file_name(s.source) + ": " + std::to_string(s.data->events.event_count()) + " events, " +
               std::to_string(s.data->events.channel_count()) + " channels)";
      });

  m.def("read_fcs", &read_sample, py::arg("path"), py::arg("dataset") = 0, py::arg("threads") = 0,
        "Reads data set `dataset` (0-based) of an FCS 2.0/3.0/3.1/3.2 file as scale values.");

  // Transforms as functions on arrays (Gating-ML 2.0 §6 parameter names).
  m.def("logicle", [](const py::array_t<double, py::array::c_style | py::array::forcecast>& x, double t, double w, double m_, double a, bool inverse) {
          return apply_transform(transform::Transform(transform::LogicleTransform(t, w, m_, a)), x, inverse);
        },
        py::arg("x"), py::arg("t") = 262144.0, py::arg("w") = 0.5, py::arg("m") = 4.5, py::arg("a") = 0.0, py::arg("inverse") = false,
        "Logicle (Parks et al. 2006; Gating-ML 2.0 §6.5) of every value, scaled to [0, 1].");
  m.def("hyperlog", [](const py::array_t<double, py::array::c_style | py::array::forcecast>& x, double t, double w, double m_, double a, bool inverse) {
          return apply_transform(transform::Transform(transform::HyperlogTransform(t, w, m_, a)), x, inverse);
        },
        py::arg("x"), py::arg("t") = 262144.0, py::arg("w") = 0.5, py::arg("m") = 4.5, py::arg("a") = 0.0, py::arg("inverse") = false,
        "Hyperlog (Bagwell 2005; Gating-ML 2.0 §6.6).");
  m.def("asinh", [](const py::array_t<double, py::array::c_style | py::array::forcecast>& x, double t, double m_, double a, bool inverse) {
          return apply_transform(transform::Transform(transform::AsinhTransform(t, m_, a)), x, inverse);
        },
        py::arg("x"), py::arg("t") = 262144.0, py::arg("m") = 4.5, py::arg("a") = 0.0, py::arg("inverse") = false,
        "Parametrized inverse hyperbolic sine (Gating-ML 2.0 §6.4).");
  m.def("log", [](const py::array_t<double, py::array::c_style | py::array::forcecast>& x, double t, double m_, bool inverse) {
          return apply_transform(transform::Transform(transform::LogTransform(t, m_)), x, inverse);
        },
        py::arg("x"), py::arg("t") = 262144.0, py::arg("m") = 4.5, py::arg("inverse") = false, "Parametrized logarithm (Gating-ML 2.0 §6.2).");
  m.def("linear", [](const py::array_t<double, py::array::c_style | py::array::forcecast>& x, double t, double a, bool inverse) {
          return apply_transform(transform::Transform(transform::LinearTransform(t, a)), x, inverse);
        },
        py::arg("x"), py::arg("t") = 262144.0, py::arg("a") = 0.0, py::arg("inverse") = false, "Parametrized linear (Gating-ML 2.0 §6.1).");

  py::class_<Results>(m, "GatingResults", "Memberships of every population of a strategy on one sample.")
      .def_property_readonly("sample", [](const Results& r) { return r.sample_name; })
      .def_property_readonly("populations", [](const Results& r) { return r.result->populations(); })
      .def("count", [](const Results& r, const std::string& p) { return r.result->count(p); }, py::arg("population"))
      .def("parent", [](const Results& r, const std::string& p) { return r.result->parent(p); }, py::arg("population"))
      .def("percent_of_parent", [](const Results& r, const std::string& p) { return r.result->percent_of_parent(p); }, py::arg("population"))
      .def("percent_of_total", [](const Results& r, const std::string& p) { return r.result->percent_of_total(p); }, py::arg("population"))
      .def(
          "flowjo_count",
          [](const Results& r, const std::string& p) -> std::optional<std::int64_t> {
            const auto it = r.flowjo.find(p);
            if (it == r.flowjo.end() || it->second < 0) return std::nullopt;
            return it->second;
          },
          py::arg("population"), "The count FlowJo stored in the workspace (None when it stored none).")
      .def(
          "memberships",
          [](const Results& r, const std::string& p) {
            const gate::Membership& mem = r.result->membership(p);
            py::array_t<bool> a(static_cast<py::ssize_t>(mem.size()));
            bool* out = a.mutable_data();
            for (std::size_t e = 0; e < mem.size(); ++e) out[e] = mem.test(e);
            return a;
          },
          py::arg("population"), "One bool per event: whether it is in the population.")
      .def(
          "report",
          [](const Results& r, std::vector<std::string> stats, std::vector<std::string> channels, std::string scale, int threads) {
            return report_rows(r, {std::move(stats), std::move(channels), std::move(scale)}, threads);
          },
          py::arg("stats") = std::vector<std::string>{}, py::arg("channels") = std::vector<std::string>{}, py::arg("scale") = "raw",
          py::arg("threads") = 0,
          "One dict per population: sample, population, parent, count, pct_parent, pct_total (and flowjo_count for a "
          "workspace), then `<stat>:<channel>` for each statistic asked (mean, median, gmean, sd, rsd, cv, rcv, min, max, pNN).")
      .def(
          "to_pandas",
          [](const Results& r, std::vector<std::string> stats, std::vector<std::string> channels, std::string scale, int threads) {
            return maybe_pandas(report_rows(r, {std::move(stats), std::move(channels), std::move(scale)}, threads));
          },
          py::arg("stats") = std::vector<std::string>{}, py::arg("channels") = std::vector<std::string>{}, py::arg("scale") = "raw",
          py::arg("threads") = 0, "`report()` as a pandas DataFrame.")
      .def(
          "plot",
          [](const Results& r, const std::string& population, const std::string& x, const std::string& y, const std::filesystem::path& path,
             const std::string& scale, bool compensate, std::size_t bins, const std::string& title, int width, int height, bool overwrite) {
            report::PopulationPlotRequest request;
            request.x = x;
            request.y = y;
            request.population = population;
            static const std::map<std::string, report::Scale> scales{{"auto", report::Scale::automatic}, {"logicle", report::Scale::logicle},
                                                                      {"linear", report::Scale::linear},  {"asinh", report::Scale::asinh},
                                                                      {"none", report::Scale::none}};
            const auto it = scales.find(scale);
            if (it == scales.end()) throw InputError(ErrorKind::invalid_argument, "", "scale", "\"" + scale + "\": use auto, logicle, linear, asinh or none");
            request.scale = it->second;
            request.compensate = compensate;
            request.bins = bins;
            request.title = title;
            report::DensityPlot plot;
            {
              py::gil_scoped_release release;
              const gate::ApplyOptions options = gate::file_apply_options(*r.sample->data, r.sample->source);
              const report::PopulationPlot made = report::population_plot(*r.sample->data, r.sample->source, *r.plan, request, options);
              plot = report::make_density_plot(*r.plan, r.sample->data->events, made.spec, r.result.get(), options);
              report::RenderOptions ro;
              ro.width = width;
              ro.height = height;
              ro.overwrite = overwrite;
              report::render_file(plot, path, ro);
            }
            py::dict gates;
            for (const auto& g : plot.gates) gates[py::str(g.id)] = g.count;
            py::dict out;
            out["path"] = path.string();
            out["events"] = plot.histogram.total;
            out["gates"] = gates;
            return out;
          },
          py::arg("population"), py::arg("x"), py::arg("y"), py::arg("path"), py::arg("scale") = "auto", py::arg("compensate") = false,
          py::arg("bins") = 256, py::arg("title") = "", py::arg("width") = 620, py::arg("height") = 616, py::arg("overwrite") = false,
          "Pseudocolour density plot of a population on two channels, its child gates drawn, as PNG, SVG or PDF "
          "(by the path's extension). Returns the path, the events plotted and each drawn gate's count.")
      .def("__repr__", [](const Results& r) {
        return "GatingResults(" + r.sample_name + ": " + std::to_string(r.result->populations().size()) + " populations)";
      });

  py::class_<Strategy>(m, "GatingStrategy", "A gating plan: compensation, transforms and gates (Gating-ML 2.0).")
      .def_static(
          "from_gatingml",
          [](const std::filesystem::path& path) {
            Strategy s;
            py::gil_scoped_release release;
            s.plan = std::make_shared<const gate::GatingPlan>(gate::read_gatingml_file(path));
            return s;
          },
          py::arg("path"))
      .def_property_readonly("populations", [](const Strategy& s) { return s.plan->populations(); })
      .def("parent", [](const Strategy& s, const std::string& p) { return s.plan->parent(p); }, py::arg("population"))
      .def("to_gatingml", [](const Strategy& s) { return gate::write_gatingml(*s.plan); })
      .def("gate", [](const Strategy& s, const std::shared_ptr<Sample>& sample, int threads) { return gate_sample(s.plan, sample, threads); },
           py::arg("sample"), py::arg("threads") = 0)
      .def("__repr__", [](const Strategy& s) {
        return "GatingStrategy(" + file_name(s.plan->source()) + ": " + std::to_string(s.plan->populations().size()) + " populations)";
      });

  py::class_<WorkspaceHandle>(m, "Workspace", "A FlowJo workspace (.wsp) and the folder of its FCS files.")
      .def(py::init([](const std::filesystem::path& path, std::optional<std::filesystem::path> fcs_dir, std::string binning) {
             gate::WorkspaceOptions o;
             if (binning == "exact") {
               o.binning = gate::FlowJoBinning::exact;
             } else if (binning != "flowjo") {
               throw InputError(ErrorKind::invalid_argument, path.string(), "binning", "\"" + binning + "\": use \"flowjo\" or \"exact\"");
             }
             WorkspaceHandle w;
             w.fcs_dir = fcs_dir ? fcs_dir : std::optional<std::filesystem::path>(path.parent_path());
             py::gil_scoped_release release;
             w.workspace = std::make_shared<const gate::Workspace>(gate::read_workspace_file(path, o));
             return w;
           }),
           py::arg("path"), py::arg("fcs_dir") = py::none(), py::arg("binning") = "flowjo")
      .def_property_readonly("version", [](const WorkspaceHandle& w) { return w.workspace->flowjo_version; })
      .def_property_readonly("samples",
                             [](const WorkspaceHandle& w) {
                               std::vector<std::string> v;
                               for (const auto& s : w.workspace->samples) v.push_back(s.name);
                               return v;
                             })
      .def_property_readonly("warnings",
                             [](const WorkspaceHandle& w) {
                               std::vector<std::string> v;
                               for (const auto& x : w.workspace->warnings) v.push_back(x.message());
                               return v;
                             })
      .def(
          "populations",
          [](const WorkspaceHandle& w, const std::string& sample) {
            std::vector<std::string> v;
            for (const auto& p : workspace_sample(*w.workspace, sample).populations) v.push_back(p.path);
            return v;
          },
          py::arg("sample"), "Population paths of a sample (FlowJo's names joined by '/').")
      .def(
          "gate",
          [](const WorkspaceHandle& w, const std::string& sample_id, std::optional<std::shared_ptr<Sample>> sample, int threads) {
            const gate::WorkspaceSample& ws = workspace_sample(*w.workspace, sample_id);
            std::shared_ptr<Sample> s;
            if (sample) {
              s = *sample;
            } else {
              std::filesystem::path path;
              {
                py::gil_scoped_release release;
                path = gate::find_sample_file(ws, *w.fcs_dir);
              }
              s = read_sample(path, 0, threads);
            }
            // The plan lives in the workspace, which the results keep alive.
            std::shared_ptr<const gate::GatingPlan> plan(w.workspace, &ws.plan);
            Results r = gate_sample(plan, s, threads);
            for (const auto& p : ws.populations) {
              r.labels[p.id] = p.path;
              r.flowjo[p.id] = p.flowjo_count;
            }
            return r;
          },
          py::arg("sample"), py::arg("fcs") = py::none(), py::arg("threads") = 0,
          "Gates a sample of the workspace (by sample id or name); its FCS file is found in fcs_dir unless given.")
      .def("__repr__", [](const WorkspaceHandle& w) { return w.workspace->summary(); });

  m.def(
      "analyze",
      [](const std::filesystem::path& path, std::string panel, std::optional<std::filesystem::path> template_path,
         std::optional<std::filesystem::path> fish, std::optional<std::filesystem::path> review,
         std::optional<std::filesystem::path> negative_control, std::size_t dataset, int threads) {
        std::string json;
        {
          py::gil_scoped_release release;
          bal::SampleOptions o;
          o.panel = bal::load_panel(panel);
          if (template_path) o.gating_template = bal::read_template_file(*template_path);
          if (review) o.review = bal::read_review_file(*review);
          o.fish = fish;
          o.negative_control = negative_control;
          o.data_set = dataset;
          o.num_threads = threads;
          const bal::SampleAnalysis s = bal::analyze_sample(path, o);
          json = bal::results_json({s.data(), s.analysis, o.gating_template, o.panel, s.fish ? &*s.fish : nullptr, s.flags});
        }
        return json_loads(json);
      },
      py::arg("path"), py::arg("panel") = "bal_escape", py::arg("template") = py::none(), py::arg("fish") = py::none(),
      py::arg("review") = py::none(), py::arg("negative_control") = py::none(), py::arg("dataset") = 0, py::arg("threads") = 1,
      "The automatic B-ALL escape analysis of one FCS file: the content of `escapade analyze`'s results.json, as a dict.");

  m.def(
      "simulate",
      [](const std::string& phase, std::size_t events, std::uint64_t seed, const std::string& instrument, std::optional<std::string> relapse_kind,
         bool random_world, int threads) {
        sim::SampleOptions o;
        o.phase = sim::parse_phase(phase);
        o.events = events;
        o.seed = seed;
        o.instrument = instrument;
        if (relapse_kind) o.relapse_kind = sim::parse_relapse_kind(*relapse_kind);
        if (random_world) o.variation = sim::Variation::random(seed);
        o.num_threads = threads;
        sim::SimulatedSample s;
        {
          py::gil_scoped_release release;
          s = sim::simulate_sample(o);
        }
        auto sample = std::make_shared<Sample>();
        sample->source = "<simulated " + phase + " seed " + std::to_string(seed) + ">";
        sample->data = std::make_shared<const fcs::DataSet>(std::move(s.data_set));
        py::array_t<std::uint8_t> labels(static_cast<py::ssize_t>(s.labels.size()));
        std::copy(s.labels.begin(), s.labels.end(), labels.mutable_data());
        return py::make_tuple(sample, labels, json_loads(sim::truth_json(s.truth)));
      },
      py::arg("phase") = "diagnosis", py::arg("events") = 100000, py::arg("seed") = 1, py::arg("instrument") = "bd-lyric",
      py::arg("relapse_kind") = py::none(), py::arg("random_world") = false, py::arg("threads") = 0,
      "A simulated B-ALL marrow tube in memory: (Sample, labels as uint8 per event, truth as a dict). random_world "
      "draws the world's departures from the default (sim::Variation::random) from the seed.");

  m.def(
      "cohort_run",
      [](const std::filesystem::path& manifest, const std::filesystem::path& db, int jobs, const std::string& panel, bool force_rerun,
         std::size_t max_samples) {
        cohort::RunSummary r;
        {
          py::gil_scoped_release release;
          const cohort::Manifest rows = cohort::read_manifest(manifest);
          cohort::RunOptions o;
          o.jobs = jobs;
          o.panel = bal::load_panel(panel);
          o.force_rerun = force_rerun;
          o.max_samples = max_samples;
          r = cohort::run_cohort(rows, db, o);
        }
        py::dict d;
        d["total"] = r.total;
        d["analysed"] = r.analysed;
        d["skipped"] = r.skipped;
        d["failed"] = r.failed;
        d["not_started"] = r.not_started;
        d["seconds"] = r.seconds;
        d["summary"] = r.summary();
        return d;
      },
      py::arg("manifest"), py::arg("db"), py::arg("jobs") = 1, py::arg("panel") = "bal_escape", py::arg("force_rerun") = false,
      py::arg("max_samples") = 0,
      "`escapade cohort run`: analyses every new or changed sample of the manifest into the SQLite database.");

  m.def(
      "cohort_report",
      [](const std::filesystem::path& db, const std::filesystem::path& out, std::optional<double> reference_pct) {
        report::CohortReportOptions o;
        o.reference_pct = reference_pct;
        report::CohortReportFiles files;
        std::size_t samples = 0, patients = 0;
        {
          py::gil_scoped_release release;
          const cohort::Store store = cohort::Store::open(db, {.read_only = true});
          const report::CohortAnalysis a = report::analyze_cohort(store, o);
          files = report::write_cohort_report(a, out, o);
          samples = a.samples_complete;
          patients = a.patients;
        }
        py::dict d;
        d["html"] = files.html.string();
        d["pdf"] = files.pdf.string();
        std::vector<std::string> tables, figures;
        for (const auto& t : files.tables) tables.push_back(t.string());
        for (const auto& f : files.figures) figures.push_back(f.string());
        d["tables"] = tables;
        d["figures"] = figures;
        d["samples"] = samples;
        d["patients"] = patients;
        return d;
      },
      py::arg("db"), py::arg("out"), py::arg("reference_pct") = py::none(),
      "`escapade cohort report`: the cohort report (HTML, PDF, tables, figures) of a database into `out`.");
}
