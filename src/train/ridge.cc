#include "train/ridge.h"

#include <algorithm>
#include <cmath>

namespace fu::train {

void solve_ridge(std::vector<double>& a, std::vector<double>& b, int n, int m, double lambda) {
  for (int i = 0; i < n; ++i) a[i * n + i] += lambda;
  for (int j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    d = std::sqrt(std::max(d, 1e-300));
    a[j * n + j] = d;
    for (int i = j + 1; i < n; ++i) {
      double v = a[i * n + j];
      for (int k = 0; k < j; ++k) v -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = v / d;
    }
  }
  for (int c = 0; c < m; ++c) {
    for (int i = 0; i < n; ++i) {  // L y = b
      double v = b[i * m + c];
      for (int k = 0; k < i; ++k) v -= a[i * n + k] * b[k * m + c];
      b[i * m + c] = v / a[i * n + i];
    }
    for (int i = n - 1; i >= 0; --i) {  // L^T x = y
      double v = b[i * m + c];
      for (int k = i + 1; k < n; ++k) v -= a[k * n + i] * b[k * m + c];
      b[i * m + c] = v / a[i * n + i];
    }
  }
}

}  // namespace fu::train
