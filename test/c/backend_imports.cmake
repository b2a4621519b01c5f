# ctest: the split backend (tova_llvm.so) imports no __cxa_atexit, i.e. every
# registration of LLVM's exit-time destructors is bound at link time to
# backend/exit_dtors.c, which drops them. If one call still went to the C
# runtime, a static destroyed at exit could pull LLVM from under the
# background compiler (the crash exit_dtors.c prevents).
#   cmake -DLIB=<tova_llvm.so> -DNM=<nm> -P backend_imports.cmake
if(NOT LIB OR NOT NM)
  message(FATAL_ERROR "usage: cmake -DLIB=<backend> -DNM=<nm> -P backend_imports.cmake")
endif()
# `nm -u` reads the symbol table; a stripped ELF object has only its dynamic
# one (`nm -D -u`). Mach-O's nm lists imports with -u.
set(undefined "")
foreach(flags "-u" "-D;-u")
  execute_process(COMMAND ${NM} ${flags} ${LIB} OUTPUT_VARIABLE out ERROR_QUIET RESULT_VARIABLE rc)
  # The listing is read right: a symbol the backend surely imports (LLVM's
  # locks) is in it.
  if(rc EQUAL 0 AND out MATCHES "(^|[\n ])_?pthread_mutex_lock(@|\n|$)")
    set(undefined "${out}")
    break()
  endif()
endforeach()
if(undefined STREQUAL "")
  message(FATAL_ERROR "backend_imports: pthread_mutex_lock not among the imports of ${LIB}: cannot read ${NM}'s listing")
endif()
if(undefined MATCHES "(^|[\n ])_?__cxa_atexit(@|\n|$)")
  message(FATAL_ERROR "backend_imports: ${LIB} imports __cxa_atexit: some of LLVM's exit-time destructors would run at exit (backend/exit_dtors.c)")
endif()
message(STATUS "backend_imports: ${LIB} binds every __cxa_atexit to exit_dtors.c")
