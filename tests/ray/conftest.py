"""A real local Ray instance for the tests of this folder (2 CPUs, a small object store).

The tests skip when Ray is not installed, except under CI=true, where they must run.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

HAVE_RAY = importlib.util.find_spec("ray") is not None


def pytest_collection_modifyitems(items: list[Any]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here) and "ray_local" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.ray)
            if not HAVE_RAY and os.environ.get("CI") != "true":
                item.add_marker(pytest.mark.skip(reason="ray is not installed (pip install corpuskit[ray])"))


@pytest.fixture(scope="session")
def ray_local() -> Iterator[Any]:
    """``ray``, initialised with 2 CPUs for the whole session and shut down after."""
    import ray

    # the test modules' functions travel to the workers by value (workers cannot import them)
    for name in ("test_map_tasks", "test_train_dataparallel", "test_convert_ray"):
        module = sys.modules.get(name)
        if module is not None:
            ray.cloudpickle.register_pickle_by_value(module)
    ray.init(
        num_cpus=2,
        object_store_memory=100 * 1024**2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    try:
        yield ray
    finally:
        ray.shutdown()
