"""lapack_ai: NumPy's svd, solve and matmul, computed by liblapack_ai.so.

NumPy's wheels carry their own OpenBLAS under private symbol names, so
preloading liblapack_ai.so does not reach them; this module calls the
library directly instead. Each function follows the NumPy function of the
same name: signature, shapes (stacks of matrices included), return types,
and exceptions (``numpy.linalg.LinAlgError`` for a singular matrix or an SVD
that does not converge).

Arrays go to the library where they lie when their layout allows: float64,
aligned, one unit stride (column- or row-major, a leading dimension >= the
matrix's). Anything else is converted once (one new float64 array), never
reinterpreted. Inputs are never modified unless asked (``overwrite_a``,
``overwrite_b``, as SciPy's). The configuration (``LAPACK_AI_MODE``,
``LAPACK_AI_DEVICE``, ...) is read from the environment at the first call.
"""

import ctypes
import json
import threading
from collections import namedtuple

import numpy as np
from numpy.linalg import LinAlgError

from . import _clib

__version__ = "0.2.0"
__all__ = ["svd", "solve", "matmul", "matmul_alpha", "info", "stats", "LinAlgError", "SVDResult"]

try:  # NumPy >= 2 returns this named tuple from numpy.linalg.svd
    from numpy.linalg._linalg import SVDResult
except ImportError:  # pragma: no cover (NumPy 1.x)
    SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])

# LAPACKE/CBLAS constants (include/lapack_ai.h, cblas.h).
_ROW_MAJOR, _COL_MAJOR = 101, 102
_CBLAS_NO_TRANS, _CBLAS_TRANS = 111, 112
# lapack_ai_dgesvdocl's INFO for an A containing NaN (argument 6) and for a
# failed workspace allocation (LAPACK_AI_WORK_MEMORY_ERROR).
_SVD_INFO_NAN = -6
_WORK_MEMORY_ERROR = -1010
# The library is LP64: every dimension and leading dimension is a C int.
_INT_MAX = 2**31 - 1
_F8 = np.dtype(np.float64)
_F4 = np.dtype(np.float32)


# ---------------------------------------------------------------- layouts

def _ld(stride, rows):
    """The leading dimension that a byte stride between columns (or rows)
    gives, if it is one LAPACK accepts for `rows` elements, else None."""
    if stride % 8 or not max(1, rows) <= stride // 8 <= _INT_MAX:
        return None
    return stride // 8


def _layout(x):
    """How the library can read the 2-D array `x` where it lies:
    ``(False, ld)`` column-major with leading dimension ld, ``(True, ld)``
    row-major (x.T column-major), or None (not native float64, unaligned,
    no unit stride, negative strides)."""
    if x.dtype != _F8 or not x.dtype.isnative or not x.flags.aligned:
        return None
    m, n = x.shape
    s0, s1 = x.strides
    if m <= 1 or s0 == 8:
        ld = max(1, m) if n <= 1 else _ld(s1, m)
        if ld:
            return False, ld
    if n <= 1 or s1 == 8:
        ld = max(1, n) if m <= 1 else _ld(s0, n)
        if ld:
            return True, ld
    return None


def _first_matrix(x):
    return x if x.ndim == 2 else x[(0,) * (x.ndim - 2)]


def _address(x):
    return x.ctypes.data


# Work arrays up to this many doubles (32 MiB) are kept between calls, one
# per thread.
_SCRATCH_DOUBLES = 2**22
_scratch_local = threading.local()


def _scratch(m, n, row_major=False, slot="a", dtype=_F8):
    """An m x n work array (column-major, or row-major) that the caller never
    sees. Reused between calls of a thread up to 32 MiB a slot: freed at
    the end of each call, glibc hands its pages back and faults them in again
    at the next (measured on the project's VM: two 2 MiB arrays per call,
    ~1,000 page faults, 5.7 ms, against 0.04 ms for the copy itself).
    One buffer per `slot`: arrays of different slots can be used together."""
    size = m * n
    if size > _SCRATCH_DOUBLES:
        return np.empty((m, n), dtype, order="C" if row_major else "F")
    buffers = _scratch_local.__dict__
    buf = buffers.get(slot)
    if buf is None or buf.size < size:
        buf = buffers[slot] = np.empty(max(size, 1), dtype)
    return buf[:size].reshape((m, n)) if row_major else buf[:size].reshape((n, m)).T


_PANEL = 16


def _copy_into(dst, src):
    """``dst[...] = src`` (converting the dtype, broadcasting) for a
    column-major `dst`. From a row-major matrix NumPy's copy strides through
    memory; copied 16 rows at a time it is 3 to 5 times faster: 0.8 ms
    instead of 3.6 ms for 1024 x 1024 on the project's machine (64 x 64
    blocks: 1.9 ms)."""
    if (dst.ndim == src.ndim == 2 and min(dst.shape) > 2 * _PANEL
            and abs(src.strides[0]) > abs(src.strides[1]) and dst.strides[0] < dst.strides[1]):
        for i in range(0, dst.shape[0], _PANEL):
            dst[i:i + _PANEL] = src[i:i + _PANEL]
    else:
        dst[...] = src


def _check_lp64(*dims):
    if max(dims, default=0) > _INT_MAX:
        raise ValueError("lapack_ai: a dimension exceeds 2**31 - 1, the largest the (LP64) library takes")


# ---------------------------------------------------------------- dtypes

def _linalg_dtype(arrays, fn):
    """The dtype numpy.linalg returns for these inputs: float32 if all are
    float32, else float64 (integers and booleans compute in float64). The
    library computes in float64 either way."""
    result = np.dtype(np.float32)
    for x in arrays:
        t = x.dtype
        if t.kind in "biu" or (t.kind == "f" and t.itemsize == 8):
            result = _F8
        elif t.kind == "f" and t.itemsize == 4:
            pass
        elif t.kind == "f":
            raise TypeError(f"array type {t} is unsupported in linalg")
        elif t.kind == "c":
            raise TypeError(f"lapack_ai.{fn}: complex arrays are not supported (real only); use numpy.linalg.{fn}")
        else:
            raise TypeError(f"lapack_ai.{fn}: arrays of type {t} are not supported")
    return result


def _assert_stacked_2d(a):
    if a.ndim < 2:
        raise LinAlgError(f"{a.ndim}-dimensional array given. Array must be at least two-dimensional")


def _assert_stacked_square(a):
    if a.shape[-1] != a.shape[-2]:
        raise LinAlgError("Last 2 dimensions of the array must be square")


# ---------------------------------------------------------------- svd

def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, lapack_driver="gesdd"):
    """Singular value decomposition, as ``numpy.linalg.svd(a, full_matrices,
    compute_uv)``: ``a = (u * s[..., None, :]) @ vh``.

    `a` is (..., M, N); returns ``SVDResult(U, S, Vh)`` with U (..., M, M)
    and Vh (..., N, N) (``full_matrices=False``: (..., M, K) and (..., K, N),
    K = min(M, N)), S (..., K) descending; only S if ``compute_uv=False``.

    ``lapack_driver`` (as SciPy's): ``"gesdd"`` (NumPy's algorithm, divide
    and conquer: the library's ``dgesdd_``) or ``"gesvd"``
    (``lapack_ai_dgesvdocl``, DGESVD's algorithm: QR iteration, much slower
    with vectors on the CPU); either runs on the GPU SVD when the library
    routes it there. Singular vectors may differ from NumPy's by sign, as
    between any two LAPACKs.

    ``overwrite_a=True`` lets the library work in `a` itself (destroying
    it) when `a` is float64 and column- or row-major; otherwise `a` is
    copied once. Raises LinAlgError if the SVD does not converge (or `a`
    contains NaN).
    """
    if lapack_driver not in ("gesdd", "gesvd"):
        raise ValueError(f'lapack_ai.svd: lapack_driver must be "gesdd" or "gesvd", not {lapack_driver!r}')
    a = np.asarray(a)
    _assert_stacked_2d(a)
    dtype = _linalg_dtype((a,), "svd")
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    k = min(m, n)
    _check_lp64(m, n)
    if compute_uv:
        job = b"A" if full_matrices else b"S"
        ucols, vrows = (m, n) if full_matrices else (k, k)

    if k == 0 or 0 in batch:
        # Nothing to compute; as NumPy, the full bases are identities.
        s = np.empty(batch + (k,), dtype)
        if not compute_uv:
            return s
        u = np.zeros(batch + (m, ucols), dtype)
        vh = np.zeros(batch + (vrows, n), dtype)
        if full_matrices:
            u[...] = np.eye(m, dtype=dtype)
            vh[...] = np.eye(n, dtype=dtype)
        return SVDResult(u, s, vh)

    if overwrite_a and a.flags.writeable and _layout(_first_matrix(a)) is not None:
        work = a
    else:
        # One copy, in the input's own order where that is a layout the
        # library reads (a plain copy, not a transposition).
        if a.ndim == 2:
            work = _scratch(m, n, row_major=(_layout(a) or (True,))[0])
            work[...] = a
        else:
            work = np.array(a, dtype=_F8, order="C")
    row_major, ld = _layout(_first_matrix(work))

    # The library computes the SVD of the column-major matrix it sees:
    # `work` itself, or (row-major) its transpose, A^T = V S U^T, whose
    # U and VT are our Vh^T and U^T. The arrays below are laid out so that
    # either way the results land in U and Vh without a copy.
    s = np.empty(batch + (k,))
    lm, ln = (n, m) if row_major else (m, n)
    if compute_uv:
        if row_major:
            u_store, vh_store = np.empty(batch + (m, ucols)), np.empty(batch + (vrows, n))
            lu, lvt = vh_store, u_store  # U' = Vh^T (n x vrows), VT' = U^T (ucols x m)
            ldu, ldvt = max(1, n), max(1, ucols)
            u, vh = u_store, vh_store
        else:
            u_store, vh_store = np.empty(batch + (ucols, m)), np.empty(batch + (n, vrows))
            lu, lvt = u_store, vh_store
            ldu, ldvt = max(1, m), max(1, vrows)
            u, vh = u_store.swapaxes(-1, -2), vh_store.swapaxes(-1, -2)
    else:
        job = b"N"
        ldu = ldvt = 1
    call = _gesdd if lapack_driver == "gesdd" else _gesvdocl
    for idx in np.ndindex(batch):
        call(job, lm, ln, _address(work[idx]), ld, _address(s[idx]), _address(lu[idx]) if compute_uv else None, ldu,
             _address(lvt[idx]) if compute_uv else None, ldvt, k)
    if dtype != _F8:
        s = s.astype(dtype)
        if compute_uv:
            u, vh = u.astype(dtype), vh.astype(dtype)
    return SVDResult(u, s, vh) if compute_uv else s


def _gesvdocl(job, m, n, pa, lda, ps, pu, ldu, pvt, ldvt, k):
    superb = np.empty(max(1, k - 1))
    info = _clib.function("lapack_ai_dgesvdocl")(102, job, job, m, n, pa, lda, ps, pu, ldu, pvt, ldvt,
                                                 _address(superb))
    if info > 0 or info == _SVD_INFO_NAN:
        raise LinAlgError("SVD did not converge")
    if info == _WORK_MEMORY_ERROR:
        raise MemoryError("lapack_ai.svd: the library could not allocate its workspace")
    if info != 0:
        raise RuntimeError(f"lapack_ai.svd: lapack_ai_dgesvdocl returned {info} (a bug in lapack_ai)")


def _gesdd(job, m, n, pa, lda, ps, pu, ldu, pvt, ldvt, k):
    # DGESDD(JOBZ, M, N, A, LDA, S, U, LDU, VT, LDVT, WORK, LWORK, IWORK,
    # INFO, hidden length of JOBZ): scalars by reference; LWORK = -1 first,
    # a workspace query. A containing NaN gives INFO = -4 (reference's check).
    dgesdd = _clib.function("dgesdd_")
    jobz = ctypes.c_char(job)
    ints = (ctypes.c_int * 7)(m, n, lda, ldu, ldvt, -1, 0)
    p = [ctypes.addressof(ints) + i * ctypes.sizeof(ctypes.c_int) for i in range(7)]
    iwork = _scratch(8 * k, 1, slot="iwork", dtype=np.intc)
    query = ctypes.c_double(0.0)
    dgesdd(ctypes.addressof(jobz), p[0], p[1], pa, p[2], ps, pu, p[3], pvt, p[4], ctypes.addressof(query), p[5],
           _address(iwork), p[6], 1)
    if ints[6] == 0:
        ints[5] = max(1, int(query.value))
        work = _scratch(ints[5], 1, slot="work")
        dgesdd(ctypes.addressof(jobz), p[0], p[1], pa, p[2], ps, pu, p[3], pvt, p[4], _address(work), p[5],
               _address(iwork), p[6], 1)
    info = ints[6]
    if info > 0 or info == -4:
        raise LinAlgError("SVD did not converge")
    if info != 0:
        raise RuntimeError(f"lapack_ai.svd: dgesdd_ returned INFO={info} (a bug in lapack_ai)")


# ---------------------------------------------------------------- solve

def solve(a, b, overwrite_a=False, overwrite_b=False):
    """Solves ``a @ x = b``, as ``numpy.linalg.solve(a, b)`` (NumPy 2
    shapes): `a` (..., M, M); `b` (M,) or (..., M, K), batch dimensions
    broadcast. Computed by DGESV (LU with partial pivoting).

    ``overwrite_a=True``: the LU factors may be written into `a` (when it is
    a 2-D column-major float64 array); ``overwrite_b=True``: the solution
    may be written into `b` and `b` returned (when it is float64, (M,) or
    (M, K) column-major, and not broadcast). Otherwise both are copied once.
    Raises LinAlgError("Singular matrix") if `a` is exactly singular.
    """
    a, b = np.asarray(a), np.asarray(b)
    _assert_stacked_2d(a)
    _assert_stacked_square(a)
    dtype = _linalg_dtype((a, b), "solve")
    m = a.shape[-1]
    vector = b.ndim == 1
    name, signature = ("solve1", "(m,m),(m)->(m)") if vector else ("solve", "(m,m),(m,n)->(m,n)")
    if b.ndim == 0:
        raise ValueError(f"{name}: Input operand 1 does not have enough dimensions "
                         f"(has 0, gufunc core with signature {signature} requires 2)")
    b2 = b[:, None] if vector else b
    if b2.shape[-2] != m:
        raise ValueError(f"{name}: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
                         f"signature {signature} (size {b2.shape[-2]} is different from {m})")
    nrhs = b2.shape[-1]
    batch = () if a.ndim == b2.ndim == 2 else np.broadcast_shapes(a.shape[:-2], b2.shape[:-2])
    _check_lp64(m, nrhs)

    b_layout = _layout(b2) if b2.ndim == 2 else None
    if overwrite_b and not batch and b.flags.writeable and b_layout is not None and b_layout[0] is False:
        x, ldb, result = b2, b_layout[1], b
    else:
        x_store = np.empty(batch + (nrhs, m))
        x = x_store.swapaxes(-1, -2)  # each matrix column-major, ldb = m
        _copy_into(x, b2)
        ldb, result = max(1, m), x_store[..., 0, :] if vector else x
    if m == 0 or nrhs == 0 or 0 in batch:
        return result if dtype is _F8 else result.astype(dtype)

    a_layout = _layout(a) if a.ndim == 2 else None
    direct_a = overwrite_a and not batch and a.flags.writeable and a_layout is not None and a_layout[0] is False
    if direct_a:
        work, lda = a, a_layout[1]
    else:
        work, lda = _scratch(m, m), max(1, m)  # reused across a stack
    ipiv = np.empty(m, np.intc)
    # DGESV's scalars are passed by reference.
    ints = (ctypes.c_int * 5)(m, nrhs, lda, ldb, 0)
    p = [ctypes.addressof(ints) + i * ctypes.sizeof(ctypes.c_int) for i in range(5)]
    dgesv = _clib.function("dgesv_")
    a_b = np.broadcast_to(a, batch + (m, m)) if batch else a
    for idx in np.ndindex(batch) if batch else [()]:
        if not direct_a:
            _copy_into(work, a_b[idx])
        dgesv(p[0], p[1], _address(work), p[2], _address(ipiv), _address(x[idx] if batch else x), p[3], p[4])
        info = ints[4]
        if info > 0:
            raise LinAlgError("Singular matrix")
        if info != 0:
            raise RuntimeError(f"lapack_ai.solve: dgesv_ returned INFO={info} (a bug in lapack_ai)")
    return result if dtype is _F8 else result.astype(dtype)


# ---------------------------------------------------------------- matmul

def _gemm_operand(x):
    """`x` if the library can read its matrices where they lie, else one
    C-ordered float64 copy."""
    if x.size and _layout(_first_matrix(x)) is not None:
        return x
    return np.ascontiguousarray(x, dtype=_F8)


def _matmul(a, b, fn, call):
    a, b = np.asarray(a), np.asarray(b)
    signature = "(n?,k),(k,m?)->(n?,m?)"
    for i, x in enumerate((a, b)):
        if x.ndim == 0:
            raise ValueError(f"{fn}: Input operand {i} does not have enough dimensions "
                             f"(has 0, gufunc core with signature {signature} requires 1)")
        if x.dtype.kind != "f" or x.dtype.itemsize not in (4, 8):
            raise TypeError(f"lapack_ai.{fn}: computes in float64; got an array of type {x.dtype} "
                            f"(convert it, or use numpy.matmul)")
    # NumPy's result type: float32 for two float32 operands, else float64.
    dtype = _F4 if a.dtype.itemsize == 4 and b.dtype.itemsize == 4 else _F8
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    (m, k), (k2, n) = a2.shape[-2:], b2.shape[-2:]
    if k2 != k:
        raise ValueError(f"{fn}: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
                         f"signature {signature} (size {k2} is different from {k})")
    batch = () if a2.ndim == b2.ndim == 2 else np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    _check_lp64(m, n, k)
    if batch and 0 in batch or m == 0 or n == 0 or k == 0:
        out = np.zeros(batch + (m, n))
    else:
        a2, b2 = _gemm_operand(a2), _gemm_operand(b2)
        (a_row, lda), (b_row, ldb) = _layout(_first_matrix(a2)), _layout(_first_matrix(b2))
        # C = op(A) op(B) in C's layout: a row-major C from row-major
        # operands as they are and column-major ones transposed, a
        # column-major C the other way round. C is row-major (as NumPy's)
        # unless both operands are column-major: then a column-major C makes
        # the product NN rather than TT, which some BLAS (the bundled
        # reference) run many times slower.
        row = a_row or b_row
        if row:
            out = np.empty(batch + (m, n))
            ta, tb, ldc = not a_row, not b_row, n
        else:
            out = np.empty(batch + (n, m)).swapaxes(-1, -2)
            ta, tb, ldc = a_row, b_row, m
        if not batch:
            call(row, m, n, k, _address(a2), lda, ta, _address(b2), ldb, tb, _address(out), ldc)
        else:
            a_b, b_b = np.broadcast_to(a2, batch + (m, k)), np.broadcast_to(b2, batch + (k, n))
            for idx in np.ndindex(batch):
                call(row, m, n, k, _address(a_b[idx]), lda, ta, _address(b_b[idx]), ldb, tb, _address(out[idx]), ldc)
    if a.ndim == 1:
        out = out[..., 0, :]
    if b.ndim == 1:
        out = out[..., 0]
    if dtype is not _F8:
        out = out.astype(dtype)
    return out[()] if out.ndim == 0 else out


def _cblas_dgemm(row, m, n, k, pa, lda, ta, pb, ldb, tb, pc, ldc):
    _clib.function("cblas_dgemm")(_ROW_MAJOR if row else _COL_MAJOR, _CBLAS_TRANS if ta else _CBLAS_NO_TRANS,
                                  _CBLAS_TRANS if tb else _CBLAS_NO_TRANS, m, n, k, 1.0, pa, lda, pb, ldb, 0.0, pc,
                                  max(1, ldc))


def _dgemm_alpha(row, m, n, k, pa, lda, ta, pb, ldb, tb, pc, ldc):
    info = _clib.function("lapack_ai_dgemm_alpha")(_ROW_MAJOR if row else _COL_MAJOR, b"T" if ta else b"N",
                                                   b"T" if tb else b"N", m, n, k, 1.0, pa, lda, pb, ldb, 0.0, pc,
                                                   max(1, ldc))
    if info != 0:
        raise RuntimeError(f"lapack_ai.matmul_alpha: lapack_ai_dgemm_alpha returned {info} (a bug in lapack_ai)")


def matmul(a, b):
    """Matrix product, as ``numpy.matmul(a, b)`` (``a @ b``): 1-D operands
    are vectors, batch dimensions broadcast. Computed by the library's
    ``cblas_dgemm`` (on the GPU when routed there) in float64; the result
    has NumPy's dtype (float32 only for two float32 inputs) and is
    C-ordered, or F-ordered when both operands are column-major. Integer,
    boolean and complex inputs raise TypeError."""
    return _matmul(a, b, "matmul", _cblas_dgemm)


def matmul_alpha(a, b):
    """As :func:`matmul`, computed by ``lapack_ai_dgemm_alpha`` (DGEMM_ALPHA:
    a fast 4x4-block bilinear scheme; the same product up to rounding)."""
    return _matmul(a, b, "matmul_alpha", _dgemm_alpha)


# ---------------------------------------------------------------- library

def info():
    """What the library runs on: ``{"version", "library" (its path),
    "mode", "device", "cpu": {routine: CPU library}}``, from
    ``lapack_ai_info()``."""
    text = _clib.function("lapack_ai_info")().decode()
    result = {"version": _clib.function("lapack_ai_version")().decode(), "library": _clib.LIBRARY_PATH, "cpu": {}}
    for line in text.splitlines()[1:]:
        key, _, value = line.partition(": ")
        if key.startswith("cpu "):
            result["cpu"][key[4:]] = value
        elif key:
            result[key] = value
    return result


def stats():
    """The library's per-routine counters (``lapack_ai_stats_json``), as a
    dict parsed from its JSON."""
    f = _clib.function("lapack_ai_stats_json")
    size = 4096
    while True:
        buf = ctypes.create_string_buffer(size)
        needed = f(buf, size)
        if needed < size:
            return json.loads(buf.value.decode())
        size = needed + 1
