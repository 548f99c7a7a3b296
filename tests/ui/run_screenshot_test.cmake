# Runs `statelens --screenshot DIR ...` (COMMAND, a ;-list) and fails unless it exits 0 and wrote
# every picture named in EXPECTED (file names in DIR). ctest's PASS_REGULAR_EXPRESSION would
# ignore the exit code, so a crash after the last "wrote" line passed.
file(REMOVE_RECURSE "${DIR}")
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE exit_code OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT exit_code EQUAL 0)
  message(FATAL_ERROR "statelens --screenshot exited with ${exit_code}")
endif()
foreach(picture IN LISTS EXPECTED)
  if(NOT EXISTS "${DIR}/${picture}")
    message(FATAL_ERROR "statelens --screenshot did not write ${DIR}/${picture}")
  endif()
endforeach()
