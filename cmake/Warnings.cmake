# Compiler warnings for our own code. JOB_WERROR (used by CI) makes them errors.
option(JOB_WERROR "Treat warnings as errors" OFF)

add_library(job_warnings INTERFACE)
if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
	target_compile_options(job_warnings INTERFACE
		-Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wvla
		-Wmissing-prototypes -Wstrict-prototypes -Wold-style-definition
		-Wpointer-arith -Wcast-qual -Wwrite-strings -Wundef
		-Wunused-parameter)
	# snprintf bounds every write on purpose; GCC's guesses at what might
	# be cut are noise here.
	if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
		target_compile_options(job_warnings INTERFACE -Wno-format-truncation)
	endif()
	if(JOB_WERROR)
		target_compile_options(job_warnings INTERFACE -Werror)
	endif()
endif()
