# The fallback chat templates of the templating layer (its other sources are found by src/CMakeLists.txt).
target_sources(medllm_templating PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/templating/jinja/fallback_templates.cpp)

# The fallback chat templates live in templates/*.jinja (the parity test renders the same files
# with @huggingface/jinja) and are compiled in as string literals.
foreach(family llama2 llama3 chatml gemma)
  set(template_file ${CMAKE_CURRENT_LIST_DIR}/templates/${family}.jinja)
  file(READ ${template_file} MEDLLM_FALLBACK_${family})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${template_file})
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/fallback_templates.cpp.in
               ${CMAKE_CURRENT_BINARY_DIR}/templating/jinja/fallback_templates.cpp @ONLY)
