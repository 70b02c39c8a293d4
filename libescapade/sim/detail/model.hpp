#pragma once
// The simulator's biology (phenotype per population) and physics (instrument profiles).
// Intensities are in "BD units": the scale of a BD float file ($PnR 262144) for a dye of
// brightness 1; an instrument multiplies them by its own scale and each dye's brightness.
#include <array>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "libescapade/sim/sim.hpp"

namespace escapade::sim::detail {

enum class Marker : std::uint8_t { cd45, cd34, cd19, cd22, cd38, cd10, cd20, cd33, cd13, cd3, cd56, cd14, hladr, viability };
inline constexpr std::size_t marker_count = 14;

struct Phenotype {
  double fsc = 0, fsc_sd = 0.1;  // median (BD units) and sd of its natural log
  double ssc = 0, ssc_sd = 0.2;
  double autofluorescence = 50;  // in a detector of af_weight 1
  std::array<double, marker_count> median{};      // 0 = not expressed
  std::array<double, marker_count> sdlog{};
  bool continuum = false;                         // maturation from `median` to `median_end`
  std::array<double, marker_count> median_end{};
};

// The phenotype of a population (debris, erythroid, leukocytes and blasts; doublet and dead
// are built from the others). Immutable table.
const Phenotype& phenotype_of(Population p);

struct Detector {
  std::string name;         // $PnN
  std::string stain;        // $PnS
  std::vector<Marker> markers;
  double brightness = 1;    // dye brightness relative to BD units
  double af_weight = 0.5;   // how much cellular autofluorescence this detector sees
  double noise_sd = 20;     // electronic noise, instrument units
  double units_per_pe = 5;  // instrument units per photoelectron (photon-counting noise)
  double voltage = 500;     // $PnV
  int laser_nm = 488;       // $PnL
  std::string filter;       // $PnF
};

struct Instrument {
  std::string id;           // "bd-lyric"
  std::string cytometer;    // $CYT
  std::string creator;      // CREATOR
  std::string serial;       // $CYTSN
  double scale = 1;         // instrument units per BD unit
  double fl_range = 262144; // $PnR of fluorescence
  double scatter_range = 262144;
  double fsc_voltage = 380, ssc_voltage = 280;
  std::array<std::string, 6> scatter_names{"FSC-A", "FSC-H", "FSC-W", "SSC-A", "SSC-H", "SSC-W"};
  std::string time_name = "Time";
  bool time_first = false;
  double width_scale = 65536;  // FSC-W of a singlet pulse
  double event_rate = 4000;    // events per second
  double time_resolution = 0.01;  // seconds per time tick
  std::vector<Detector> detectors;
  std::vector<double> spillover;  // detectors² row-major, FCS 3.1 orientation
  std::vector<std::pair<std::string, std::string>> keywords;  // non-$ and $ instrument keywords
};

// The profile called `id`, or nullptr.
const Instrument* find_instrument(const std::string& id);
// All profiles, in a stable order.
const std::vector<Instrument>& instruments();

}  // namespace escapade::sim::detail
