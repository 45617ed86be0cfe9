"""Inside a reused kernel: put it back, between two notebooks, in the state a fresh kernel would be in.

The report runner (:mod:`.kernels`) runs several notebooks one after another
in one kernel, so that the kernel's start and the kit's imports (about 3.5 s
of CPU a notebook) are paid once per kernel, not once per notebook. Right
after the kernel has started and imported the kit (the *warm-up*),
:func:`capture` records everything a notebook can change that a later one
could see; before each notebook, :func:`prepare` restores it:

- the user namespace (IPython's reset with a new session: every variable,
  ``In``/``Out``, the output cache, and the execution counter, so the cells
  are numbered from 1 again), and the namespace's own dunder names;
- matplotlib: every figure closed, ``rcParams`` as after the warm-up, the
  units registry (date and category converters); the backend is loaded in
  the warm-up, before the capture (in a fresh kernel the first figure loads
  it, and the inline backend then turns interactive mode on);
- warnings: the filters as after the warm-up, ``showwarning``, and the
  "already shown" registries (a warning a notebook showed is shown again by
  the next, as in a fresh kernel);
- pandas options, numpy's floating-point error handling and print options;
- ``sys.path``, ``sys.argv``, the working directory (the notebook's folder,
  as papermill's ``cwd``) and the environment variables (as the runner's are
  now, plus what the kernel itself set at start);
- the kit's own memoised page results (``functools.lru_cache`` in
  ``csm_kit`` modules), which a fresh kernel starts without; then a garbage collection.

Modules stay imported: that is the point. Whatever else a notebook changes
in a module's globals stays; the kit's notebooks change nothing else (the
runner's test compares every page and ``metrics.json`` with fresh kernels),
and ``csm-kit report --fresh-kernels`` runs each notebook in its own kernel.

Nothing here runs outside a kernel the runner started: the functions are
called by the runner's silent requests, never by a notebook.
"""
from __future__ import annotations

import copy
import gc
import os
import sys
import warnings

_saved: dict | None = None


def _pandas_options() -> dict:
    pd = sys.modules.get("pandas")
    if pd is None:
        return {}
    try:
        from pandas._config import config  # the registry of option names has no public accessor
        names = list(config._registered_options)
    except (ImportError, AttributeError):
        return {}
    found = {}
    for name in names:
        try:
            found[name] = copy.deepcopy(pd.get_option(name))
        except Exception:  # a deprecated or unreadable option: left alone
            continue
    return found


def capture() -> None:
    """Record the kernel's state after the warm-up; :func:`prepare` restores it before each notebook."""
    global _saved
    from IPython import get_ipython

    ip = get_ipython()
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        # Load the backend now, as a fresh kernel's first figure would: the inline backend then turns on
        # interactive mode and its display hook, and that is the state every notebook must start from.
        plt.switch_backend(sys.modules["matplotlib"].get_backend())
    state = {"filters": list(warnings.filters), "showwarning": warnings.showwarning,
             "path": list(sys.path), "argv": list(sys.argv), "environ": dict(os.environ),
             "pandas": _pandas_options(),
             "dunders": {k: v for k, v in ip.user_ns.items() if k.startswith("__") and k.endswith("__")}}
    np = sys.modules.get("numpy")
    if np is not None:
        state["numpy"] = (np.geterr(), np.get_printoptions())
    mpl = sys.modules.get("matplotlib")
    if mpl is not None:
        raw = getattr(mpl.rcParams, "_get", mpl.rcParams.__getitem__)  # _get: no backend resolution, no warnings
        state["rcParams"] = copy.deepcopy({k: raw(k) for k in mpl.rcParams})
        units = sys.modules.get("matplotlib.units")
        if units is not None:
            state["units"] = dict(units.registry)
    _saved = state


def _clear_kit_caches() -> None:
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "csm_kit" or name.startswith("csm_kit.")):
            continue
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and hasattr(value, "cache_info"):
                value.cache_clear()


def prepare(cwd: str, environ_changes: dict) -> None:
    """Reset the kernel to the state :func:`capture` recorded, with ``cwd`` and the runner's environment.

    Parameters
    ----------
    cwd : str
        The working directory of the next notebook (its folder).
    environ_changes : dict
        Environment variables the runner changed since this kernel started:
        name -> new value, or None for a variable it removed. Applied on top
        of the kernel's environment as captured.
    """
    if _saved is None:
        raise RuntimeError("capture() was not called in this kernel")
    from IPython import get_ipython

    ip = get_ipython()
    state = _saved
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
    os.chdir(cwd)  # before the reset: the new history session records it as the starting folder
    ip.reset(new_session=True)
    ip.user_ns.update(state["dunders"])
    environ = dict(state["environ"])
    for name, value in environ_changes.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    for name in [k for k in os.environ if k not in environ]:
        del os.environ[name]
    os.environ.update(environ)
    sys.path[:] = state["path"]
    sys.argv[:] = state["argv"]
    warnings.resetwarnings()  # also marks every module's "already shown" registry stale
    warnings.filters[:] = state["filters"]
    warnings.showwarning = state["showwarning"]
    getattr(warnings, "onceregistry", {}).clear()
    if "rcParams" in state:
        import matplotlib as mpl

        dict.update(mpl.rcParams, copy.deepcopy(state["rcParams"]))  # as matplotlib's rc_context restores them
        if "units" in state:
            import matplotlib.units as units

            units.registry.clear()
            units.registry.update(state["units"])
    if state["pandas"]:
        import pandas as pd

        for name, value in state["pandas"].items():
            try:
                if pd.get_option(name) != value:
                    pd.set_option(name, copy.deepcopy(value))
            except Exception:
                continue
    if "numpy" in state:
        import numpy as np

        err, printoptions = state["numpy"]
        np.seterr(**err)
        np.set_printoptions(**printoptions)
    _clear_kit_caches()
    gc.collect()
