"""The `csm-kit` command: `report`, `simulate` and `kpis`.

Exit codes: 0 success, 1 the work failed (bad data, a failing notebook; the
message says which), 2 the command line was wrong.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .config import SAMPLE_DIR
from .exceptions import CsmKitError, DataValidationError


def _param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"--param takes NAME=VALUE, not {text!r}")
    return name, value


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, not {text!r}")
    return int(text)


def _truth_path(truth: str, out: str) -> Path:
    """Where ``simulate --truth`` writes the hidden traits: never inside the data folder ``--out``.

    The truth is what models are judged against; a copy inside the data folder would be
    loaded and shared with the data. Raises ValueError for a path inside ``out``.
    """
    path, folder = Path(truth).resolve(), Path(out).resolve()
    if path == folder or folder in path.parents:
        raise ValueError(f"--truth {truth} is inside the data folder --out {out}: write it beside the data, "
                         "not in it (the truth must not travel with the data).")
    if path.is_dir():
        raise ValueError(f"--truth {truth} is a folder; give a file name such as truth.csv.")
    return path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csm-kit", description="Customer-success analytics: reports and sample data.")
    sub = parser.add_subparsers(dest="command", required=True)

    report = sub.add_parser("report", help="run the notebooks and write the monthly report")
    report.add_argument("--month", help="reporting month YYYY-MM (default: the latest complete month of the data)")
    report.add_argument("--data", default=str(SAMPLE_DIR), help="data folder, DuckDB file or SQLAlchemy URL (default: data/sample)")
    report.add_argument("--out", default="reports", help="folder for reports (default: reports/)")
    report.add_argument("--segment", default=None, help="restrict the report to one customer segment")
    report.add_argument("--teaching", action="store_true", help="keep the teaching cells in the HTML")
    report.add_argument("--jobs", type=_positive, default=2, help="notebooks run at once (default 2)")
    report.add_argument("--notebooks", default=None, help="folder of report notebooks (default: the kit's)")
    report.add_argument("--fresh-kernels", action="store_true",
                        help="run every notebook in its own new kernel (default: each of the --jobs kernels runs "
                             "several notebooks, reset between them; slower, for a notebook that changes state "
                             "the reset does not restore)")
    report.add_argument("--param", "-p", type=_param, action="append", default=[], metavar="NAME=VALUE",
                        help="a notebook parameter such as gross_margin=0.75 (passed to the notebooks that "
                             "declare it, as the type they declare)")
    pdf = report.add_mutually_exclusive_group()
    pdf.add_argument("--pdf", dest="pdf", action="store_const", const=True, default=None,
                     help="require report.pdf (default: written when Chromium is available)")
    pdf.add_argument("--no-pdf", dest="pdf", action="store_const", const=False, help="skip report.pdf")

    report.add_argument("--mapping", default=None, metavar="FILE",
                        help="mapping file (YAML) for data with its own file and column names (see csm-kit init-mapping)")

    check = sub.add_parser("validate", help="list every problem of a data source (exit 1 on errors, 0 with warnings only)")
    check.add_argument("source", help="data folder, DuckDB file or SQLAlchemy URL")
    check.add_argument("--mapping", default=None, metavar="FILE", help="mapping file (YAML) for the data's own names")

    draft = sub.add_parser("init-mapping", help="draft a mapping file from the headers of a folder's files")
    draft.add_argument("source", help="folder of CSV/Parquet exports")
    draft.add_argument("--out", default=None, help="write the draft here (default: print it)")

    sim = sub.add_parser("simulate", help="write a simulated SaaS data set")
    sim.add_argument("--customers", type=_positive, required=True, help="number of customers")
    sim.add_argument("--months", type=_positive, required=True, help="months simulated")
    sim.add_argument("--seed", type=int, required=True, help="random seed (same seed -> same files)")
    sim.add_argument("--start", default="2023-11", help="first month YYYY-MM (default 2023-11)")
    sim.add_argument("--out", required=True, help="output folder")
    sim.add_argument("--format", choices=["csv", "parquet"], default="csv", help="file format (default csv)")
    sim.add_argument("--truth", default=None, metavar="FILE",
                     help="also write the hidden account traits (true monthly churn hazard...) to this CSV "
                          "file, outside --out, for checking models")

    kpis = sub.add_parser("kpis", help="write the monthly KPI table (and feature adoption) to CSV or Parquet")
    kpis.add_argument("--data", required=True, help="data folder, DuckDB file or SQLAlchemy URL")
    kpis.add_argument("--start", required=True, help="first month YYYY-MM")
    kpis.add_argument("--end", required=True, help="last month YYYY-MM")
    kpis.add_argument("--out", required=True, help="output file, .csv or .parquet; adoption goes to <stem>_adoption<ext>")
    kpis.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb", help="where the queries run (default duckdb)")
    kpis.add_argument("--mapping", default=None, metavar="FILE", help="mapping file for the data's own names")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``csm-kit`` command; returns the exit status (argparse exits with 2 on a usage error).

    >>> main(["simulate", "--customers", "0", "--months", "3", "--seed", "1", "--out", "x"])
    Traceback (most recent call last):
    ...
    SystemExit: 2
    """
    args = _parser().parse_args(argv)
    from .report.publish import Terminated

    secret = _password(getattr(args, "data", None))
    try:
        if args.command == "kpis":
            from .engine.export import write_kpis

            monthly, adoption = write_kpis(args.data, start=args.start, end=args.end, out=args.out,
                                           engine=args.engine, mapping=args.mapping)
            print(f"KPIs written: {monthly} and {adoption}")
        elif args.command == "report":
            # jsonschema (imported by nbformat under papermill and nbconvert) builds the grammar parsers of the
            # optional rfc3987_syntax package at import when it is installed: 1.3-1.5 CPU-seconds, for the
            # "iri" format checks of draft-7+ schemas. nbformat validates notebooks against a draft-4 schema,
            # without format checks, and nothing else in this command validates JSON: it is not imported here.
            sys.modules.setdefault("rfc3987_syntax", None)
            kernels = None
            if not args.fresh_kernels:  # started first: the kernels import the kit while the runner is imported
                from .report.kernels import KernelPool

                notebooks = Path(args.notebooks).resolve() if args.notebooks else None
                kernels = KernelPool(args.jobs, cwd=notebooks if notebooks and notebooks.is_dir() else None)
            from .report import run_report

            folder = run_report(args.month, data=args.data, out=args.out, segment=args.segment,
                                teaching=args.teaching, jobs=args.jobs, notebooks_dir=args.notebooks,
                                parameters=dict(args.param) or None, pdf=args.pdf,
                                fresh_kernels=args.fresh_kernels, kernels=kernels,
                                **({"mapping": args.mapping} if args.mapping else {}))
            print(f"Report written: {folder / 'index.html'}")
        elif args.command == "validate":
            from .io.loaders import validate

            result = validate(args.source, mapping=args.mapping)
            print(result.to_text(), end="")
            return 0 if result.ok else 1
        elif args.command == "init-mapping":
            from .io.mapping import draft_mapping

            if not Path(args.source).is_dir():
                raise ValueError(f"{args.source}: init-mapping reads a folder of CSV/Parquet exports")
            text = draft_mapping(args.source)
            if args.out:
                if Path(args.out).exists():
                    raise ValueError(f"{args.out} exists; init-mapping does not replace a file (remove it first)")
                Path(args.out).write_text(text, encoding="utf-8")
                print(f"Mapping drafted: {args.out} (check every line)")
            else:
                print(text, end="")
        else:
            from .simulator import simulate
            from .simulator.scale import BLOCK_CUSTOMERS, write_parquet

            truth = _truth_path(args.truth, args.out) if args.truth else None
            if args.format == "parquet" and args.customers > BLOCK_CUSTOMERS:
                # Block by block straight to Parquet: the same data in the memory of one block.
                if truth is not None:
                    truth.parent.mkdir(parents=True, exist_ok=True)
                folder = write_parquet(args.out, n_customers=args.customers, start=args.start, months=args.months,
                                       seed=args.seed, truth=truth, progress=True)
                print(f"Simulated {args.customers:,} customers over {args.months} months: {folder}")
                if truth is not None:
                    print(f"Hidden account traits (not part of the data): {truth}")
                return 0
            ds = simulate(n_customers=args.customers, start=args.start, months=args.months, seed=args.seed)
            folder = ds.to_dir(Path(args.out), format=args.format)
            print(f"Simulated {args.customers:,} customers over {args.months} months: {folder}")
            if truth is not None:
                from .display import csv_safe

                truth.parent.mkdir(parents=True, exist_ok=True)
                csv_safe(ds.truth).to_csv(truth, index=False, lineterminator="\n")
                print(f"Hidden account traits (not part of the data): {truth}")
    except DataValidationError as exc:
        print(_masked(f"csm-kit: the data breaks the contract (see data/README.md):\n{exc}", secret), file=sys.stderr)
        return 1
    except (CsmKitError, ValueError, OSError) as exc:
        print(_masked(f"csm-kit: {exc}", secret), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("csm-kit: interrupted; an earlier report (if any) is untouched.", file=sys.stderr)
        if args.command == "report":  # its build folder is removed; don't wait for kernels still running
            sys.stderr.flush()
            sys.stdout.flush()
            os._exit(130)
        return 130
    except Terminated as exc:
        # the run's build folder and data snapshot are already removed; leave at once rather than wait
        # for the notebook kernels still running (each exits when it sees its parent gone)
        print("csm-kit: stopped by SIGTERM; nothing was published and an earlier report (if any) is untouched.",
              file=sys.stderr)
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(128 + exc.signum)
    except Exception as exc:  # an unexpected error whose message carries the password: masked, no traceback
        if secret and secret in str(exc):
            print(_masked(f"csm-kit: {type(exc).__name__}: {exc}", secret), file=sys.stderr)
            return 1
        raise
    return 0


def _password(source) -> str | None:
    """The password of an SQLAlchemy URL given as --data, to mask it in any message printed."""
    if not isinstance(source, str) or "://" not in source:
        return None
    try:
        import sqlalchemy

        return sqlalchemy.engine.make_url(source).password or None
    except Exception:
        return None


def _masked(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` replaced by ``***`` (also in its URL-quoted form)."""
    if not secret:
        return text
    from urllib.parse import quote

    for form in {secret, quote(secret, safe="")}:
        text = text.replace(form, "***")
    return text


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
