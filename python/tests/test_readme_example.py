"""The README's Python example (tests/readme_snippets.sh checks that the
block between the markers is in README.md), run and checked."""

import numpy as np


def test_readme_example(capsys):
    # [readme:python]
    import numpy as np
    import lapack_ai

    a = np.random.default_rng(0).standard_normal((600, 400))
    u, s, vh = lapack_ai.svd(a, full_matrices=False)  # as numpy.linalg.svd
    x = lapack_ai.solve(a[:400], a[:400, :3])          # as numpy.linalg.solve
    c = lapack_ai.matmul(a.T, a)                       # as a.T @ a, no copy of a
    print(lapack_ai.info()["device"])
    print(lapack_ai.stats())
    # [readme:python-end]
    np.testing.assert_allclose((u * s) @ vh, a, atol=1e-12)
    np.testing.assert_allclose(x, np.eye(400)[:, :3], atol=1e-10)
    np.testing.assert_allclose(c, a.T @ a, atol=1e-10)
    assert lapack_ai.info()["device"] in capsys.readouterr().out
