"""pyproject.toml, environment.yml, the README and CI say the same thing."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI names
CONDA_TO_PIP = {"python-duckdb": "duckdb"}


def _split(spec: str) -> tuple[str, str]:
    name, bounds = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec).groups()
    return name.lower(), bounds.replace(" ", "")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    specs = project["dependencies"] + extras["test"] + extras.get("spark", [])
    return dict(_split(s) for s in specs)


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    found = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, bounds = _split(dep)
            if name not in {"python", "pip"}:
                found[CONDA_TO_PIP.get(name, name)] = bounds
    return found


def test_environment_lists_the_same_packages_and_bounds_as_pyproject():
    assert _environment() == _pyproject()


def test_environment_installs_the_kit_itself_with_pip():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert pip_section == [{"pip": ["-e ."]}]


def test_pandas_stays_below_3_while_lifelines_requires_it():
    assert _pyproject()["pandas"] == ">=2.2,<3"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^\s*(make \w+)\s*$", readme, flags=re.M)
    assert "make report" in commands and "make test" in commands
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert "make test" in [line.strip() for line in ci]


def test_generated_reports_and_virtualenvs_are_ignored():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".venv/" in ignored and "reports/*" in ignored
