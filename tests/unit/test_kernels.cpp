#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/attention.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/matmul.hpp"
#include "kernels/sgemm_tiles.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

// Random weights of any dtype: quantized from normal values where medllm can quantize to the type,
// random blocks otherwise.
test::OwnedTensor random_weights(Shape shape, DType dtype, uint64_t seed) {
  if (dtype_traits(dtype).from_f32 != nullptr) return test::random_tensor("w", std::move(shape), dtype, seed);
  return test::random_blocks("w", std::move(shape), dtype, seed);
}

// Every fast matmul path (dot kernels for few rows, blocked for many) against the scalar oracle,
// for every dtype, block-quantized weights dequantized exactly (BlockMatmul::Exact; their integer
// dot products are tested in test_quant_dot.cpp). Rows of 512: whole blocks of every type.
TEST(Matmul, FastPathsMatchScalarReference) {
  ThreadPool pool(2);
  for (DType dtype : test::all_dtypes()) {
    const int64_t in = dtype_traits(dtype).block_elems > 32 ? 512 : 96;
    const test::OwnedTensor w = random_weights({37, in}, dtype, 11);
    for (int64_t n : {1, 2, 3, 4, 9, 300}) {
      const auto x = test::random_normals(static_cast<size_t>(n * in), 12);
      std::vector<float> fast(static_cast<size_t>(n * 37)), reference(fast.size());
      kernels::matmul(w.view(), x.data(), n, fast.data(), pool, kernels::BlockMatmul::Exact);
      kernels::matmul_reference(w.view(), x.data(), n, reference.data());
      // f32 accumulation error is relative to the sum of the products' magnitudes, not to the
      // (possibly cancelled) result.
      std::vector<float> row(static_cast<size_t>(in));
      for (size_t i = 0; i < fast.size(); ++i) {
        const int64_t t = static_cast<int64_t>(i) / 37, r = static_cast<int64_t>(i) % 37;
        to_f32(dtype, w.view().row(r), row.data(), in);
        double magnitude = 0.0;
        for (int64_t k = 0; k < in; ++k) magnitude += std::fabs(row[k] * x[t * in + k]);
        ASSERT_NEAR(fast[i], reference[i], 1e-6 * (1.0 + magnitude)) << dtype_name(dtype) << " n=" << n << " i=" << i;
      }
    }
  }
}

// A row's result never depends on how many rows are multiplied together or on the thread count,
// so a sequence scores the same alone, batched, or in a server's continuous batch.
TEST(Matmul, RowsAreBatchInvariant) {
  for (DType dtype : test::all_dtypes()) {
    const int64_t in = dtype_traits(dtype).block_elems > 32 ? 256 : 160;
    const test::OwnedTensor w = random_weights({45, in}, dtype, 21);
    const auto x = test::random_normals(static_cast<size_t>(20 * in), 22);
    std::vector<float> single(45);
    ThreadPool one(1);
    for (const auto block : {kernels::BlockMatmul::Int8Inputs, kernels::BlockMatmul::Exact}) {
      for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        for (int64_t n : {1, 2, 3, 4, 5, 8, 13, 20}) {
          std::vector<float> batch(static_cast<size_t>(n * 45));
          kernels::matmul(w.view(), x.data(), n, batch.data(), pool, block);
          for (int64_t t = 0; t < n; ++t) {
            kernels::matmul(w.view(), x.data() + t * in, 1, single.data(), one, block);
            for (int64_t r = 0; r < 45; ++r) {
              ASSERT_EQ(batch[t * 45 + r], single[r]) << dtype_name(dtype) << " n=" << n << " threads=" << threads;
            }
          }
        }
      }
    }
  }
}

TEST(Matmul, BlasPathMatchesScalarReference) {
  ThreadPool pool(2);
  for (DType dtype : {DType::F32, DType::BF16, DType::Q8_0}) {
    const test::OwnedTensor w = test::random_tensor("w", {300, 96}, dtype, 31);
    const auto x = test::random_normals(7 * 96, 32);
    std::vector<float> fast(7 * 300), reference(fast.size());
    kernels::matmul_blas(w.view(), x.data(), 7, fast.data(), pool);
    kernels::matmul_reference(w.view(), x.data(), 7, reference.data());
    for (size_t i = 0; i < fast.size(); ++i) ASSERT_NEAR(fast[i], reference[i], 1e-5 * (1.0 + std::fabs(reference[i])));
  }
}

TEST(Matmul, ResultDoesNotDependOnThreadCount) {
  const test::OwnedTensor w = test::random_tensor("w", {301, 64}, DType::BF16, 13);
  const auto x = test::random_normals(2 * 64, 14);
  std::vector<float> one(2 * 301), three(2 * 301);
  ThreadPool pool1(1), pool3(3);
  kernels::matmul(w.view(), x.data(), 2, one.data(), pool1);
  kernels::matmul(w.view(), x.data(), 2, three.data(), pool3);
  EXPECT_EQ(one, three);
}

// The tiled BLAS product against a double-precision product, for every transpose combination, a
// beta that accumulates, shapes that cut into uneven tiles and k = 0; and the grid must not depend
// on the thread count, bit for bit.
TEST(TiledSgemm, MatchesDefinitionAndIgnoresThreadCount) {
  ThreadPool one(1), three(3);
  for (const auto [m, n, k] : {std::array<int64_t, 3>{7, 5, 3}, {600, 1100, 40}, {1030, 20, 513}, {9, 9, 0}}) {
    for (const kernels::Op op_a : {kernels::Op::None, kernels::Op::Transpose}) {
      for (const kernels::Op op_b : {kernels::Op::None, kernels::Op::Transpose}) {
        const auto a = test::random_normals(static_cast<size_t>(m * k), 41);
        const auto b = test::random_normals(static_cast<size_t>(k * n), 42);
        const auto c0 = test::random_normals(static_cast<size_t>(m * n), 43);
        const int64_t lda = op_a == kernels::Op::None ? k : m;
        const int64_t ldb = op_b == kernels::Op::None ? n : k;
        auto c1 = c0, c3 = c0;
        kernels::tiled_sgemm(m, n, k, 0.5f, {a.data(), lda, op_a}, {b.data(), ldb, op_b}, 2.0f, c1.data(), n, one);
        kernels::tiled_sgemm(m, n, k, 0.5f, {a.data(), lda, op_a}, {b.data(), ldb, op_b}, 2.0f, c3.data(), n, three);
        ASSERT_EQ(c1, c3) << m << "x" << n << "x" << k;
        for (int64_t i = 0; i < m; i += 7) {
          for (int64_t j = 0; j < n; j += 3) {
            double sum = 0;
            for (int64_t p = 0; p < k; ++p) {
              const float av = op_a == kernels::Op::None ? a[i * k + p] : a[p * m + i];
              const float bv = op_b == kernels::Op::None ? b[p * n + j] : b[j * k + p];
              sum += static_cast<double>(av) * bv;
            }
            const double expected = 0.5 * sum + 2.0 * c0[i * n + j];
            ASSERT_NEAR(c1[i * n + j], expected, 1e-4 * (1 + std::fabs(expected))) << i << "," << j;
          }
        }
      }
    }
  }
  EXPECT_EQ(kernels::sgemm_tile_extent(512), 512);
  EXPECT_EQ(kernels::sgemm_tile_extent(768), 384);    // two even tiles, not 512 + 256
  EXPECT_EQ(kernels::sgemm_tile_extent(32000), 512);  // 63 tiles; a multiple of 16 wide
}

// The vectorised exp within 2 ulp of the C library over the whole useful range, and its edges.
TEST(VectorExp, WithinTwoUlpOfStdExpAndKeepsSpecialValues) {
  float worst = 0.0f;
  for (float x = -103.0f; x < 88.7f; x += 0.00731f) {
    const float expected = std::exp(x);
    const float got = kernels::exp1(x);
    if (expected < std::numeric_limits<float>::min()) {  // subnormal results: absolute error
      ASSERT_NEAR(got, expected, 2 * std::numeric_limits<float>::denorm_min()) << x;
      continue;
    }
    const float ulp = std::nextafter(expected, INFINITY) - expected;
    worst = std::max(worst, std::fabs(got - expected) / ulp);
  }
  EXPECT_LE(worst, 2.0f);
  EXPECT_EQ(kernels::exp1(0.0f), 1.0f);
  EXPECT_EQ(kernels::exp1(-INFINITY), 0.0f);
  EXPECT_EQ(kernels::exp1(-200.0f), 0.0f);
  EXPECT_EQ(kernels::exp1(INFINITY), INFINITY);
  EXPECT_EQ(kernels::exp1(100.0f), INFINITY);
  EXPECT_TRUE(std::isnan(kernels::exp1(NAN)));
}

// Softmax and the shifted-exp sum at lengths around the vector width (masked tails), and a NaN
// anywhere reaches the sum (the trainer's NaN abort depends on it).
TEST(Softmax, MatchesDefinitionAtEveryTailLengthAndPropagatesNaN) {
  for (int64_t n : {1, 5, 15, 16, 17, 33, 1000}) {
    const auto x = test::random_normals(static_cast<size_t>(n), 51, 4.0f);
    auto y = x;
    const float lse = kernels::softmax(y.data(), n);
    double max = -INFINITY, sum = 0;
    for (float v : x) max = std::max<double>(max, v);
    for (float v : x) sum += std::exp(v - max);
    EXPECT_NEAR(lse, max + std::log(sum), 1e-5 * (1 + std::fabs(lse))) << n;
    EXPECT_NEAR(kernels::log_sum_exp(x.data(), n), max + std::log(sum), 1e-12 * (1 + std::fabs(lse))) << n;
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], std::exp(x[i] - max) / sum, 1e-6) << n << " " << i;
    EXPECT_EQ(kernels::max_value(x.data(), n), static_cast<float>(max));
    auto with_nan = x;
    with_nan[static_cast<size_t>(n / 2)] = NAN;
    EXPECT_TRUE(std::isnan(kernels::exp_shifted(with_nan.data(), 0.0f, n, nullptr))) << n;
  }
}

// The SiLU gate's backward against central differences of its forward, over a vector with a tail.
TEST(Activation, SiluBackwardMatchesFiniteDifferences) {
  const int64_t n = 37;
  const auto gate = test::random_normals(n, 61, 3.0f);
  const auto up = test::random_normals(n, 62);
  const auto dh = test::random_normals(n, 63);
  std::vector<float> dgate(n), dup(n);
  kernels::gated_activation_backward(gate.data(), up.data(), dh.data(), n, kernels::GateActivation::Silu, dgate.data(),
                                     dup.data());
  for (int64_t i = 0; i < n; ++i) {
    const auto silu = [](double g) { return g / (1 + std::exp(-g)); };
    const double h = 1e-3;
    const double slope = (silu(gate[i] + h) - silu(gate[i] - h)) / (2 * h);
    EXPECT_NEAR(dgate[i], dh[i] * up[i] * slope, 1e-4 * (1 + std::fabs(dh[i] * up[i]))) << i;
    EXPECT_NEAR(dup[i], dh[i] * silu(gate[i]), 1e-5 * (1 + std::fabs(dh[i]))) << i;
  }
}

TEST(RmsNorm, MatchesDefinition) {
  const auto x = test::random_normals(3 * 40, 1);
  const auto w = test::random_normals(40, 2);
  for (float offset : {0.0f, 1.0f}) {
    std::vector<float> y(x.size());
    kernels::rms_norm(x.data(), w.data(), offset, 1e-6f, 3, 40, y.data());
    for (int r = 0; r < 3; ++r) {
      double ss = 0;
      for (int i = 0; i < 40; ++i) ss += double(x[r * 40 + i]) * x[r * 40 + i];
      const double inv = 1.0 / std::sqrt(ss / 40 + 1e-6);
      for (int i = 0; i < 40; ++i) {
        EXPECT_NEAR(y[r * 40 + i], x[r * 40 + i] * inv * (offset + w[i]), 1e-5);
      }
    }
  }
}

// Rotating adjacent pairs of a vector equals rotating halves of the vector with its pairs
// de-interleaved: the identity behind reading GGUF llama files with permuted q/k weights.
TEST(Rope, AdjacentPairsEqualHalvesAfterPermutation) {
  const int64_t head_dim = 16, heads = 3;
  std::vector<float> inv(head_dim / 2);
  for (int64_t i = 0; i < head_dim / 2; ++i) inv[i] = 1.0f / std::pow(10000.0f, 2.0f * i / head_dim);
  auto interleaved = test::random_normals(heads * head_dim, 5);
  std::vector<float> halves(interleaved.size());
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t i = 0; i < head_dim / 2; ++i) {
      halves[h * head_dim + i] = interleaved[h * head_dim + 2 * i];
      halves[h * head_dim + i + head_dim / 2] = interleaved[h * head_dim + 2 * i + 1];
    }
  }
  kernels::rope(interleaved.data(), heads, head_dim, 7, inv.data(), 1.0f, kernels::RopePairing::Adjacent);
  kernels::rope(halves.data(), heads, head_dim, 7, inv.data(), 1.0f, kernels::RopePairing::Halves);
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t i = 0; i < head_dim / 2; ++i) {
      EXPECT_FLOAT_EQ(interleaved[h * head_dim + 2 * i], halves[h * head_dim + i]);
      EXPECT_FLOAT_EQ(interleaved[h * head_dim + 2 * i + 1], halves[h * head_dim + i + head_dim / 2]);
    }
  }
}

TEST(Rope, PositionZeroIsIdentityAndNormIsKept) {
  std::vector<float> inv = {1.0f, 0.1f, 0.01f, 0.001f};
  auto x = test::random_normals(8, 6);
  auto y = x;
  kernels::rope(y.data(), 1, 8, 0, inv.data(), 1.0f, kernels::RopePairing::Halves);
  EXPECT_EQ(x, y);
  kernels::rope(y.data(), 1, 8, 1234, inv.data(), 1.0f, kernels::RopePairing::Halves);
  double nx = 0, ny = 0;
  for (int i = 0; i < 8; ++i) nx += x[i] * x[i], ny += y[i] * y[i];
  EXPECT_NEAR(nx, ny, 1e-4);
}

TEST(Activation, GatedForms) {
  std::vector<float> gate = {-2.0f, -0.5f, 0.0f, 0.7f, 3.0f};
  const std::vector<float> up = {1.0f, 2.0f, 3.0f, -1.0f, 0.5f};
  for (auto kind :
       {kernels::GateActivation::Silu, kernels::GateActivation::GeluTanh, kernels::GateActivation::GeluErf}) {
    auto g = gate;
    kernels::gated_activation(g.data(), up.data(), 5, kind);
    for (int i = 0; i < 5; ++i) {
      const double x = gate[i];
      double expected = 0;
      if (kind == kernels::GateActivation::Silu) expected = x / (1 + std::exp(-x));
      if (kind == kernels::GateActivation::GeluTanh)
        expected = 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
      if (kind == kernels::GateActivation::GeluErf) expected = 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
      EXPECT_NEAR(g[i], expected * up[i], 1e-6);
    }
  }
}

// Attention against a double-precision evaluation of the definition, with a causal window and
// with two slot ranges (a shared prompt plus the query's own continuation).
TEST(Attention, MatchesDefinitionWithSlotRangesSoftcapAndGroups) {
  const kernels::AttentionShape shape{4, 2, 8};
  const int64_t slots_total = 12, tokens = 5;
  const auto q = test::random_normals(tokens * 4 * 8, 7);
  const auto keys = test::random_normals(slots_total * 2 * 8, 8);
  const auto values = test::random_normals(slots_total * 2 * 8, 9);
  ThreadPool pool(2);
  std::vector<kernels::QuerySlots> slots(tokens);
  for (int64_t t = 0; t < tokens; ++t) {
    // prompt slots [1, 6) then own slots [8, 8 + t]; and for odd t a window of 3 own slots only
    slots[t].ranges[0] = t % 2 ? kernels::SlotRange{0, 0} : kernels::SlotRange{1, 6};
    slots[t].ranges[1] = {t % 2 ? std::max<int64_t>(7, 8 + t - 2) : 8, 8 + t};
  }
  for (const kernels::AttentionOptions options :
       {kernels::AttentionOptions{0.35f, 0.0f}, kernels::AttentionOptions{0.35f, 1.5f}}) {
    std::vector<float> out(q.size());
    kernels::attention(q.data(), keys.data(), values.data(), tokens, slots.data(), shape, options, out.data(), pool);
    for (int64_t t = 0; t < tokens; ++t) {
      for (int64_t h = 0; h < 4; ++h) {
        const int64_t kv = h / 2;
        std::vector<double> s;
        std::vector<int64_t> js;
        for (const auto& range : slots[t].ranges) {
          for (int64_t j = range.begin; j < range.end; ++j) {
            double dot = 0;
            for (int i = 0; i < 8; ++i) dot += double(q[(t * 4 + h) * 8 + i]) * keys[(j * 2 + kv) * 8 + i];
            dot *= options.scale;
            if (options.softcap > 0) dot = options.softcap * std::tanh(dot / options.softcap);
            s.push_back(dot);
            js.push_back(j);
          }
        }
        double mx = *std::max_element(s.begin(), s.end()), total = 0;
        for (double& v : s) total += v = std::exp(v - mx);
        for (int i = 0; i < 8; ++i) {
          double expected = 0;
          for (size_t k = 0; k < s.size(); ++k) expected += s[k] / total * values[(js[k] * 2 + kv) * 8 + i];
          EXPECT_NEAR(out[(t * 4 + h) * 8 + i], expected, 1e-5);
        }
      }
    }
  }
}

// Bit for bit the defined order on every kernel set (unit.kernels_avx2 runs this on AVX2): each
// score summed in 16 lanes (element i in lane i mod 16, fused), the lanes pairwise, then the tail;
// softmax; the values accumulated by fused multiply-adds in key order. Head sizes with and without
// a tail past the last whole 16; key counts that are and are not whole 16s (the AVX-512 set sums
// 16 keys' lanes together).
TEST(Attention, ScoresFollowTheFixedOrderOnEveryKernelSet) {
  ThreadPool pool(2);
  for (const int64_t hd : {64, 40}) {
    const kernels::AttentionShape shape{2, 1, hd};
    const int64_t tokens = 3, slots_total = 40;
    const auto q = test::random_normals(tokens * 2 * hd, 17);
    const auto keys = test::random_normals(slots_total * hd, 18);
    const auto values = test::random_normals(slots_total * hd, 19);
    std::vector<kernels::QuerySlots> slots(tokens);
    const auto visible = [](int64_t t) { return 16 + 12 * t; };  // 16, 28, 40 keys
    for (int64_t t = 0; t < tokens; ++t) slots[t].ranges[0] = {0, visible(t)};
    const kernels::AttentionOptions options{0.125f, 0.0f};
    std::vector<float> out(q.size());
    kernels::attention(q.data(), keys.data(), values.data(), tokens, slots.data(), shape, options, out.data(), pool);
    for (int64_t t = 0; t < tokens; ++t) {
      for (int64_t h = 0; h < 2; ++h) {
        const float* query = q.data() + (t * 2 + h) * hd;
        std::vector<float> scores;
        for (int64_t j = 0; j < visible(t); ++j) {
          float lanes[16] = {};
          int64_t i = 0;
          for (; i + 16 <= hd; i += 16) {
            for (int l = 0; l < 16; ++l) lanes[l] = std::fma(query[i + l], keys[j * hd + i + l], lanes[l]);
          }
          for (int width = 8; width >= 1; width /= 2) {
            for (int l = 0; l < width; ++l) lanes[l] += lanes[l + width];
          }
          float dot = lanes[0];
          for (; i < hd; ++i) dot = std::fma(query[i], keys[j * hd + i], dot);
          scores.push_back(dot * options.scale);
        }
        kernels::softmax(scores.data(), static_cast<int64_t>(scores.size()));
        for (int64_t i = 0; i < hd; ++i) {
          float expected = 0.0f;
          for (size_t j = 0; j < scores.size(); ++j) expected = std::fma(scores[j], values[j * hd + i], expected);
          ASSERT_EQ(out[(t * 2 + h) * hd + i], expected) << "head_dim " << hd << " token " << t << " head " << h;
        }
      }
    }
  }
}

}  // namespace
}  // namespace medllm
