/* Sanitizer run-time settings, compiled into every program of an ASan build
 * (CMakeLists.txt adds this file to each executable; it is not part of any
 * library and does nothing in other builds).
 *
 * Why: a leak verdict must depend only on our code, not on how the machine's
 * GL driver was built or where a shell set LSAN_OPTIONS. Two things made it
 * depend on the machine (issue 11):
 *  - Suppressions came from an environment variable, so a test started any
 *    other way than scripts/test ran without them. They are compiled in here
 *    from tests/lsan.supp (the one list, each line commented), so meridian,
 *    meridian-tilesim and every test binary carry them however they start.
 *  - LeakSanitizer names a frame's module when it reports, at exit. By then
 *    libglvnd has dlclose()d the vendor GL library (libGLX_mesa and the DRI
 *    driver it pulled in), so an allocation the driver keeps for the process
 *    lifetime was reported from "<unknown module>" and no module suppression
 *    could match it; whether that happens depends on the driver's build.
 *    Here dlclose() is a no-op, so every library stays mapped until the
 *    report and each third-party frame keeps its module name. No file name is
 *    spelled anywhere, so this holds for any driver. (ASan's own dlclose
 *    interceptor is a weak symbol; the program's definition wins for every
 *    library, as symbol interposition always does.) Full unwinding
 *    (fast_unwind_on_malloc=0) would also name our call sites, but it made a
 *    viewer test 15x slower under llvmpipe, so frames are unwound as on any
 *    machine by default. */
#if defined(__SANITIZE_ADDRESS__)

#include <dlfcn.h>

#include "lsan_suppressions.h" /* mer_lsan_suppressions[], generated from tests/lsan.supp */

const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);
const char *__asan_default_options(void);

const char *__lsan_default_suppressions(void)
{
    return mer_lsan_suppressions;
}

/* The list of suppressions used is noise in every test log. */
const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}

/* detect_leaks is on by default on Linux already; saying it here documents
 * that nothing in the project turns it off (tests/test_lsan_canary.c checks). */
const char *__asan_default_options(void)
{
    return "detect_leaks=1";
}

int dlclose(void *handle)
{
    (void)handle;
    return 0;
}

#endif
