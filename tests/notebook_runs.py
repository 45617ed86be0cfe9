"""Report notebooks run under papermill for the tests, in the report's own reused kernels.

A fresh kernel per run pays its start and the kit's imports (about 4 CPU-s
here) every time; the tests run a few hundred notebooks. :func:`run_notebooks`
hands them to a :class:`~csm_kit.report.kernels.KernelPool`, as ``csm-kit
report`` does: two kernels, each importing the kit once and reset between
notebooks (a notebook that fails gets its kernel replaced). That a notebook
also runs in a fresh kernel is nbval's part of the suite (``make test``).
"""
from __future__ import annotations

from pathlib import Path


def run_notebooks(runs: dict, jobs: int = 2) -> dict:
    """Run every notebook of ``runs`` (key -> (notebook, output, parameters)); key -> executed notebook or its exception.

    ``jobs`` kernels at once; each notebook runs in its own folder (the kit's
    ``notebooks/``, so its relative paths work as in JupyterLab). An
    exception is returned, not raised, for the test of that run to report.
    """
    import papermill

    from csm_kit.report.kernels import KERNEL, KernelPool

    def task(notebook: Path, output: Path, parameters: dict):
        def run(km):
            try:
                nb = papermill.execute_notebook(str(notebook), str(output), parameters=parameters,
                                                kernel_name=KERNEL, cwd=str(Path(notebook).parent),
                                                progress_bar=False, start_timeout=120, km=km)
            except Exception as exc:  # the pool replaces this kernel before its next notebook
                return exc, False
            return nb, True
        return run

    results = {}
    first = Path(next(iter(runs.values()))[0]).parent if runs else None
    with KernelPool(jobs, cwd=first) as pool:
        futures = {key: pool.submit(task(*run), Path(run[0]).parent) for key, run in runs.items()}
        for key, future in futures.items():
            try:
                results[key] = future.result()
            except Exception as exc:  # the kernel could not start
                results[key] = exc
    return results
