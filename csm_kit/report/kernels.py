"""Kernels reused between the report's notebooks: one kernel per worker, started and warmed up at once.

A fresh kernel for each notebook costs its start (0.7-1.2 s) and the kit's
imports (pandas, matplotlib, seaborn, scipy.stats, lifelines: about 2.9 s)
every time: about 40 of the sample report's 85 CPU-seconds. A
:class:`KernelPool` instead starts ``jobs`` worker threads, each with one
kernel that imports the kit once (:data:`WARM_UP`) as soon as the pool is
made (the CLI makes it before it imports papermill, so the warm-up overlaps
the CLI's own start and the data's validation). Each worker then runs the
notebooks handed to it one after another in its kernel.

Between two notebooks the kernel is put back in the state it had right after
the warm-up (:func:`.kernel_state.prepare`: namespace, execution counter,
figures, ``rcParams``, warnings filters, options, working directory,
environment); the notebook itself runs through papermill as before, which
is given the running kernel (nbclient's ``km=``: it does not own that
kernel, so it leaves it running). A notebook that fails, or whose kernel
dies, is reported as it would be with a fresh kernel, and its kernel is
replaced by a fresh one (started and warmed up the same way) for the rest.

A kernel that dies while it starts (before it answers ``kernel_info``: for
example when another process took one of the ports chosen for it, a race
that jupyter_client cannot close) is started once more; if the second one
dies too, the error quotes what the kernel wrote to its stderr.
"""
from __future__ import annotations

import os
import queue
import subprocess
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path

KERNEL = "python3"
#: What every kernel imports once, before its first notebook: what the report's notebooks import.
WARM_UP_MODULES = ("csm_kit", "csm_kit.display", "csm_kit.record", "csm_kit.plotting", "csm_kit.metrics",
                   "csm_kit.models", "matplotlib.pyplot", "seaborn", "lifelines")
#: A module that fails to import is left for the notebooks that import it to fail on, as in a fresh kernel.
WARM_UP = ("import importlib\n"
           f"for name in {WARM_UP_MODULES!r}:\n"
           "    try:\n"
           "        importlib.import_module(name)\n"
           "    except Exception:\n"
           "        pass\n"
           "import csm_kit.report.kernel_state\n"
           "csm_kit.report.kernel_state.capture()")
#: Arguments of every kernel the runner starts: its input history in memory, not in the user's IPython
#: history database (which two kernels at once would both write).
EXTRA_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]


#: Characters of a dead kernel's stderr quoted in the error (its last ones: the reason is at the end).
STDERR_QUOTED = 600
#: Kernels started, in all, for one worker's kernel, when each dies while starting.
START_ATTEMPTS = 2


#: Held while a kernel is launched: jupyter_client chooses its ports in a process-wide cache
#: (``LocalPortCache``) that is not safe for two threads at once, and the pool's workers start together.
_LAUNCHING = threading.Lock()


class KernelError(RuntimeError):
    """A kernel could not be started, warmed up or reset."""


class KernelDiedAtStart(KernelError):
    """The kernel process ended before it was ready (a fresh try may succeed)."""


def _run_sync(coro):
    from jupyter_core.utils import run_sync

    return run_sync(coro)


class _Kernel:
    """One running kernel, its manager (handed to papermill) and its one client, kept for its life.

    nbclient asks the manager for a client for each notebook; it gets this
    kernel's client, already connected and known to be ready (a new
    connection, or asking an old one whether the kernel is ready, costs
    0.2-0.3 s of waiting for an IOPub message), and started once. Messages are
    told apart by the request they answer, so one notebook's never reach another's cells.
    """

    def __init__(self, cwd: Path, timeout: float, extra_arguments=None):
        from jupyter_client.asynchronous import AsyncKernelClient
        from jupyter_client.manager import AsyncKernelManager

        class Client(AsyncKernelClient):
            def start_channels(self, *args, **kwargs):
                if not getattr(self, "_csm_started", False):  # nbclient starts it for every notebook
                    super().start_channels(*args, **kwargs)
                    self._csm_started = True

            async def wait_for_ready(self, timeout=None):
                # once the kernel has answered, it stays ready (the worker checks it is alive before each
                # notebook); asking again costs a 0.2 s wait for an IOPub message that does not come
                if not getattr(self, "_csm_ready", False):
                    await AsyncKernelClient.wait_for_ready(self, timeout=timeout)
                    self._csm_ready = True

        class Manager(AsyncKernelManager):
            def client(self, **kwargs):
                if not kept:
                    kept.append(super().client(**kwargs))
                return kept[0]

        kept: list = []
        self.timeout = timeout
        self.env = dict(os.environ)  # the environment it starts with (prepare() applies later changes)
        self.km = Manager(kernel_name=KERNEL, client_factory=Client)
        self.kc = None
        # The kernel process's own stdout/stderr (ipykernel's start-up warnings, "Parent appears to have
        # exited" when a run fails early) are not the report's: a notebook's output reaches it over IOPub, and
        # the terminal or a scheduler's log keeps only the command's own messages. Its stderr goes to an
        # unnamed temporary file (gone when closed), read back only to say why a kernel died while starting.
        self.stderr = tempfile.TemporaryFile()
        arguments = list(EXTRA_ARGUMENTS if extra_arguments is None else extra_arguments)
        try:
            with _LAUNCHING:  # the ports are chosen and the process launched; the wait for it is not held
                _run_sync(self.km.start_kernel)(extra_arguments=arguments, cwd=str(cwd),
                                                env=dict(self.env), stdout=subprocess.DEVNULL,
                                                stderr=self.stderr)
            self.kc = self.km.client()
            self.kc.start_channels()
            _run_sync(self.kc.wait_for_ready)(timeout=timeout)
            self.run(WARM_UP)
        except Exception as exc:
            died = self.km.has_kernel and not self.alive()
            said = self.said()
            self.stop()
            if died:
                raise KernelDiedAtStart(f"{exc}" + (f"; the kernel's last words: {said}" if said else "")) from exc
            raise
        except BaseException:
            self.stop()
            raise

    def said(self) -> str:
        """The end of what the kernel wrote to its stderr (at most :data:`STDERR_QUOTED` characters), one line."""
        try:
            self.stderr.seek(0)
            text = self.stderr.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        return " | ".join(line.strip() for line in text.strip().splitlines() if line.strip())[-STDERR_QUOTED:]

    def run(self, code: str) -> None:
        """Run ``code`` silently (no outputs, no history, the execution counter untouched); raise on an error."""
        _run_sync(self._run)(code)

    async def _run(self, code: str) -> None:
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        while True:
            try:
                reply = await self.kc.get_shell_msg(timeout=self.timeout)
            except queue.Empty:
                raise KernelError(f"the kernel did not answer within {self.timeout:.0f} s") from None
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content.get("status") != "ok":
            raise KernelError(f"{content.get('ename', 'error')}: {content.get('evalue', '')}")

    def prepare(self, cwd: Path) -> None:
        """Reset the kernel for the next notebook (:func:`.kernel_state.prepare`), in ``cwd``."""
        now = dict(os.environ)
        changes = {k: v for k, v in now.items() if self.env.get(k) != v}
        changes.update({k: None for k in self.env if k not in now})
        self.run(f"__import__('csm_kit.report.kernel_state').report.kernel_state.prepare({str(cwd)!r}, {changes!r})")

    def alive(self) -> bool:
        try:
            return bool(_run_sync(self.km.is_alive)())
        except Exception:
            return False

    def stop(self) -> None:
        """Kill the kernel at once (every output of its last notebook has arrived) and close its channels."""
        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:
                pass
        try:
            if self.km.has_kernel:
                _run_sync(self.km.shutdown_kernel)(now=True)  # also removes its connection file
        except Exception:
            pass
        self.stderr.close()


class KernelPool:
    """``jobs`` workers, each with one reused kernel, started (and warmed up) when the pool is made.

    Parameters
    ----------
    jobs : int
        Workers, so kernels, at once.
    cwd : Path, optional
        Working directory the kernels start in (the notebooks' folder); each
        notebook then runs in the folder given to :meth:`submit`.
    timeout : float
        Seconds a kernel may take to start and warm up, or to reset.

    :meth:`submit` queues a task; a free worker prepares its kernel and calls
    ``task(km)`` with the kernel's manager, which returns ``(result, ok)``:
    ``ok`` False (the notebook failed) or an exception replaces the kernel
    with a fresh one before the worker's next task. :meth:`close` stops every
    kernel; queued tasks not started are cancelled.

    Examples
    --------
    >>> import papermill
    >>> pool = KernelPool(1)                                   # doctest: +SKIP
    >>> def task(km):
    ...     nb = papermill.execute_notebook("notebooks/00_data_overview.ipynb", "/tmp/out.ipynb", km=km)
    ...     return nb, True
    >>> pool.submit(task, "notebooks").result().metadata.papermill.exception   # doctest: +SKIP
    False
    >>> pool.close()                                           # doctest: +SKIP
    """

    def __init__(self, jobs: int, *, cwd=None, timeout: float = 120):
        if not isinstance(jobs, int) or jobs < 1:
            raise ValueError(f"jobs is the number of notebooks run at once (1 or more), not {jobs!r}.")
        from ..config import NOTEBOOKS_DIR

        self.jobs = jobs
        self.cwd = Path(cwd or NOTEBOOKS_DIR).resolve()
        self.timeout = timeout
        self.kernels_started = 0
        self._lock = threading.Lock()
        self._queue: queue.Queue = queue.Queue()
        self._closed = threading.Event()
        self._threads = [threading.Thread(target=self._work, name=f"csm-kit-kernel-{i}", daemon=True)
                         for i in range(jobs)]
        for t in self._threads:
            t.start()

    def submit(self, task, cwd) -> Future:
        if self._closed.is_set():
            raise RuntimeError("the kernel pool is closed")
        future: Future = Future()
        self._queue.put((task, Path(cwd), future))
        return future

    def _start(self):
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                kernel = _Kernel(self.cwd, self.timeout)
            except KernelDiedAtStart:
                if attempt == START_ATTEMPTS:
                    raise
            else:
                with self._lock:
                    self.kernels_started += 1
                return kernel

    def _work(self) -> None:
        kernel, failure = None, None
        try:
            try:
                kernel = self._start()
            except Exception as exc:  # told to the first task; the next one tries again
                failure = exc
            while True:
                job = self._queue.get()
                if job is None or self._closed.is_set():
                    if job is not None:
                        job[2].cancel()
                    break
                task, cwd, future = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    if kernel is not None and not kernel.alive():
                        kernel.stop()
                        kernel = None
                    if kernel is None:
                        if failure is not None:
                            exc, failure = failure, None
                            raise KernelError(f"the notebook kernel could not start: {exc}") from exc
                        kernel = self._start()
                    try:
                        kernel.prepare(cwd)
                    except Exception:  # the reset failed: a fresh kernel (the next failure is the notebook's)
                        kernel.stop()
                        kernel = None
                        kernel = self._start()
                        kernel.prepare(cwd)
                    result, ok = task(kernel.km)
                except BaseException as exc:
                    future.set_exception(exc)
                    ok = False
                else:
                    future.set_result(result)
                if kernel is not None and not ok:  # failed, died, or not reset: the next notebook gets a fresh kernel
                    kernel.stop()
                    kernel = None
        finally:
            if kernel is not None:
                kernel.stop()

    def close(self, wait: bool = True) -> None:
        """Stop taking tasks, cancel those not started, stop every kernel (``wait``: until they are stopped)."""
        self._closed.set()
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[2].cancel()
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            for t in self._threads:
                t.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
