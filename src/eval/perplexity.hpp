#pragma once
// Held-out loss and perplexity of a model on the validation split of a `medllm data prepare`
// dataset, computed by the inference engine over exactly the rows the trainer evaluates
// (data/packer, file order, rows of seq tokens). Two independent implementations of one number:
// the trainer's eval_loss and this one agree to float rounding, which the pipeline test checks.

#include <cmath>
#include <cstdint>
#include <string>

namespace medllm {
class Model;
class Tokenizer;
}  // namespace medllm

namespace medllm::eval {

struct HeldoutLoss {
  double loss = 0.0;   // mean negative log-likelihood per scored token, in nats
  int64_t tokens = 0;  // scored tokens
  int64_t rows = 0;
  double perplexity() const { return std::exp(loss); }
};

// max_rows 0: the whole split. Errors name the dataset when it has no validation split or was
// prepared with another tokenizer.
HeldoutLoss heldout_loss(const Model& model, const Tokenizer& tokenizer, const std::string& data_dir, int64_t seq,
                         int64_t max_rows);

}  // namespace medllm::eval
