# Chat-template (Jinja subset) sources, added to libmedllm by src/CMakeLists.txt.
target_sources(libmedllm PRIVATE
)
