# The fault suites' helpers are the shared library's: see tests/lib/test-lib.bash.
load ../lib/test-lib
