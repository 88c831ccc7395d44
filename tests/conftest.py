"""Test-wide settings: float32 by default; float64 only inside explicit ``jax.enable_x64`` blocks.

A pytest worker compiles thousands of XLA programs (every fuzzed shape, dtype and hyperparameter
is a new one) and JAX keeps them all: a worker grows by ~0.3 GB a minute in the fuzz tests. CI's
run of the whole suite crashed a worker that way (2 workers on a 24 GiB machine), so after any
test that leaves the process above ``JOL_TEST_RSS_LIMIT_MB`` (default 3000) the compilation caches
are dropped and the freed memory returned to the OS (back to ~0.3 GB; tests recompile as needed).
"""

import ctypes
import gc
import os
import pickle
from collections.abc import Iterator

import pytest
from filelock import FileLock

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

RSS_LIMIT_MB = float(os.environ.get("JOL_TEST_RSS_LIMIT_MB", 3000))
_STATM = "/proc/self/statm"


def resident_mb() -> float:
    """This process's resident memory in MiB (0 where /proc is missing: no cache dropping there)."""
    if not os.path.exists(_STATM):
        return 0.0
    with open(_STATM) as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def release_memory() -> None:
    """Drop JAX's compiled-program caches and give the freed heap back to the OS."""
    import jax

    jax.clear_caches()
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


@pytest.fixture(autouse=True)
def bounded_memory() -> Iterator[None]:
    yield
    if resident_mb() > RSS_LIMIT_MB:
        release_memory()


@pytest.fixture(scope="session")
def quick_tour(tmp_path_factory) -> tuple:
    """(output folder, ``tour.run_all`` result) of one run of the tour with every experiment's ``--quick`` configuration.

    Shared by tests/test_experiments.py and the docs build in tests/test_docs.py. Under
    pytest-xdist the first worker that needs it runs it into a folder of this test run (named by
    ``PYTEST_XDIST_TESTRUNUID``) under a file lock; the other worker loads the pickled result.
    """
    from experiments import tour

    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run_id is None:  # one process: nothing to share
        out = tmp_path_factory.mktemp("tour")
        return out, tour.run_all(out, quick=True)
    out = tmp_path_factory.getbasetemp().parent / f"tour-{run_id}"
    saved = out / "runs.pkl"
    with FileLock(str(out) + ".lock"):
        if not saved.exists():
            out.mkdir(exist_ok=True)
            saved.write_bytes(pickle.dumps(tour.run_all(out, quick=True)))
    return out, pickle.loads(saved.read_bytes())


def pytest_collection_modifyitems(config, items) -> None:
    """``cpu_only`` tests read what XLA compiles for the CPU; on another default backend they are skipped."""
    import jax

    backend = jax.default_backend()
    if backend == "cpu":
        return
    skip = pytest.mark.skip(reason=f"checks the HLO XLA compiles for the CPU; the default backend is {backend} "
                                   "(the same numbers are checked on every backend by the other tests)")
    for item in items:
        if "cpu_only" in item.keywords:
            item.add_marker(skip)
