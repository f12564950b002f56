# The layer rule: a source under src/<layer>/ may include headers of its own layer and of the layers
# before it in MEDLLM_LAYERS, never of a later one. Public headers (include/medllm/*.hpp) belong to
# the layer named below. Runs at configure time (src/CMakeLists.txt), before every build (the
# medllm_layer_check target) and in script mode for the test that proves a violation fails:
#   cmake -DSRC=<src dir> -DLAYERS="core;kernels;..." -P cmake/LayerCheck.cmake

# Public header → layer. medllm.hpp includes everything, so only the CLI (above every layer) may.
set(MEDLLM_PUBLIC_HEADER_LAYERS
    "error:core" "tokenizer:tokenizer" "config:model" "model:model" "scoring:model" "generate:runtime" "session:runtime" "medllm:cli")

# The layer of an included header, or "" for a header outside the layers (std, third-party).
function(medllm_header_layer header layers out)
  set(found "")
  if(header MATCHES "^medllm/([a-z_]+)\\.hpp$")
    set(name ${CMAKE_MATCH_1})
    foreach(pair IN LISTS MEDLLM_PUBLIC_HEADER_LAYERS)
      string(REPLACE ":" ";" parts ${pair})
      list(GET parts 0 public_name)
      list(GET parts 1 public_layer)
      if(public_name STREQUAL name)
        set(found ${public_layer})
      endif()
    endforeach()
  elseif(header MATCHES "^([a-z_]+)/")
    list(FIND layers ${CMAKE_MATCH_1} index)
    if(index GREATER -1)
      set(found ${CMAKE_MATCH_1})
    endif()
  endif()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

function(medllm_check_layers src_dir layers)
  set(all_layers ${layers} cli)
  set(violations "")
  foreach(layer IN LISTS layers)
    list(FIND all_layers ${layer} rank)
    file(GLOB_RECURSE files ${src_dir}/${layer}/*.cpp ${src_dir}/${layer}/*.hpp)
    foreach(file IN LISTS files)
      file(STRINGS ${file} lines REGEX "^#include [<\"]")
      foreach(line IN LISTS lines)
        string(REGEX MATCH "^#include [<\"]([^>\"]+)[>\"]" matched "${line}")
        medllm_header_layer("${CMAKE_MATCH_1}" "${layers}" target)
        if(target)
          list(FIND all_layers ${target} target_rank)
          if(target_rank GREATER rank)
            file(RELATIVE_PATH shown ${src_dir} ${file})
            list(APPEND violations "  ${shown} (layer ${layer}) includes ${CMAKE_MATCH_1} (layer ${target})")
          endif()
        endif()
      endforeach()
    endforeach()
  endforeach()
  if(violations)
    list(JOIN violations "\n" listed)
    message(FATAL_ERROR "upward includes: a layer may use only the layers below it "
                        "(order: ${layers}; docs/architecture.md):\n${listed}")
  endif()
endfunction()

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  medllm_check_layers(${SRC} "${LAYERS}")
endif()
