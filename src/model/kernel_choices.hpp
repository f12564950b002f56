#pragma once
// Which kernel variant a ModelConfig flag selects, for the forward (model/forward.cpp) and its backward.

#include <medllm/config.hpp>
#include "kernels/elementwise.hpp"

namespace medllm {

inline kernels::GateActivation gate_activation(Activation activation) {
  switch (activation) {
    case Activation::Silu:
      return kernels::GateActivation::Silu;
    case Activation::GeluTanh:
      return kernels::GateActivation::GeluTanh;
    case Activation::GeluErf:
      return kernels::GateActivation::GeluErf;
  }
  return kernels::GateActivation::Silu;
}

inline kernels::RopePairing rope_pairing(RopeLayout layout) {
  return layout == RopeLayout::Halves ? kernels::RopePairing::Halves : kernels::RopePairing::Adjacent;
}

}  // namespace medllm
