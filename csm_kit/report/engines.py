"""One fit of each model per report: fitted engines shared between the report's notebooks.

Several pages read the same churn-risk engine (:class:`csm_kit.models.ChurnRisk`
fitted on the same data at the same day): the survival page's at-risk list,
the renewals page's expected loss, the CLV page's ``risk_engine`` survival.
Fitting it costs 1.5-3 s a time on the sample. :func:`fitted` fits a model
once per report and hands the same fitted object to every notebook that asks
for the same fit:

- the report runner makes a private folder (mode 0700, beside its data
  snapshot, removed with it when the run ends) and names it in the
  environment variable :data:`ENV` for the kernels it starts;
- :func:`fitted` (called by the library functions that fit the engine, never
  by a notebook itself) looks for the fit under its :func:`fit_key`: the
  model's class and the source files of its module (a change of code is a
  new key), its configuration (every constructor attribute, whatever the
  signature), the ``as_of`` day, and the data's contents
  (:attr:`Dataset.fingerprint`, and whether it is a snapshot). Found: the
  stored fitted model is returned; not found: the model is fitted, stored,
  and returned. A per-key lock makes a second notebook wait for a fit the
  first is computing instead of fitting the same thing again;
- without :data:`ENV` (a notebook run by hand, in JupyterLab or by papermill,
  a test, a script) the model is simply fitted.

A stored fit is the pickled fitted object: its predictions are the same, to
the last bit, as those of a fresh fit on the same data (the fit is
deterministic; ``tests/test_report_engines.py`` checks it). Nothing but the
runner writes the folder: a folder that is not a directory owned by this
user with mode 0700 is ignored, so a fit is never read from elsewhere.
"""
from __future__ import annotations

import fcntl
import hashlib
import inspect
import json
import os
import pickle
import stat
from pathlib import Path

#: Environment variable naming the runner's private folder of fitted models (set for its kernels only).
ENV = "CSM_KIT_FITTED_MODELS"
_FORMAT = 1


def _config(model) -> dict:
    """The model's configuration: its public attributes that are not fitted results (no trailing ``_``)."""
    return {k: v for k, v in sorted(vars(model).items()) if not k.startswith("_") and not k.endswith("_")}


def _code_stamp(obj) -> list:
    """Name, size and modification time of the file defining ``obj`` (a model, its class, or a function).

    The module's siblings named ``<module>_*.py`` (``risk_features.py`` beside
    ``risk.py``, ``health_measures.py`` beside ``health.py``) are stamped too.
    """
    target = obj if inspect.isclass(obj) or inspect.isfunction(obj) else type(obj)
    try:
        path = Path(inspect.getfile(target))
    except (TypeError, OSError):
        return []
    files = [path] + sorted(p for p in path.parent.glob(f"{path.stem}_*.py"))
    stamp = []
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        stamp.append([f.name, st.st_size, st.st_mtime_ns])
    return stamp


def fit_key(model, data, *, as_of, **fit_options) -> str:
    """What identifies a fit: model class, its code, configuration, ``as_of`` day, ``fit`` options and the data.

    A SHA-256 (hex) of those; two calls with the same key would fit the same
    numbers. ``as_of`` goes through :func:`csm_kit.periods.as_of_day`, so
    ``"2026-10"`` and ``"2026-10-31"`` are one key.

    Examples
    --------
    >>> import pandas as pd
    >>> from csm_kit.dataset import Dataset
    >>> from csm_kit.models import ChurnRisk
    >>> ds = Dataset(customers=pd.DataFrame({"customer_id": ["a"], "signup_date": pd.to_datetime(["2026-01-05"])}))
    >>> fit_key(ChurnRisk(), ds, as_of="2026-10") == fit_key(ChurnRisk(), ds, as_of="2026-10-31")
    True
    >>> fit_key(ChurnRisk(), ds, as_of="2026-10") == fit_key(ChurnRisk(horizon_days=60), ds, as_of="2026-10")
    False
    """
    config = _config(model)
    if fit_options:
        config = {"model": config, "fit": dict(sorted(fit_options.items()))}
    return _key(type(model), config, data, as_of)


def _key(what, config: dict, data, as_of) -> str:
    from ..periods import as_of_day

    parts = {"what": f"{what.__module__}.{what.__qualname__}", "code": _code_stamp(what), "config": config,
             "as_of": as_of_day(as_of).isoformat(),
             "data": [data.fingerprint, bool(getattr(data, "snapshot", False)), [name for name, _ in data]]}
    text = json.dumps(parts, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def shared_folder() -> Path | None:
    """The runner's folder of fitted models announced in :data:`ENV`, or None (none, or not private to this user).

    >>> shared_folder() is None  # no runner around
    True
    """
    path = os.environ.get(ENV)
    if not path:
        return None
    folder = Path(path)
    try:
        st = folder.lstat()
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) != 0o700:
        return None
    return folder


def _read(path: Path, key: str):
    try:
        with open(path, "rb") as fh:
            stored = pickle.load(fh)  # written by this report's own runner or kernels, in its private folder
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError):
        return None
    if not isinstance(stored, dict) or stored.get("format") != _FORMAT or stored.get("key") != key:
        return None
    return stored["model"]


def fitted(model, data, *, as_of, **fit_options):
    """``model.fit(data, as_of=as_of)``, once per report: the report's shared fit when there is one.

    Parameters
    ----------
    model : estimator
        An unfitted model configured in its constructor, with
        ``fit(data, *, as_of)`` returning the fitted model (sklearn shape:
        :class:`csm_kit.models.ChurnRisk`).
    data : Dataset
        The data to fit on (as the caller would pass it to ``fit``).
    as_of : date-like
        The day the model is fitted as of.
    **fit_options
        Further arguments of ``fit``, if the model's ``fit`` takes any (part of the key).

    Returns
    -------
    estimator
        The fitted model: ``model`` itself, fitted, when no report shares
        fits (no :data:`ENV`) or when this is the report's first fit of this
        key; otherwise a copy of the report's stored fit (``model`` is left
        unfitted). Either way its predictions equal those of
        ``model.fit(data, as_of=as_of)``.

    Raises
    ------
    Whatever ``model.fit`` raises (a fit that fails is not stored: the next
    caller fits and fails the same way).

    Examples
    --------
    >>> import csm_kit
    >>> from csm_kit.models import ChurnRisk
    >>> ds = csm_kit.simulate(n_customers=300, months=24, seed=5)
    >>> fitted(ChurnRisk(), ds, as_of="2025-08-31").as_of_.date()
    datetime.date(2025, 8, 31)
    """
    folder = shared_folder()
    if folder is None or not hasattr(data, "fingerprint"):  # no report sharing fits, or not a Dataset
        return model.fit(data, as_of=as_of, **fit_options)
    return _once(folder, fit_key(model, data, as_of=as_of, **fit_options),
                 lambda: model.fit(data, as_of=as_of, **fit_options))


def shared(fit, data, *, as_of, **options):
    """``fit(data, as_of=as_of, **options)``, once per report: for a fitting *function* (:func:`fitted` for models).

    The key is the function (its module and name, and its file's stamp), the
    ``options`` with the function's defaults filled in, the ``as_of`` day and the data's contents, as in
    :func:`fit_key`. Without a report sharing fits, the function is called.

    Examples
    --------
    >>> import csm_kit
    >>> from csm_kit.metrics.health import fit_health
    >>> ds = csm_kit.simulate(n_customers=300, months=24, seed=8)
    >>> shared(fit_health, ds, as_of="2025-08-31").horizon_days
    90
    """
    folder = shared_folder()
    if folder is None or not hasattr(data, "fingerprint"):
        return fit(data, as_of=as_of, **options)
    try:  # the options as the function sees them, defaults filled in: horizon_days=90 given or not is one key
        bound = inspect.signature(fit).bind(data, as_of=as_of, **options)
        bound.apply_defaults()
        config = {k: v for k, v in bound.arguments.items() if k != "as_of"}
        config.pop(next(iter(bound.arguments)), None)  # the data
    except (TypeError, ValueError):
        config = dict(options)
    key = _key(fit, dict(sorted(config.items())), data, as_of)
    return _once(folder, key, lambda: fit(data, as_of=as_of, **options))


def _once(folder: Path, key: str, compute):
    """The stored result under ``key``, or ``compute()`` stored there; the folder failing never fails the fit."""
    path = folder / f"{key}.pkl"
    try:
        lock = open(folder / f"{key}.lock", "a+b")
    except OSError:  # the folder went away (the run ended) or is full: fit as if no report shared fits
        return compute()
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or when a killed holder's process ends
        found = _read(path, key)
        if found is not None:
            return found
        result = compute()
        partial = folder / f".{key}.{os.getpid()}.tmp"
        try:
            with open(partial, "wb") as fh:
                pickle.dump({"format": _FORMAT, "key": key, "model": result}, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(partial, path)
        except (OSError, pickle.PicklingError, TypeError, AttributeError):  # not stored: the next caller fits
            partial.unlink(missing_ok=True)
        return result
