// The multivariate Gaussian mixture recovers populations whose parameters are known because
// the test drew them: two correlated 2-D Gaussians that overlap on each axis alone.

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "libescapade/autogate/autogate.hpp"
#include "libescapade/base/error.hpp"

namespace escapade::autogate {
namespace {

struct Drawn {
  std::vector<std::vector<double>> columns{2};
  std::vector<std::size_t> truth;
};

// `n` points of N((mx, my), [[s², ρs²], [ρs², s²]]) labelled `label`.
void draw(Drawn& d, std::mt19937_64& rng, std::size_t n, double mx, double my, double s, double rho, std::size_t label) {
  std::normal_distribution<double> z(0, 1);
  for (std::size_t i = 0; i < n; ++i) {
    const double a = z(rng), b = z(rng);
    d.columns[0].push_back(mx + s * a);
    d.columns[1].push_back(my + s * (rho * a + std::sqrt(1 - rho * rho) * b));
    d.truth.push_back(label);
  }
}

TEST(MultivariateMixture, RecoversTwoPopulationsThatOverlapOnEachAxis) {
  std::mt19937_64 rng(11);
  Drawn d;
  draw(d, rng, 9000, 0, 0, 1, 0.8, 0);  // along the diagonal
  draw(d, rng, 1000, 0, 1.6, 0.5, 0, 1);  // above it: inside the first's range on x and on y
  // A poor start: a cut on y alone.
  std::vector<std::size_t> start;
  for (const double y : d.columns[1]) start.push_back(y > 1.2 ? 1 : 0);
  const auto m = fit_multivariate_mixture(d.columns, start, 2);
  ASSERT_EQ(m.components.size(), 2U);
  EXPECT_NEAR(m.components[0].weight, 0.9, 0.02);
  EXPECT_NEAR(m.components[1].mean[0], 0.0, 0.05);
  EXPECT_NEAR(m.components[1].mean[1], 1.6, 0.05);
  EXPECT_NEAR(m.components[0].covariance[1], 0.8, 0.05);  // the drawn covariance ρ s²
  EXPECT_NEAR(m.components[1].covariance[0], 0.25, 0.03);
  // Classified by the larger posterior, at least 95 % of the points land where they were drawn
  // (the Bayes rate for these two populations is about 97 %).
  const auto p = m.posterior(1, d.columns);
  std::size_t right = 0;
  for (std::size_t i = 0; i < p.size(); ++i) right += (p[i] > 0.5 ? 1U : 0U) == d.truth[i];
  EXPECT_GE(right, 9500U);
  const std::array<double, 2> point{0.0, 1.6};
  EXPECT_GT(m.posteriors(point)[1], 0.5);
}

TEST(MultivariateMixture, RefusesBadInput) {
  const std::vector<std::vector<double>> columns{{1, 2, 3, 4}, {1, 2, 3}};
  const std::vector<std::size_t> start{0, 0, 1, 1};
  EXPECT_THROW((void)fit_multivariate_mixture(columns, start, 2), InputError);
  const std::vector<std::vector<double>> same{{1, 2, 3, 4}, {4, 1, 2, 3}};
  EXPECT_THROW((void)fit_multivariate_mixture(same, std::vector<std::size_t>{0, 0, 0, 5}, 2), InputError);
  // Two points cannot place a Gaussian in two dimensions.
  EXPECT_THROW((void)fit_multivariate_mixture(same, std::vector<std::size_t>{0, 0, 1, 1}, 2), InputError);
}

}  // namespace
}  // namespace escapade::autogate
