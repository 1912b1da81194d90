# Core: tile math, sources and URL templates, options, logging.
mer_add_unit_test(tile LABELS core)
mer_add_unit_test(source LABELS core)
mer_add_unit_test(options LABELS core)
mer_add_unit_test(datadir LABELS core)
mer_add_unit_test(log LABELS core tsan)
# The binary's exit status and message for bad command lines.
add_test(NAME cli_errors COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli_errors.sh $<TARGET_FILE:meridian>)
set_tests_properties(cli_errors PROPERTIES TIMEOUT 60 LABELS core)
