"""lapack_ai against NumPy: values, shapes, dtypes, exceptions, layouts.

Runs on whatever the library is configured for (tools/test.sh runs it
twice: LAPACK_AI_MODE=cpu, and LAPACK_AI_MODE=gpu LAPACK_AI_DEVICE=pocl).
"""

import ctypes
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import lapack_ai
from lapack_ai import LinAlgError

EPS = np.finfo(np.float64).eps
MATMULS = [lapack_ai.matmul, lapack_ai.matmul_alpha]
DRIVERS = ["gesdd", "gesvd"]


@pytest.fixture
def passed(monkeypatch):
    """passed(name, by_reference) starts recording the calls of the library
    function `name`; the returned list gets each call's arguments (arrays as
    addresses; the C ints at the positions in `by_reference` read at the
    call)."""
    def record(name, by_reference=()):
        calls = []
        real = lapack_ai._clib.function(name)

        def proxy(*args):
            calls.append(tuple(ctypes.c_int.from_address(v).value if i in by_reference else v
                               for i, v in enumerate(args)))
            return real(*args)

        monkeypatch.setitem(lapack_ai._clib._bound, name, proxy)
        return calls

    return record


def tol(*dims):
    return 50 * EPS * max(dims + (1,))


def layouts(rng, m, n):
    """The same m x n values in the layouts a caller may hand over."""
    base = rng.standard_normal((m, n))
    padded = np.zeros((m + 3, n + 2))
    padded[1:m + 1, 2:] = base
    padded_f = np.asfortranarray(np.zeros((m + 3, n + 2)))
    padded_f[1:m + 1, 2:] = base
    strided = np.zeros((2 * m, 3 * n))
    strided[::2, ::3] = base
    return {
        "C": base,
        "F": np.asfortranarray(base),
        "row-major slice": padded[1:m + 1, 2:],
        "column-major slice": padded_f[1:m + 1, 2:],
        "strided": strided[::2, ::3],
        "reversed": np.ascontiguousarray(base[::-1, ::-1])[::-1, ::-1],
        "big-endian": base.astype(">f8"),
    }


# ---------------------------------------------------------------- svd

def check_svd(a, result, full_matrices, compute_uv):
    """lapack_ai.svd's result against numpy.linalg.svd's: same shapes and
    dtypes, same singular values, orthonormal factors that reproduce a, and
    the same singular vectors up to sign (random a: distinct values)."""
    expected = np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    m, n = a.shape[-2:]
    k = min(m, n)
    s, s_np = (result, expected) if not compute_uv else (result.S, expected.S)
    assert type(result) is type(expected)
    assert s.shape == s_np.shape and s.dtype == s_np.dtype
    scale = max(1.0, float(np.abs(s_np).max(initial=0)))
    t = tol(m, n) if s.dtype == np.float64 else 1e-5
    np.testing.assert_allclose(s, s_np, rtol=0, atol=t * scale)
    if not compute_uv:
        return
    u, vh = result.U, result.Vh
    assert u.shape == expected.U.shape and vh.shape == expected.Vh.shape
    assert u.dtype == expected.U.dtype and vh.dtype == expected.Vh.dtype
    np.testing.assert_allclose((u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :], a, rtol=0, atol=t * scale)
    np.testing.assert_allclose(u.swapaxes(-1, -2) @ u, np.broadcast_to(np.eye(u.shape[-1]), u.shape[:-2] + (u.shape[-1],) * 2), atol=t)
    np.testing.assert_allclose(vh @ vh.swapaxes(-1, -2), np.broadcast_to(np.eye(vh.shape[-2]), vh.shape[:-2] + (vh.shape[-2],) * 2), atol=t)
    # The vectors of a simple, nonzero singular value are unique up to sign.
    padded = np.concatenate([np.full(s_np.shape[:-1] + (1,), np.inf), s_np, np.zeros(s_np.shape[:-1] + (1,))], -1)
    gap = np.minimum(padded[..., :-2] - padded[..., 1:-1], padded[..., 1:-1] - padded[..., 2:])
    simple = np.all(gap.reshape(-1, k) > 1e-6 * scale, axis=0)
    if s.dtype == np.float64:
        assert simple.any() or np.all(s_np < 1e-6 * scale)  # random inputs: compare something
    uk, uk_np = u[..., :, :k][..., simple], expected.U[..., :, :k][..., simple]
    vk, vk_np = vh[..., :k, :][..., simple, :], expected.Vh[..., :k, :][..., simple, :]
    signs = np.sign(np.sum(uk * uk_np, axis=-2))
    np.testing.assert_allclose(uk * signs[..., None, :], uk_np, atol=1e3 * t)
    np.testing.assert_allclose(vk * signs[..., :, None], vk_np, atol=1e3 * t)


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (3, 2), (7, 5), (5, 7), (13, 13), (31, 17), (17, 31), (64, 3)])
@pytest.mark.parametrize("full_matrices", [True, False])
@pytest.mark.parametrize("compute_uv", [True, False])
@pytest.mark.parametrize("driver", DRIVERS)
def test_svd_random(rng, shape, full_matrices, compute_uv, driver):
    a = rng.standard_normal(shape)
    result = lapack_ai.svd(a, full_matrices=full_matrices, compute_uv=compute_uv, lapack_driver=driver)
    check_svd(a, result, full_matrices, compute_uv)


@pytest.mark.parametrize("name", ["C", "F", "row-major slice", "column-major slice", "strided", "reversed", "big-endian"])
@pytest.mark.parametrize("shape", [(9, 4), (4, 9)])
@pytest.mark.parametrize("driver", DRIVERS)
def test_svd_layouts_and_input_untouched(rng, name, shape, driver):
    a = layouts(rng, *shape)[name]
    before = a.copy()
    check_svd(a, lapack_ai.svd(a, lapack_driver=driver), True, True)
    check_svd(a, lapack_ai.svd(a, full_matrices=False, lapack_driver=driver), False, True)
    np.testing.assert_array_equal(a, before)


# Where the library's SVD functions take A and its leading dimension, and
# which scalars they take by reference.
SVD_A = {"gesdd": ("dgesdd_", 3, 4, (1, 2, 4, 7, 9)), "gesvd": ("lapack_ai_dgesvdocl", 5, 6, ())}


@pytest.mark.parametrize("name", ["F", "C", "column-major slice", "row-major slice"])
@pytest.mark.parametrize("driver", DRIVERS)
def test_svd_overwrite_a_works_in_place(rng, passed, name, driver):
    a = layouts(rng, 8, 5)[name]
    copy = a.copy()
    symbol, pa, plda, by_reference = SVD_A[driver]
    calls = passed(symbol, by_reference)
    result = lapack_ai.svd(a, overwrite_a=True, lapack_driver=driver)
    check_svd(copy, result, True, True)
    # The library was handed a's own buffer, with a's leading dimension.
    assert calls[-1][pa] == a.ctypes.data
    assert calls[-1][plda] == max(a.strides) // 8
    lapack_ai.svd(a, lapack_driver=driver)
    assert calls[-1][pa] != a.ctypes.data  # without overwrite_a: a copy


@pytest.mark.parametrize("name", ["strided", "big-endian"])
def test_svd_overwrite_a_copies_what_it_cannot_use(rng, name):
    a = layouts(rng, 8, 5)[name]
    copy = a.copy()
    check_svd(copy, lapack_ai.svd(a, overwrite_a=True), True, True)
    np.testing.assert_array_equal(a, copy)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32, bool])
def test_svd_dtypes_as_numpy(rng, dtype):
    a = (rng.standard_normal((6, 4)) * 3).astype(dtype)
    check_svd(a, lapack_ai.svd(a), True, True)
    check_svd(a, lapack_ai.svd(a, compute_uv=False), True, False)


@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (3, 0), (2, 0, 4)])
@pytest.mark.parametrize("full_matrices", [True, False])
@pytest.mark.parametrize("compute_uv", [True, False])
def test_svd_empty_as_numpy(shape, full_matrices, compute_uv):
    a = np.zeros(shape)
    result = lapack_ai.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    expected = np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    for r, e in zip(result if compute_uv else [result], expected if compute_uv else [expected]):
        assert r.shape == e.shape and r.dtype == e.dtype
        np.testing.assert_array_equal(r, e)


@pytest.mark.parametrize("shape", [(3, 6, 4), (2, 3, 4, 7)])
@pytest.mark.parametrize("driver", DRIVERS)
def test_svd_stacked(rng, shape, driver):
    a = rng.standard_normal(shape)
    check_svd(a, lapack_ai.svd(a, lapack_driver=driver), True, True)
    check_svd(a, lapack_ai.svd(a, full_matrices=False, lapack_driver=driver), False, True)
    check_svd(a, lapack_ai.svd(a, compute_uv=False, lapack_driver=driver), True, False)
    f = np.asfortranarray(a)  # its matrices are neither row- nor column-major
    check_svd(a, lapack_ai.svd(f, overwrite_a=True, lapack_driver=driver), True, True)
    np.testing.assert_array_equal(f, a)


def test_svd_errors_as_numpy():
    with pytest.raises(LinAlgError, match="two-dimensional"):
        lapack_ai.svd(np.ones(3))
    for driver in DRIVERS:
        for compute_uv in [True, False]:
            with pytest.raises(LinAlgError, match="did not converge"):
                lapack_ai.svd(np.array([[np.nan, 1.0], [1.0, 1.0]]), compute_uv=compute_uv, lapack_driver=driver)
    with pytest.raises(ValueError, match="lapack_driver"):
        lapack_ai.svd(np.eye(2), lapack_driver="gesvj")
    with pytest.raises(TypeError, match="float16"):
        lapack_ai.svd(np.ones((2, 2), np.float16))
    with pytest.raises(TypeError, match="complex"):
        lapack_ai.svd(np.ones((2, 2), complex))
    with pytest.raises(TypeError):
        lapack_ai.svd(np.array([["a", "b"], ["c", "d"]]))
    assert LinAlgError is np.linalg.LinAlgError


# ---------------------------------------------------------------- solve

def check_solve(a, b, x):
    expected = np.linalg.solve(a, b)
    assert x.shape == expected.shape and x.dtype == expected.dtype
    n = a.shape[-1]
    t = 1e3 * tol(n) if x.dtype == np.float64 else 1e-3
    np.testing.assert_allclose(x, expected, rtol=t, atol=t)


@pytest.mark.parametrize("n", [1, 2, 7, 31, 64])
@pytest.mark.parametrize("nrhs", [None, 1, 3])
def test_solve_random(rng, n, nrhs):
    a = rng.standard_normal((n, n)) + n * np.eye(n)
    b = rng.standard_normal((n,) if nrhs is None else (n, nrhs))
    check_solve(a, b, lapack_ai.solve(a, b))


@pytest.mark.parametrize("order", ["C", "F"])
def test_solve_large_converted_in_blocks(rng, order):
    # Past 32 x 32 a row-major input is transposed 16 rows at a time.
    a = np.array(rng.standard_normal((301, 301)) + 30 * np.eye(301), order=order)
    b = np.array(rng.standard_normal((301, 157)), order=order)
    check_solve(a, b, lapack_ai.solve(a, b))
    check_solve(a.T, b[:, ::-1], lapack_ai.solve(a.T, b[:, ::-1]))


@pytest.mark.parametrize("name", ["C", "F", "row-major slice", "column-major slice", "strided", "reversed", "big-endian"])
def test_solve_layouts_and_inputs_untouched(rng, name):
    a = layouts(rng, 9, 9)[name]
    b = layouts(rng, 9, 4)[name]
    a_before, b_before = a.copy(), b.copy()
    check_solve(a, b, lapack_ai.solve(a, b))
    check_solve(a, b[:, 1], lapack_ai.solve(a, b[:, 1]))
    np.testing.assert_array_equal(a, a_before)
    np.testing.assert_array_equal(b, b_before)


def test_solve_overwrite_works_in_place(rng, passed):
    a = np.asfortranarray(rng.standard_normal((6, 6)))
    b = np.asfortranarray(rng.standard_normal((6, 2)))
    a0, b0 = a.copy(), b.copy()
    calls = passed("dgesv_", (0, 1, 3, 6))
    x = lapack_ai.solve(a, b, overwrite_a=True, overwrite_b=True)
    assert x is b  # the solution is b's buffer
    check_solve(a0, b0, x)
    assert calls[-1][2] == a.ctypes.data and calls[-1][5] == b.ctypes.data  # DGESV worked in a and b
    lapack_ai.solve(a0, b0)
    assert calls[-1][2] != a0.ctypes.data and calls[-1][5] != b0.ctypes.data
    v = rng.standard_normal(6)
    v0 = v.copy()
    assert lapack_ai.solve(a0, v, overwrite_b=True) is v
    check_solve(a0, v0, v)


def test_solve_overwrite_copies_what_it_cannot_use(rng):
    a = rng.standard_normal((6, 6))  # row-major: DGESV needs a copy
    b = rng.standard_normal((6, 2)).astype(np.float32)
    a0, b0 = a.copy(), b.copy()
    x = lapack_ai.solve(a, b, overwrite_a=True, overwrite_b=True)
    check_solve(a0, b0, x)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


@pytest.mark.parametrize("dtypes", [(np.float32, np.float32), (np.float32, np.float64), (np.int64, np.int64),
                                    (np.int32, np.float32)])
def test_solve_dtypes_as_numpy(rng, dtypes):
    a = (rng.standard_normal((5, 5)) * 4 + 20 * np.eye(5)).astype(dtypes[0])
    b = (rng.standard_normal((5, 2)) * 4).astype(dtypes[1])
    check_solve(a, b, lapack_ai.solve(a, b))


@pytest.mark.parametrize("a_shape,b_shape", [((3, 4, 4), (4,)), ((3, 4, 4), (4, 2)), ((3, 4, 4), (3, 4, 2)),
                                             ((2, 1, 5, 5), (3, 5, 1)), ((4, 4), (2, 4, 3))])
def test_solve_stacked_broadcast(rng, a_shape, b_shape):
    a = rng.standard_normal(a_shape) + 4 * np.eye(a_shape[-1])
    b = rng.standard_normal(b_shape)
    a0 = a.copy()
    check_solve(a, b, lapack_ai.solve(a, b, overwrite_a=True))
    np.testing.assert_array_equal(a, a0)  # a stack is never overwritten


@pytest.mark.parametrize("a_shape,b_shape", [((0, 0), (0,)), ((0, 0), (0, 3)), ((3, 3), (3, 0)), ((0, 2, 2), (2,))])
def test_solve_empty_as_numpy(a_shape, b_shape):
    a, b = np.ones(a_shape) + np.eye(a_shape[-1]), np.ones(b_shape)
    x, expected = lapack_ai.solve(a, b), np.linalg.solve(a, b)
    assert x.shape == expected.shape and x.dtype == expected.dtype


def test_solve_errors_as_numpy():
    with pytest.raises(LinAlgError, match="^Singular matrix$"):
        lapack_ai.solve(np.zeros((3, 3)), np.ones(3))
    with pytest.raises(LinAlgError, match="^Singular matrix$"):
        lapack_ai.solve(np.array([[1.0, 2.0], [2.0, 4.0]]), np.ones((2, 2)))
    with pytest.raises(LinAlgError, match="square"):
        lapack_ai.solve(np.ones((2, 3)), np.ones(2))
    with pytest.raises(LinAlgError, match="two-dimensional"):
        lapack_ai.solve(np.ones(2), np.ones(2))
    for b in [np.ones(3), np.ones((3, 1)), np.float64(1.0)]:
        with pytest.raises(ValueError):
            np.linalg.solve(np.eye(2), b)
        with pytest.raises(ValueError):
            lapack_ai.solve(np.eye(2), b)
    with pytest.raises(ValueError):  # batch shapes that do not broadcast
        lapack_ai.solve(np.ones((3, 2, 2)), np.ones((4, 2, 1)))
    with pytest.raises(TypeError, match="complex"):
        lapack_ai.solve(np.eye(2, dtype=complex), np.ones(2))


# ---------------------------------------------------------------- matmul

def check_matmul(a, b, c):
    expected = np.matmul(a, b)
    assert type(c) is type(expected)
    assert np.shape(c) == np.shape(expected) and c.dtype == expected.dtype
    k = np.shape(a)[-1]
    t = tol(k) if c.dtype == np.float64 else 1e-5
    scale = np.sqrt(k) * 4
    np.testing.assert_allclose(c, expected, rtol=0, atol=t * scale)


@pytest.mark.parametrize("matmul", MATMULS)
@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (2, 3, 4), (7, 5, 3), (16, 16, 16), (33, 17, 9), (64, 64, 64),
                                   (129, 31, 67)])
def test_matmul_random(rng, matmul, m, k, n):
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    check_matmul(a, b, matmul(a, b))


@pytest.mark.parametrize("matmul", MATMULS)
@pytest.mark.parametrize("a_name", ["C", "F", "row-major slice", "column-major slice", "strided", "big-endian"])
@pytest.mark.parametrize("b_name", ["C", "F", "column-major slice", "strided"])
def test_matmul_layouts_and_inputs_untouched(rng, matmul, a_name, b_name):
    a, b = layouts(rng, 11, 6)[a_name], layouts(rng, 6, 9)[b_name]
    a0, b0 = a.copy(), b.copy()
    check_matmul(a, b, matmul(a, b))
    check_matmul(b.T, a.T, matmul(b.T, a.T))
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


@pytest.mark.parametrize("a_name", ["C", "F", "row-major slice", "column-major slice"])
@pytest.mark.parametrize("b_name", ["C", "F", "row-major slice", "column-major slice"])
def test_matmul_hands_over_the_operands_themselves(rng, passed, a_name, b_name):
    a, b = layouts(rng, 7, 5)[a_name], layouts(rng, 5, 6)[b_name]
    calls = passed("cblas_dgemm")
    check_matmul(a, b, lapack_ai.matmul(a, b))
    assert calls[-1][7] == a.ctypes.data and calls[-1][9] == b.ctypes.data
    assert {calls[-1][8], calls[-1][10]} <= {max(x.strides) // 8 for x in (a, b)}


def test_matmul_operands_pass_without_copy_where_the_layout_allows(rng):
    d = layouts(rng, 5, 4)
    for name in ["C", "F", "row-major slice", "column-major slice"]:
        x, xt = d[name], d[name].T
        assert lapack_ai._gemm_operand(x) is x, name
        assert lapack_ai._gemm_operand(xt) is xt, name
    stack = rng.standard_normal((3, 5, 4))
    stack_t = stack.swapaxes(-1, -2)
    assert lapack_ai._gemm_operand(stack) is stack
    assert lapack_ai._gemm_operand(stack_t) is stack_t
    for name in ["strided", "big-endian"]:
        converted = lapack_ai._gemm_operand(d[name])
        assert converted is not d[name] and converted.flags.c_contiguous and converted.dtype == np.float64
        np.testing.assert_array_equal(converted, d[name])


@pytest.mark.parametrize("matmul", MATMULS)
@pytest.mark.parametrize("a_shape,b_shape", [((5,), (5,)), ((5,), (5, 3)), ((4, 5), (5,)), ((2, 4, 5), (5, 3)),
                                             ((4, 5), (3, 5, 2)), ((2, 1, 4, 5), (3, 5, 2)), ((3, 4, 5), (5,)),
                                             ((5,), (2, 5, 3))])
def test_matmul_vectors_and_stacks(rng, matmul, a_shape, b_shape):
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    check_matmul(a, b, matmul(a, b))


@pytest.mark.parametrize("matmul", MATMULS)
@pytest.mark.parametrize("a_shape,b_shape", [((0, 3), (3, 4)), ((3, 0), (0, 4)), ((3, 4), (4, 0)), ((0,), (0,)),
                                             ((0, 2, 3), (3, 2))])
def test_matmul_empty_as_numpy(matmul, a_shape, b_shape):
    a, b = np.ones(a_shape), np.ones(b_shape)
    c, expected = matmul(a, b), np.matmul(a, b)
    assert np.shape(c) == np.shape(expected)
    np.testing.assert_array_equal(c, expected)  # K = 0: zeros


@pytest.mark.parametrize("matmul", MATMULS)
@pytest.mark.parametrize("dtypes", [(np.float32, np.float32), (np.float32, np.float64), (np.float64, np.float32)])
def test_matmul_dtypes_as_numpy(rng, matmul, dtypes):
    a = rng.standard_normal((6, 5)).astype(dtypes[0])
    b = rng.standard_normal((5, 4)).astype(dtypes[1])
    check_matmul(a, b, matmul(a, b))


@pytest.mark.parametrize("matmul", MATMULS)
def test_matmul_errors(matmul):
    with pytest.raises(ValueError, match="mismatch in its core dimension"):
        matmul(np.ones((2, 3)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="does not have enough dimensions"):
        matmul(np.ones((2, 3)), np.float64(2.0))
    with pytest.raises(ValueError):
        matmul(np.ones((5, 2, 3)), np.ones((4, 3, 2)))
    # NumPy computes these in integers or complex; the library cannot.
    with pytest.raises(TypeError, match="float64"):
        matmul(np.ones((2, 3), int), np.ones((3, 2), int))
    with pytest.raises(TypeError, match="complex"):
        matmul(np.ones((2, 3)), np.ones((3, 2), complex))


# ---------------------------------------------------------------- library

def test_info():
    info = lapack_ai.info()
    assert info["version"] == lapack_ai.__version__
    assert os.path.isfile(info["library"])
    assert info["mode"] == os.environ.get("LAPACK_AI_MODE", "auto")
    assert {"dgemm_", "dgesv_", "dgesvd_", "dgesdd_"} <= set(info["cpu"])
    if os.environ.get("LAPACK_AI_DEVICE"):  # a device was asked for: it was found
        assert info["device"].startswith("#"), info["device"]


def test_stats_count_the_calls(rng):
    """stats() is lapack_ai_stats_json's object; each Python call is one
    routed library call per matrix, and the counters say so exactly."""
    def calls():
        stats = lapack_ai.stats()
        assert stats["mode"] == lapack_ai.info()["mode"]
        return {r["routine"]: r["calls"] for r in stats["routines"]}

    a = rng.standard_normal((20, 20)) + 20 * np.eye(20)
    before = calls()
    lapack_ai.matmul(a, a)
    lapack_ai.matmul_alpha(a, a)
    lapack_ai.solve(a, a)
    lapack_ai.svd(a)
    lapack_ai.svd(np.stack([a, a, a]), compute_uv=False)
    lapack_ai.svd(a, lapack_driver="gesvd")
    after = calls()
    grown = {r: after[r] - before.get(r, 0) for r in after if after[r] != before.get(r, 0)}
    assert grown == {"cblas_dgemm": 1, "dgemm_alpha_": 1, "dgesv_": 1, "dgesdd_": 4, "dgesvdocl_": 1}


def test_calls_are_routed_as_configured(tmp_path):
    """The module's calls reach the library's routing: with LAPACK_AI_LOG
    each shows in the log, on the GPU when LAPACK_AI_MODE=gpu (DGEMM has a
    GPU path) and on the CPU when LAPACK_AI_MODE=cpu."""
    log = tmp_path / "calls.log"
    code = ("import numpy as np, lapack_ai\n"
            "a = np.random.default_rng(0).standard_normal((40, 40)) + 40 * np.eye(40)\n"
            "lapack_ai.matmul(a, a.T); lapack_ai.solve(a, a[:, 0])\n"
            "lapack_ai.svd(a); lapack_ai.svd(a, lapack_driver='gesvd')\n")
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ, LAPACK_AI_LOG=str(log)))
    lines = [line.removeprefix("lapack-ai: ") for line in log.read_text().splitlines()]
    gemm = [line for line in lines if line.startswith("cblas_dgemm ")]
    assert len(gemm) == 1, lines
    mode = os.environ.get("LAPACK_AI_MODE", "auto")
    if mode in ("gpu", "cpu"):
        assert f"-> {mode}[" in gemm[0], gemm[0]
    assert any(line.startswith("dgesv ") or line.startswith("dgesv_ ") for line in lines), lines
    assert any(line.startswith("dgesdd") for line in lines), lines
    assert any(line.startswith("dgesvdocl") for line in lines), lines


@pytest.mark.parametrize("matmul", MATMULS)
def test_matmul_result_layout(rng, matmul):
    # C-ordered as NumPy's, except from two column-major operands (then the
    # product is NN in column-major terms, not TT).
    a, b = rng.standard_normal((7, 5)), rng.standard_normal((5, 3))
    assert matmul(a, b).flags.c_contiguous
    assert matmul(np.asfortranarray(a), b).flags.c_contiguous
    c = matmul(np.asfortranarray(a), np.asfortranarray(b))
    assert c.flags.f_contiguous
    check_matmul(a, b, c)


def test_threads_do_not_share_work_arrays(rng):
    # ctypes releases the GIL during each call, so calls from several
    # threads overlap; each thread has its own work arrays.
    from concurrent.futures import ThreadPoolExecutor

    problems = [(rng.standard_normal((150, 150)) + 15 * np.eye(150), rng.standard_normal((150, 40))) for _ in range(24)]

    def work(problem):
        a, b = problem
        return lapack_ai.solve(a, b), lapack_ai.svd(a, compute_uv=False)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(work, problems))
    for (a, b), (x, s) in zip(problems, results):
        check_solve(a, b, x)
        np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False), rtol=1e-12)


FORK_CHILDREN = """
import multiprocessing as mp, sys
import numpy as np, lapack_ai

def work(seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((120, 120)) + 12 * np.eye(120)
    b = rng.standard_normal((120, 5))
    x = lapack_ai.solve(a, b)
    s = lapack_ai.svd(a, compute_uv=False)
    c = lapack_ai.matmul(a, b)
    return (float(np.abs(a @ x - b).max()), float(np.abs(s - np.linalg.svd(a, compute_uv=False)).max()),
            float(np.abs(c - a @ b).max()))

if __name__ == "__main__":
    # The parent first: with LAPACK_AI_MODE=gpu this loads OpenCL, whose
    # state the forked workers must not use.
    print("parent", work(0), flush=True)
    with mp.get_context(sys.argv[1]).Pool(3) as pool:
        for r in pool.map_async(work, range(1, 7)).get(timeout=120):
            print("child", r, flush=True)
    print("parent again", work(7), flush=True)
"""


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing_workers_after_a_call(tmp_path, method):
    """multiprocessing's workers, forked (or spawned) after the parent made
    a call: every result right, no hang. A child forked after the parent
    loaded OpenCL runs on the CPU (its log lines say `forked child`)."""
    script = tmp_path / "pool.py"
    script.write_text(FORK_CHILDREN)
    log = tmp_path / "calls.log"
    out = subprocess.run([sys.executable, str(script), method], capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, LAPACK_AI_LOG=str(log)))
    assert out.returncode == 0, out.stdout + out.stderr
    results = [line for line in out.stdout.splitlines() if line.startswith(("parent", "child"))]
    assert len(results) == 8, out.stdout
    for line in results:
        errors = eval(line.split(" ", 1)[1].replace("again ", ""))
        assert max(errors) < 1e-9, line
    lines = log.read_text().splitlines()
    if method == "fork" and os.environ.get("LAPACK_AI_MODE") == "gpu":
        assert any("forked child" in line for line in lines), lines[:5]
        assert not any("-> gpu[" in line and "forked" in line for line in lines)
