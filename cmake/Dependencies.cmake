# External libraries: SQLite (find_package) and jansson (pkg-config).
# A missing one stops configuration with the Debian package to install.
#
# JOB_STATIC_DEPS (on by default) links the two statically when their .a
# files are there, as Debian's -dev packages ship them: each `job` call
# then skips resolving a few thousand symbols at start, and a supervisor
# maps no shared copy of them (measured: 2.2 MiB RSS shared, 1.8 static).
find_package(SQLite3 QUIET)
if(NOT SQLite3_FOUND)
	message(FATAL_ERROR
		"SQLite3 not found: install it with 'apt-get install libsqlite3-dev'")
endif()

find_package(PkgConfig QUIET)
if(NOT PKG_CONFIG_FOUND)
	message(FATAL_ERROR
		"pkg-config not found: install it with 'apt-get install pkg-config'")
endif()
pkg_check_modules(JANSSON QUIET IMPORTED_TARGET jansson)
if(NOT JANSSON_FOUND)
	message(FATAL_ERROR
		"jansson not found: install it with 'apt-get install libjansson-dev'")
endif()

option(JOB_STATIC_DEPS "Link SQLite and jansson statically when possible" ON)
add_library(job_deps INTERFACE)
if(JOB_STATIC_DEPS)
	find_library(SQLITE3_STATIC libsqlite3.a
		HINTS ${SQLite3_INCLUDE_DIRS}/../lib)
	find_library(JANSSON_STATIC libjansson.a HINTS ${JANSSON_LIBRARY_DIRS})
endif()
if(JOB_STATIC_DEPS AND SQLITE3_STATIC AND JANSSON_STATIC)
	set(THREADS_PREFER_PTHREAD_FLAG ON)
	find_package(Threads REQUIRED)
	target_include_directories(job_deps INTERFACE
		${SQLite3_INCLUDE_DIRS} ${JANSSON_INCLUDE_DIRS})
	target_link_libraries(job_deps INTERFACE ${SQLITE3_STATIC}
		${JANSSON_STATIC} Threads::Threads ${CMAKE_DL_LIBS} m)
	message(STATUS "job: SQLite and jansson linked statically")
else()
	target_link_libraries(job_deps INTERFACE SQLite::SQLite3 PkgConfig::JANSSON)
endif()
