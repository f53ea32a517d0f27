# cmake -D LOG=<file> -D ROUTINES=<r1;r2;...> [-D PROVIDER=<regex>] -P check_log.cmake
#
# Passes when the LAPACK_AI_LOG file of a test run shows that the calls went
# through lapack-ai: at least one line "lapack-ai: <routine> ..." for every
# routine listed, and nothing but such lines (and the library's
# "lapack-ai: set-up: ..." lines). With PROVIDER, every line's
# backend ("-> cpu[...]" or "-> gpu...") must match it.

if(NOT DEFINED LOG OR NOT DEFINED ROUTINES)
  message(FATAL_ERROR "usage: cmake -D LOG=<file> -D ROUTINES=<r1;r2> [-D PROVIDER=<regex>] -P check_log.cmake")
endif()
if(NOT EXISTS "${LOG}")
  message(FATAL_ERROR "${LOG} does not exist: nothing was logged, so nothing went through lapack-ai")
endif()

# file(STRINGS) splits lines without treating their ';' or '[' as list syntax
# of the file's text (the backend is written as cpu[/path]).
file(STRINGS "${LOG}" lines)
list(LENGTH lines nlines)
set(bad 0)
set(nbad_provider 0)
set(ncalls 0)
foreach(line IN LISTS lines)
  if(line MATCHES "^lapack-ai: set-up: ")
    # What the library did to set a device up or calibrate: not a call.
    continue()
  endif()
  math(EXPR ncalls "${ncalls} + 1")
  if(NOT line MATCHES "^lapack-ai: [a-z_]+ ")
    math(EXPR bad "${bad} + 1")
    if(bad LESS_EQUAL 3)
      message("not a call line: ${line}")
    endif()
  elseif(DEFINED PROVIDER AND NOT line MATCHES "-> ${PROVIDER}")
    math(EXPR nbad_provider "${nbad_provider} + 1")
    if(nbad_provider LESS_EQUAL 3)
      message("backend does not match '-> ${PROVIDER}': ${line}")
    endif()
  endif()
endforeach()

file(READ "${LOG}" text)
set(missing "")
set(summary "")
foreach(routine IN LISTS ROUTINES)
  string(REGEX MATCHALL "(^|\n)lapack-ai: ${routine} " calls "${text}")
  list(LENGTH calls n)
  string(APPEND summary " ${routine}:${n}")
  if(n EQUAL 0)
    list(APPEND missing ${routine})
  endif()
endforeach()

message("${LOG}: ${ncalls} calls;${summary}")
if(missing OR bad GREATER 0 OR nbad_provider GREATER 0)
  message(FATAL_ERROR "log check failed: not logged: [${missing}]; "
    "${bad} malformed lines; ${nbad_provider} lines on another backend than '${PROVIDER}'")
endif()
