"""Face box finders shared by threads: one detector object, several requests verifying at once."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Run in a child process: before the fix, dlib aborted the whole process ("munmap_chunk(): invalid
# pointer"), which would have taken pytest down with it rather than failing one test.
_RACE = textwrap.dedent(
    """
    import threading

    import numpy as np

    from openkyc.engine.face.detectors import find_cnn, find_haar, find_hog

    rng = np.random.default_rng(0)
    sizes = rng.integers(16, 120, (30, 2))
    images = [rng.integers(0, 255, (int(h), int(w), 3), dtype=np.uint8) for h, w in sizes]

    def work() -> None:
        for image in images:
            find_hog(image, 1)
            find_haar(image, 0)
        for image in images[:3]:
            find_cnn(image, 0)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("survived")
    """
)


def test_detectors_run_from_several_threads_without_corrupting_the_heap() -> None:
    finished = subprocess.run([sys.executable, "-c", _RACE], capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert finished.stdout.strip().endswith("survived")
