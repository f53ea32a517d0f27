/*
 * XERBLA for the bundled netlib copy (symbols renamed lapack_ai_netlib_*).
 *
 * Reference XERBLA prints and STOPs the program. The bundled routines only
 * reach it if lapack-ai's own argument checks (src/ops/FAMILY/check.rs) let an illegal
 * argument through, so instead of stopping we hand the report to Rust
 * (src/engine/cpu/xerbla.rs), which calls the process's own xerbla_ as every other
 * path does. Hidden visibility: nothing here is exported.
 */
#include <stddef.h>

typedef void (*lapack_ai_xerbla_hook)(const char *srname, size_t srname_len, int info);

static lapack_ai_xerbla_hook hook;

__attribute__((visibility("hidden"))) void
lapack_ai_netlib_set_xerbla_hook(lapack_ai_xerbla_hook h)
{
    __atomic_store_n(&hook, h, __ATOMIC_RELEASE);
}

/* Fortran ABI: CALL XERBLA(SRNAME, INFO), gfortran's hidden length last. */
__attribute__((visibility("hidden"))) void
lapack_ai_netlib_xerbla_(const char *srname, const int *info, size_t srname_len)
{
    lapack_ai_xerbla_hook h = __atomic_load_n(&hook, __ATOMIC_ACQUIRE);
    if (h != NULL)
        h(srname, srname_len, *info);
}

/*
 * Weak references to the process's error handlers. A program that defines
 * XERBLA (every test suite does) and links liblapack_ai.so as its only
 * LAPACK exports that definition only if a shared library refers to it;
 * these references make the linker do so, and resolve to the program's
 * (or its BLAS's) handlers at load time, or to NULL where there are none.
 */
extern void xerbla_(const char *srname, const int *info, size_t srname_len) __attribute__((weak));
extern void cblas_xerbla(int p, const char *rout, const char *form, ...) __attribute__((weak));

__attribute__((visibility("hidden"))) void *
lapack_ai_weak_xerbla(void)
{
    return (void *)xerbla_;
}

__attribute__((visibility("hidden"))) void *
lapack_ai_weak_cblas_xerbla(void)
{
    return (void *)cblas_xerbla;
}
