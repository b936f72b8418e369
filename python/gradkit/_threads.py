"""How many threads the C++ core's parallel loops may use (OpenMP), with Python-side docstrings."""

from __future__ import annotations

from . import _core


def get_num_threads() -> int:
    """The number of threads the core's parallel loops may use.

    Large element-wise loops (an optimizer step over a big array, a random draw, the MLP's layers)
    are split across up to this many OpenMP threads; small ones run on one. It starts at OpenMP's
    default (usually the number of cores, or ``OMP_NUM_THREADS``), and is 1 when the core was built
    without OpenMP. It is read for the calling thread: a ``threadpoolctl.threadpool_limits`` in
    force there lowers it, as :func:`set_num_threads` does for every thread.

    Returns
    -------
    int
        At least 1.

    See Also
    --------
    set_num_threads

    Examples
    --------
    >>> import gradkit
    >>> gradkit.get_num_threads() >= 1
    True
    """
    return _core.get_num_threads()


def set_num_threads(n: int) -> None:
    """Set the number of threads the core's parallel loops may use.

    The setting is process-wide: it bounds the threads of every later call into the core from any
    Python thread (a ``ThreadPoolExecutor``'s, dask's worker threads), and sets the calling thread's
    OpenMP team size (``omp_set_num_threads``), which may exceed OpenMP's default in that thread
    only. ``OMP_NUM_THREADS`` (dask's nanny sets it to 1) and threadpoolctl's
    ``threadpool_limits`` (which sets the calling thread's team size) lower it further. Without
    OpenMP in the core it has no effect.

    Parameters
    ----------
    n : int
        The number of threads; values below 1 mean 1.

    See Also
    --------
    get_num_threads

    Examples
    --------
    >>> import gradkit
    >>> before = gradkit.get_num_threads()
    >>> gradkit.set_num_threads(1)
    >>> gradkit.get_num_threads()
    1
    >>> gradkit.set_num_threads(before)
    """
    _core.set_num_threads(n)
