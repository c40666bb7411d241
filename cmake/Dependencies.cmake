# External libraries: SQLite (find_package) and jansson (pkg-config).
# A missing one stops configuration with the Debian package to install.
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

add_library(job_deps INTERFACE)
target_link_libraries(job_deps INTERFACE SQLite::SQLite3 PkgConfig::JANSSON)
