# SentencePiece model sources, added to libmedllm by src/CMakeLists.txt.
target_sources(libmedllm PRIVATE
  tokenizer/sentencepiece/bpe.cpp
  tokenizer/sentencepiece/model_proto.cpp
  tokenizer/sentencepiece/normalizer.cpp
  tokenizer/sentencepiece/piece_trie.cpp
  tokenizer/sentencepiece/precompiled_charsmap.cpp
  tokenizer/sentencepiece/sentencepiece_tokenizer.cpp
  tokenizer/sentencepiece/unigram.cpp
)
