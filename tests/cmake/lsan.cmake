# Leak-checker canary (issue 11): only meaningful in an ASan build.
if(MERIDIAN_SANITIZE MATCHES "address" AND TARGET meridian_ui)
  # Built like a distribution library: optimised, no frame pointers, no sanitizer.
  add_library(mer_fake_driver MODULE ${CMAKE_CURRENT_SOURCE_DIR}/support/fake_driver.c)
  set_target_properties(mer_fake_driver PROPERTIES OUTPUT_NAME mer_fake_driver PREFIX lib)
  target_compile_options(mer_fake_driver PRIVATE -O2 -fomit-frame-pointer)
  mer_add_unit_test(lsan_canary LABELS gui TIMEOUT 120)
  target_link_libraries(test_lsan_canary PRIVATE ${CMAKE_DL_LIBS})
  add_dependencies(test_lsan_canary mer_fake_driver)
  set_property(TEST lsan_canary APPEND PROPERTY ENVIRONMENT
    "MER_FAKE_DRIVER=$<TARGET_FILE:mer_fake_driver>" "SDL_VIDEODRIVER=x11")
endif()

# Decode workers release SDL's per-thread error buffer (issue 11); the leak
# check at exit is the assertion in the ASan build.
mer_add_unit_test(decode_threads LABELS loader tsan)
