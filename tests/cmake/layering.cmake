# The layering test (issue 16): no folder under src/ includes a header from a
# folder above it; the allowed graph is tests/layers.txt.
add_test(NAME layering COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/layering.sh
         ${PROJECT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR}/layers.txt)
set_tests_properties(layering PROPERTIES TIMEOUT 60 LABELS core)
