# Writes OUTPUT, a header defining MEDLLM_GIT_COMMIT as SOURCE's current commit ("unknown" outside
# a git checkout). Run at every build; the header changes only when the commit does, so only
# cli/version.cpp is rebuilt, and `medllm --version` never names a stale commit.
set(commit "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE}
                  OUTPUT_VARIABLE git_commit OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE git_result ERROR_QUIET)
  if(git_result EQUAL 0 AND NOT git_commit STREQUAL "")
    set(commit "${git_commit}")
  endif()
endif()
file(WRITE "${OUTPUT}.tmp" "#pragma once\n#define MEDLLM_GIT_COMMIT \"${commit}\"\n")
configure_file("${OUTPUT}.tmp" "${OUTPUT}" COPYONLY)
file(REMOVE "${OUTPUT}.tmp")
