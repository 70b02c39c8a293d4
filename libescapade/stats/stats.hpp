#pragma once
/// @file
/// `escapade::stats`: the statistics behind the cohort layer, written to reproduce R
/// (R 4.2 `stats`, `survival` 3.5, `cmprsk` 2.2) within the tolerances of
/// `shared/reference/stats`. Pure mathematics: it depends on `base/` only.
///
/// - common.hpp: `Alternative`, `RankMethod`, the NA convention (NaN).
/// - descriptive.hpp: `describe`, `mean`, `quantile`, …
/// - tests.hpp: Fisher, chi-square, Mann-Whitney, Wilcoxon signed-rank, t tests,
///   Kruskal-Wallis, Spearman.
/// - survival.hpp: Kaplan-Meier, log-rank, cumulative incidence with Gray's test, Fine-Gray.
/// - validate.hpp: runs reference case files and reports a verdict per case.

#include "libescapade/stats/common.hpp"
#include "libescapade/stats/descriptive.hpp"
#include "libescapade/stats/survival.hpp"
#include "libescapade/stats/tests.hpp"
#include "libescapade/stats/validate.hpp"
