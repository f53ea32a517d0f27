import os
import zlib

import numpy as np
import pytest

SEED = int(os.environ.get("LAPACK_AI_TEST_SEED", "20261125"))


def pytest_report_header(config):
    import lapack_ai

    info = lapack_ai.info()
    return [
        f"lapack_ai: seed {SEED} (LAPACK_AI_TEST_SEED), numpy {np.__version__}",
        f"lapack_ai: {info['library']}, mode {info['mode']}, device {info['device']}",
    ]


@pytest.fixture
def rng(request):
    # One stream per test, reproducible from the printed seed and the name.
    return np.random.default_rng([SEED, zlib.crc32(request.node.name.encode())])
