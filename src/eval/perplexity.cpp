#include "eval/perplexity.hpp"

#include <medllm/model.hpp>
#include <medllm/session.hpp>
#include <medllm/tokenizer.hpp>
#include <span>

#include "core/error.hpp"
#include "data/dataset.hpp"
#include "data/packer.hpp"
#include "kernels/elementwise.hpp"

namespace medllm::eval {

HeldoutLoss heldout_loss(const Model& model, const Tokenizer& tokenizer, const std::string& data_dir, int64_t seq,
                         int64_t max_rows) {
  const auto shards = open_split(data_dir, "valid");
  if (shards.empty())
    fail("{}: no valid-*.mlds shards (prepare the data with a validation fraction above 0)", data_dir);
  require_tokenizer(shards, tokenizer, model.path());
  if (seq > model.config().max_position_embeddings)
    fail("held-out rows of {} tokens exceed {}'s context of {}", seq, model.path(),
         model.config().max_position_embeddings);
  Packer packer(shards, seq, false, 0);
  Session session(model, seq);
  const int64_t vocab = model.config().vocab_size;
  HeldoutLoss out;
  double sum = 0.0;
  while (max_rows <= 0 || out.rows < max_rows) {
    const PackedBatch row = packer.next(1);
    if (row.rows == 0) break;
    session.rewind(0);
    const std::span<const float> logits = session.forward(row.tokens, LogitsFor::All);
    for (int64_t t = 0; t < row.seq; ++t) {
      const int32_t target = row.targets[static_cast<size_t>(t)];
      if (target < 0) continue;
      const float* x = logits.data() + t * vocab;
      sum += kernels::log_sum_exp(x, vocab) - static_cast<double>(x[target]);
      ++out.tokens;
    }
    ++out.rows;
  }
  if (out.tokens == 0) fail("{}: the validation split has no scored tokens in rows of {}", data_dir, seq);
  out.loss = sum / static_cast<double>(out.tokens);
  return out;
}

}  // namespace medllm::eval
