// Phenotype table and instrument profiles (see model.hpp). The numbers are chosen to look
// like real marrow on a BD-scale biexponential plot: CD45 bright lymphocytes and monocytes,
// CD45-dim blasts and progenitors, SSC-high granulocytes, CD45− erythroid precursors.
#include "libescapade/sim/detail/model.hpp"

#include <initializer_list>

namespace escapade::sim::detail {
namespace {

struct M {
  Marker marker;
  double median;
  double sdlog;
  double median_end = -1;  // -1 = same as median
};

Phenotype make(double fsc, double fsc_sd, double ssc, double ssc_sd, double af, std::initializer_list<M> markers) {
  Phenotype p;
  p.fsc = fsc;
  p.fsc_sd = fsc_sd;
  p.ssc = ssc;
  p.ssc_sd = ssc_sd;
  p.autofluorescence = af;
  for (auto& s : p.sdlog) s = 0.3;
  for (const auto& m : markers) {
    const auto k = static_cast<std::size_t>(m.marker);
    p.median[k] = m.median;
    p.sdlog[k] = m.sdlog;
    if (m.median_end >= 0) p.continuum = true;
  }
  p.median_end = p.median;
  for (const auto& m : markers) {
    if (m.median_end >= 0) p.median_end[static_cast<std::size_t>(m.marker)] = m.median_end;
  }
  return p;
}

std::array<Phenotype, population_count> build_phenotypes() {
  using enum Marker;
  std::array<Phenotype, population_count> t{};
  auto at = [&](Population p) -> Phenotype& { return t[static_cast<std::size_t>(p)]; };
  at(Population::debris) = make(12000, 0.6, 7000, 0.7, 30, {{cd45, 60, 1.0}, {viability, 800, 1.0}});
  at(Population::erythroid) = make(40000, 0.15, 9000, 0.25, 40, {{cd38, 150, 0.5}});
  // Neutrophil maturation: promyelocyte (CD13 bright, CD33+, CD10−) to band/segmented (CD10+).
  at(Population::granulocyte) =
      make(85000, 0.12, 100000, 0.22, 250,
           {{cd45, 4500, 0.2}, {cd13, 6000, 0.35, 3000}, {cd33, 1500, 0.3, 600}, {cd10, 40, 0.8, 3500},
            {cd38, 600, 0.4, 150}, {cd14, 150, 0.5}});
  at(Population::monocyte) = make(80000, 0.1, 45000, 0.2, 180,
                                  {{cd45, 11000, 0.15}, {cd33, 9000, 0.25}, {cd13, 5000, 0.3}, {cd38, 2500, 0.35},
                                   {cd14, 12000, 0.4}, {hladr, 6000, 0.35}});
  at(Population::t_cell) = make(48000, 0.1, 11000, 0.18, 50, {{cd45, 22000, 0.15}, {cd3, 7000, 0.25}, {cd38, 300, 0.6}});
  at(Population::nk_cell) =
      make(50000, 0.1, 14000, 0.2, 55, {{cd45, 19000, 0.15}, {cd56, 3500, 0.45}, {cd38, 2500, 0.3}});
  at(Population::b_mature) = make(46000, 0.1, 10000, 0.18, 50,
                                  {{cd45, 16000, 0.15}, {cd19, 5000, 0.25}, {cd20, 12000, 0.3}, {cd22, 2500, 0.3},
                                   {hladr, 9000, 0.3}, {cd38, 400, 0.5}});
  // Hematogones stage II → III: CD10 falls, CD20 and CD45 rise (the classic continuum).
  at(Population::hematogone) =
      make(44000, 0.1, 9500, 0.18, 50,
           {{cd45, 5000, 0.25, 12000}, {cd19, 3500, 0.25, 4500}, {cd22, 1500, 0.3, 2500}, {cd10, 6000, 0.3, 800},
            {cd20, 150, 0.6, 8000}, {cd38, 6000, 0.25, 2500}, {hladr, 7000, 0.3, 8000}});
  at(Population::b_progenitor) = make(50000, 0.1, 11000, 0.18, 55,
                                      {{cd34, 5000, 0.35}, {cd19, 2500, 0.3}, {cd22, 1200, 0.35}, {cd10, 9000, 0.3},
                                       {cd38, 7000, 0.25}, {cd45, 2500, 0.25}, {hladr, 7000, 0.3}});
  at(Population::hsc_mpp) = make(55000, 0.1, 13000, 0.2, 60,
                                 {{cd34, 9000, 0.3}, {cd38, 120, 0.6}, {cd45, 3200, 0.2}, {hladr, 2500, 0.4},
                                  {cd13, 300, 0.6}, {cd33, 250, 0.6}});
  at(Population::myeloid_progenitor) = make(60000, 0.1, 22000, 0.25, 80,
                                            {{cd34, 6500, 0.35}, {cd38, 8000, 0.3}, {cd33, 2500, 0.4}, {cd13, 3500, 0.4},
                                             {cd45, 3200, 0.2}, {hladr, 6500, 0.35}});
  at(Population::pre_escape) = make(52000, 0.1, 12000, 0.2, 60,
                                    {{cd34, 6000, 0.35}, {cd22, 1500, 0.35}, {cd38, 4000, 0.35}, {cd10, 300, 0.8},
                                     {cd45, 2600, 0.25}, {hladr, 6000, 0.3}});
  at(Population::blast) = make(56000, 0.12, 10500, 0.2, 70,
                               {{cd34, 7000, 0.45}, {cd19, 4000, 0.3}, {cd22, 1800, 0.4}, {cd10, 14000, 0.5},
                                {cd38, 1500, 0.6}, {cd20, 100, 0.9}, {cd45, 1100, 0.4}, {hladr, 8000, 0.35}});
  at(Population::blast_cd22neg) = at(Population::blast);
  at(Population::blast_cd22neg).median[static_cast<std::size_t>(cd22)] = 0;
  at(Population::blast_cd22neg).median_end = at(Population::blast_cd22neg).median;
  at(Population::blast_cd19neg) = at(Population::blast);
  at(Population::blast_cd19neg).median[static_cast<std::size_t>(cd19)] = 0;
  at(Population::blast_cd19neg).median_end = at(Population::blast_cd19neg).median;
  at(Population::blast_cd34neg) = at(Population::blast);
  at(Population::blast_cd34neg).median[static_cast<std::size_t>(cd34)] = 0;
  at(Population::blast_cd34neg).median_end = at(Population::blast_cd34neg).median;
  at(Population::myeloid_blast) = make(62000, 0.12, 24000, 0.3, 90,
                                       {{cd34, 5000, 0.45}, {cd33, 6000, 0.4}, {cd13, 5000, 0.45}, {cd38, 3000, 0.4},
                                        {cd45, 2400, 0.3}, {hladr, 5000, 0.4}});
  return t;
}

struct Spill {
  std::size_t from, to;
  double value;
};

void set_spillover(Instrument& in, std::initializer_list<Spill> entries) {
  const std::size_t n = in.detectors.size();
  in.spillover.assign(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) in.spillover[i * n + i] = 1.0;
  for (const auto& e : entries) in.spillover[e.from * n + e.to] = e.value;
}

Instrument bd_lyric() {
  using enum Marker;
  Instrument in;
  in.id = "bd-lyric";
  in.cytometer = "BD FACSLyric";
  in.creator = "BD FACSuite 1.5.0.925";
  in.serial = "R6584310021";
  in.detectors = {
      {"FITC-A", "CD13", {cd13}, 0.6, 1.0, 18, 4, 480, 488, "527/32"},
      {"PE-A", "CD22", {cd22}, 2.0, 0.6, 20, 4, 420, 488, "586/42"},
      {"PerCP-Cy5.5-A", "CD34", {cd34}, 0.8, 0.35, 22, 6, 520, 488, "700/54"},
      {"PE-Cy7-A", "CD19", {cd19}, 1.3, 0.2, 25, 6, 560, 488, "783/56"},
      {"APC-A", "CD10", {cd10}, 1.4, 0.1, 30, 8, 600, 640, "660/10"},
      {"APC-R700-A", "CD33", {cd33}, 0.7, 0.1, 30, 9, 620, 640, "730/45"},
      {"APC-H7-A", "CD38", {cd38}, 0.6, 0.1, 30, 10, 580, 640, "783/56"},
      {"BV421-A", "CD20", {cd20}, 1.6, 1.2, 20, 4, 400, 405, "448/45"},
      {"BV510-A", "CD45", {cd45}, 0.6, 1.1, 20, 5, 450, 405, "528/45"},
      {"BV605-A", "FVS575V", {viability}, 1.0, 0.7, 22, 6, 470, 405, "605/40"},
      {"BV711-A", "CD3", {cd3}, 0.9, 0.4, 25, 7, 500, 405, "710/50"},
      {"BV786-A", "CD56", {cd56}, 0.7, 0.3, 28, 8, 520, 405, "786/51"},
  };
  set_spillover(in, {{0, 1, 0.22},  {0, 2, 0.03},  {1, 0, 0.012}, {1, 2, 0.18},  {1, 3, 0.025}, {1, 9, 0.06},
                     {2, 3, 0.12},  {2, 5, 0.10},  {2, 10, 0.03}, {3, 6, 0.08},  {3, 2, 0.015}, {3, 11, 0.05},
                     {4, 5, 0.30},  {4, 6, 0.04},  {5, 6, 0.18},  {5, 4, 0.06},  {5, 11, 0.01}, {6, 5, 0.03},
                     {6, 11, 0.04}, {6, 3, 0.02},  {7, 8, 0.18},  {7, 0, 0.01},  {8, 9, 0.07},  {8, 0, 0.06},
                     {8, 1, 0.02},  {9, 10, 0.08}, {9, 1, 0.05},  {9, 2, 0.01},  {10, 11, 0.12}, {10, 2, 0.07},
                     {10, 5, 0.04}, {11, 3, 0.05}, {11, 6, 0.03}});
  in.keywords = {{"$INST", "Escapade simulated laboratory"},
                 {"$OP", "simulator"},
                 {"APPLY COMPENSATION", "FALSE"},
                 {"THRESHOLD", "FSC,20000"},
                 {"WINDOW EXTENSION", "2.00"},
                 {"FSC ASF", "0.78"},
                 {"LASER1NAME", "Blue"},
                 {"LASER2NAME", "Red"},
                 {"LASER3NAME", "Violet"}};
  return in;
}

Instrument beckman_navios() {
  using enum Marker;
  Instrument in;
  in.id = "beckman-navios";
  in.cytometer = "Navios EX";
  in.creator = "Navios EX Cytometry 2.0";
  in.serial = "AW41037";
  in.scale = 4;
  in.fl_range = 1048576;
  in.scatter_range = 1048576;
  in.fsc_voltage = 180;
  in.ssc_voltage = 420;
  in.time_name = "TIME";
  in.time_first = true;
  in.width_scale = 262144;
  in.event_rate = 3000;
  in.time_resolution = 0.1;
  in.detectors = {
      {"FL1-A", "CD20-FITC", {cd20}, 0.6, 1.0, 72, 16, 515, 488, "525/40"},
      {"FL2-A", "CD22-PE", {cd22}, 2.0, 0.6, 80, 16, 430, 488, "575/20"},
      {"FL3-A", "CD13+CD33-ECD", {cd13, cd33}, 1.2, 0.45, 84, 20, 470, 488, "620/30"},
      {"FL4-A", "CD34-PC5.5", {cd34}, 0.9, 0.3, 88, 24, 560, 488, "695/30"},
      {"FL5-A", "CD19-PC7", {cd19}, 1.3, 0.2, 100, 24, 610, 488, "755LP"},
      {"FL6-A", "CD10-APC", {cd10}, 1.4, 0.1, 120, 32, 520, 638, "660/20"},
      {"FL7-A", "CD38-APC-A700", {cd38}, 0.7, 0.1, 120, 36, 640, 638, "725/20"},
      {"FL8-A", "CD3-APC-A750", {cd3}, 0.6, 0.1, 120, 40, 700, 638, "755LP"},
      {"FL9-A", "Viability-PB", {viability}, 1.2, 1.2, 80, 16, 450, 405, "450/40"},
      {"FL10-A", "CD45-KrO", {cd45}, 0.8, 1.0, 80, 20, 480, 405, "550/40"},
  };
  set_spillover(in, {{0, 1, 0.20}, {0, 2, 0.05}, {1, 0, 0.01}, {1, 2, 0.30}, {1, 3, 0.06}, {2, 1, 0.12},
                     {2, 3, 0.25}, {2, 4, 0.04}, {3, 4, 0.14}, {3, 6, 0.08}, {4, 3, 0.02}, {4, 7, 0.09},
                     {5, 6, 0.28}, {5, 7, 0.04}, {6, 7, 0.20}, {6, 5, 0.05}, {7, 6, 0.04}, {7, 4, 0.03},
                     {8, 9, 0.15}, {9, 8, 0.01}, {9, 1, 0.03}, {9, 0, 0.06}});
  in.keywords = {{"$INST", "Escapade simulated laboratory"},
                 {"$OP", "simulator"},
                 {"@SAMPLEID1", ""},
                 {"COMPENSATION", "NONE"},
                 {"DISCRIMINATOR", "FS INT,120"}};
  return in;
}

Instrument cytek_northern_lights() {
  using enum Marker;
  Instrument in;
  in.id = "cytek-northern-lights";
  in.cytometer = "Northern Lights";
  in.creator = "SpectroFlo 3.0.3";
  in.serial = "N1141";
  in.scale = 16;
  in.fl_range = 4194304;
  in.scatter_range = 4194304;
  in.fsc_voltage = 60;
  in.ssc_voltage = 290;
  in.width_scale = 1048576;
  in.event_rate = 5000;
  in.time_resolution = 0.001;
  in.detectors = {
      {"BV421-A", "CD20 BV421", {cd20}, 1.6, 1.2, 300, 60, 441, 405, "V3"},
      {"BV510-A", "CD45 BV510", {cd45}, 0.6, 1.1, 300, 70, 465, 405, "V7"},
      {"BV605-A", "CD3 BV605", {cd3}, 1.0, 0.7, 320, 90, 434, 405, "V10"},
      {"BV650-A", "CD14 BV650", {cd14}, 0.8, 0.5, 330, 100, 455, 405, "V11"},
      {"BV785-A", "CD56 BV785", {cd56}, 0.7, 0.3, 360, 120, 567, 405, "V15"},
      {"FITC-A", "CD13 FITC", {cd13}, 0.6, 1.0, 290, 60, 403, 488, "B2"},
      {"PE-A", "CD22 PE", {cd22}, 2.0, 0.6, 300, 60, 318, 561, "YG1"},
      {"PE-Dazzle594-A", "CD33 PE-Dazzle594", {cd33}, 1.3, 0.45, 320, 70, 406, 561, "YG4"},
      {"PerCP-Cy5.5-A", "CD34 PerCP-Cy5.5", {cd34}, 0.8, 0.35, 340, 90, 525, 488, "B9"},
      {"PE-Cy7-A", "CD19 PE-Cy7", {cd19}, 1.3, 0.2, 380, 90, 719, 561, "YG9"},
      {"APC-A", "CD10 APC", {cd10}, 1.4, 0.1, 460, 120, 536, 640, "R1"},
      {"AF700-A", "CD38 Alexa Fluor 700", {cd38}, 0.6, 0.1, 470, 140, 820, 640, "R4"},
      {"APC-Fire750-A", "HLA-DR APC-Fire 750", {hladr}, 0.8, 0.1, 480, 150, 855, 640, "R7"},
      {"ZombieNIR-A", "Zombie NIR", {viability}, 1.0, 0.1, 480, 150, 860, 640, "R8"},
  };
  set_spillover(in, {{0, 1, 0.15}, {1, 2, 0.10}, {1, 5, 0.05}, {2, 3, 0.35}, {2, 7, 0.12}, {3, 4, 0.10},
                     {3, 8, 0.10}, {4, 9, 0.05}, {5, 6, 0.20}, {6, 7, 0.35}, {7, 6, 0.08}, {7, 8, 0.12},
                     {8, 9, 0.12}, {8, 11, 0.10}, {9, 12, 0.10}, {9, 13, 0.06}, {10, 11, 0.30}, {10, 12, 0.03},
                     {11, 12, 0.20}, {11, 13, 0.10}, {12, 13, 0.30}, {13, 12, 0.25}});
  in.keywords = {{"$INST", "Escapade simulated laboratory"},
                 {"$OP", "simulator"},
                 {"CHARACTERISTICS", "Conventional, 14 colour"},
                 {"THRESHOLD", "FSC,100000"}};
  return in;
}

}  // namespace

const Phenotype& phenotype_of(Population p) {
  static const std::array<Phenotype, population_count> table = build_phenotypes();
  return table[static_cast<std::size_t>(p)];
}

const std::vector<Instrument>& instruments() {
  static const std::vector<Instrument> all{bd_lyric(), beckman_navios(), cytek_northern_lights()};
  return all;
}

const Instrument* find_instrument(const std::string& id) {
  for (const auto& in : instruments()) {
    if (in.id == id) return &in;
  }
  return nullptr;
}

}  // namespace escapade::sim::detail
