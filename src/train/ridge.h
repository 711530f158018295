// Ridge regression's linear system, shared by the layer refits of channel pruning and the fits
// of feature hints.
#pragma once

#include <vector>

namespace fu::train {

// Solves (A + lambda I) X = B in place for symmetric positive definite A (n x n) and B (n x m),
// both row-major, by Cholesky; B becomes X and A its Cholesky factor.
void solve_ridge(std::vector<double>& a, std::vector<double>& b, int n, int m, double lambda);

}  // namespace fu::train
