"""Loading liblapack_ai.so and declaring the C functions the module calls.

Why ctypes (not a compiled extension, not cffi): the library already has a
C API with plain C types, so the binding needs no C compiler, no Python
headers and no build per Python version; ctypes is in the standard library
and releases the GIL around every foreign call. Its cost, a few
microseconds a call, is measured against the computations it wraps in
bench/python_overhead.py (bench/RESULTS.md).

Which library: ``LAPACK_AI_LIBRARY`` (a path) if set; else the copy that
``pip install`` put in this package; else ``target/release`` of the
checkout this package sits in (a development tree); else whatever the
dynamic loader finds as ``liblapack_ai.so`` (``tools/install.sh`` puts it
in ``PREFIX/lib``). It is opened with ``RTLD_LOCAL``: its LAPACK symbols
serve this module only and do not replace those of other extensions.
"""

import ctypes
import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent
LIBRARY_NAME = "liblapack_ai.so"


def _candidates():
    env = os.environ.get("LAPACK_AI_LIBRARY")
    if env:
        # An explicit choice is the only candidate: a typo must not quietly
        # load some other copy.
        return [env]
    return [
        str(_HERE / LIBRARY_NAME),
        str(_HERE.parent.parent / "target" / "release" / LIBRARY_NAME),
        LIBRARY_NAME,
    ]


def _load():
    errors = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            errors.append(f"{path}: no such file")
            continue
        try:
            return ctypes.CDLL(path, mode=os.RTLD_LOCAL | os.RTLD_NOW), path
        except OSError as e:
            errors.append(str(e))
    raise ImportError(
        "lapack_ai: cannot load liblapack_ai.so (set LAPACK_AI_LIBRARY to its path, "
        "or reinstall with `pip install ./python` from a checkout with cargo):\n  " + "\n  ".join(errors)
    )


LIB, LIBRARY_PATH = _load()

_int = ctypes.c_int
_dbl = ctypes.c_double
_ptr = ctypes.c_void_p
_char = ctypes.c_char

# name: (restype, argtypes). The exported symbols this module calls.
_PROTOTYPES = {
    "lapack_ai_version": (ctypes.c_char_p, []),
    "lapack_ai_info": (ctypes.c_char_p, []),
    # int lapack_ai_dgesvdocl(int layout, char jobu, char jobvt, int m, int n,
    #     double *a, int lda, double *s, double *u, int ldu, double *vt,
    #     int ldvt, double *superb)
    "lapack_ai_dgesvdocl": (_int, [_int, _char, _char, _int, _int, _ptr, _int, _ptr, _ptr, _int, _ptr, _int, _ptr]),
    # void dgesdd_(const char *jobz, const int *m, const int *n, double *a,
    #     const int *lda, double *s, double *u, const int *ldu, double *vt,
    #     const int *ldvt, double *work, const int *lwork, int *iwork,
    #     int *info, size_t jobz_len)
    "dgesdd_": (None, [_ptr] * 14 + [ctypes.c_size_t]),
    # void dgesv_(const int *n, const int *nrhs, double *a, const int *lda,
    #     int *ipiv, double *b, const int *ldb, int *info)
    "dgesv_": (None, [_ptr] * 8),
    # void cblas_dgemm(int layout, int transa, int transb, int m, int n, int k,
    #     double alpha, const double *a, int lda, const double *b, int ldb,
    #     double beta, double *c, int ldc)
    "cblas_dgemm": (None, [_int, _int, _int, _int, _int, _int, _dbl, _ptr, _int, _ptr, _int, _dbl, _ptr, _int]),
    # int lapack_ai_dgemm_alpha(int layout, char transa, char transb, int m,
    #     int n, int k, double alpha, const double *a, int lda,
    #     const double *b, int ldb, double beta, double *c, int ldc)
    "lapack_ai_dgemm_alpha": (
        _int,
        [_int, _char, _char, _int, _int, _int, _dbl, _ptr, _int, _ptr, _int, _dbl, _ptr, _int],
    ),
    # size_t lapack_ai_stats_json(char *buf, size_t len)
    "lapack_ai_stats_json": (ctypes.c_size_t, [ctypes.c_char_p, ctypes.c_size_t]),
}

_bound = {}


def function(name):
    """The C function `name` of the loaded library, declared once.

    A symbol the library does not export (an older library than this
    package) raises RuntimeError when first used, not at import: the rest
    of the module keeps working.
    """
    f = _bound.get(name)
    if f is None:
        try:
            f = getattr(LIB, name)
        except AttributeError:
            raise RuntimeError(
                f"lapack_ai: {LIBRARY_PATH} does not export {name}; it is older than this Python package"
            ) from None
        f.restype, f.argtypes = _PROTOTYPES[name]
        _bound[name] = f
    return f
