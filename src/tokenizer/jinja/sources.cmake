# Chat-template (Jinja subset) sources, added to libmedllm by src/CMakeLists.txt.
target_sources(libmedllm PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/ast.cpp
  ${CMAKE_CURRENT_LIST_DIR}/builtins.cpp
  ${CMAKE_CURRENT_LIST_DIR}/diagnostics.cpp
  ${CMAKE_CURRENT_LIST_DIR}/filters.cpp
  ${CMAKE_CURRENT_LIST_DIR}/interpreter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/js_text.cpp
  ${CMAKE_CURRENT_LIST_DIR}/lexer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/parser.cpp
  ${CMAKE_CURRENT_LIST_DIR}/template.cpp
  ${CMAKE_CURRENT_LIST_DIR}/value.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../chat_template.cpp
  ${CMAKE_CURRENT_BINARY_DIR}/tokenizer/jinja/fallback_templates.cpp
)

# The fallback chat templates live in templates/*.jinja (the parity test renders the same files
# with @huggingface/jinja) and are compiled in as string literals.
foreach(family llama2 llama3 chatml gemma)
  set(template_file ${CMAKE_CURRENT_LIST_DIR}/templates/${family}.jinja)
  file(READ ${template_file} MEDLLM_FALLBACK_${family})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${template_file})
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/fallback_templates.cpp.in
               ${CMAKE_CURRENT_BINARY_DIR}/tokenizer/jinja/fallback_templates.cpp @ONLY)
