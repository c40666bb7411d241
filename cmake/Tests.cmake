# Test registration: C unit tests (tests/unit/test-*.c) and bats suites
# (tests/cli/*.bats, tests/fault/*.bats). ctest is the single runner.
include(CTest)
if(NOT BUILD_TESTING)
	return()
endif()

file(GLOB unit_sources CONFIGURE_DEPENDS
	${CMAKE_CURRENT_SOURCE_DIR}/tests/unit/test-*.c)
foreach(src IN LISTS unit_sources)
	get_filename_component(name ${src} NAME_WE)
	add_executable(${name} ${src})
	target_link_libraries(${name} PRIVATE jobcore)
	add_test(NAME unit/${name} COMMAND ${name})
	set_tests_properties(unit/${name} PROPERTIES LABELS unit)
endforeach()

find_program(BATS_EXECUTABLE bats)
if(NOT BATS_EXECUTABLE)
	message(FATAL_ERROR "bats not found: install it with 'apt-get install bats'")
endif()

foreach(group cli fault)
	file(GLOB suites CONFIGURE_DEPENDS
		${CMAKE_CURRENT_SOURCE_DIR}/tests/${group}/*.bats)
	foreach(suite IN LISTS suites)
		get_filename_component(name ${suite} NAME_WE)
		add_test(NAME ${group}/${name}
			COMMAND ${BATS_EXECUTABLE} --print-output-on-failure ${suite})
		set_tests_properties(${group}/${name} PROPERTIES
			LABELS ${group}
			ENVIRONMENT "JOB_BIN=$<TARGET_FILE:job>"
			TIMEOUT 600)
	endforeach()
endforeach()
