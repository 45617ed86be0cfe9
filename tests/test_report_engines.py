"""One fit of the churn-risk engine per report (csm_kit.report.engines): same numbers as a fresh fit, never stale."""
import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import csm_kit
from csm_kit.config import NOTEBOOKS_DIR
from csm_kit.models import ChurnRisk
from csm_kit.report import run_report
from csm_kit.report.engines import ENV, fit_key, fitted, shared_folder

AS_OF = "2025-08-31"


@pytest.fixture(scope="module")
def company():
    return csm_kit.simulate(n_customers=300, months=24, seed=11)


@pytest.fixture
def shared(tmp_path, monkeypatch):
    """A private folder announced as the report's shared fits, as the runner makes it."""
    folder = tmp_path / "fits"
    folder.mkdir(mode=0o700)
    folder.chmod(0o700)
    monkeypatch.setenv(ENV, str(folder))
    return folder


def _stored(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pkl"))


def test_a_shared_fit_predicts_exactly_what_a_fresh_fit_predicts(company, shared):
    first = fitted(ChurnRisk(), company, as_of=AS_OF)  # fits and stores
    assert len(_stored(shared)) == 1
    second = fitted(ChurnRisk(), company, as_of=AS_OF)  # read back from the folder
    assert second is not first and len(_stored(shared)) == 1
    fresh = ChurnRisk().fit(company, as_of=AS_OF)
    for model in (first, second):
        pd.testing.assert_frame_equal(model.predict(company, as_of=AS_OF), fresh.predict(company, as_of=AS_OF),
                                      check_exact=True)
        pd.testing.assert_series_equal(model.coef_, fresh.coef_, check_exact=True)
        assert model.intercept_ == fresh.intercept_
    # and at another scoring day, with the same fit
    pd.testing.assert_frame_equal(second.predict(company, as_of="2025-09-30"),
                                  fresh.predict(company, as_of="2025-09-30"), check_exact=True)


def test_changed_data_is_not_served_the_stored_fit(company, shared):
    before = fitted(ChurnRisk(), company, as_of=AS_OF)
    subs = company.subscriptions.copy()
    subs.loc[subs.index[:80], "amount"] = subs.loc[subs.index[:80], "amount"] * 3  # same shape, other values
    changed = replace(company, subscriptions=subs)
    assert changed.fingerprint != company.fingerprint
    after = fitted(ChurnRisk(), changed, as_of=AS_OF)
    fresh = ChurnRisk().fit(changed, as_of=AS_OF)
    pd.testing.assert_series_equal(after.coef_, fresh.coef_, check_exact=True)
    assert not after.coef_.equals(before.coef_)
    assert len(_stored(shared)) == 2
    # one customer fewer: also another fit
    fewer = company.for_customers(company.customers["customer_id"].iloc[1:])
    assert fitted(ChurnRisk(), fewer, as_of=AS_OF).n_rows_ == ChurnRisk().fit(fewer, as_of=AS_OF).n_rows_
    assert len(_stored(shared)) == 3


def test_another_day_or_configuration_is_another_fit(company, shared):
    a = fitted(ChurnRisk(), company, as_of=AS_OF)
    b = fitted(ChurnRisk(), company, as_of="2025-07-31")
    assert a.as_of_ == pd.Timestamp(AS_OF) and b.as_of_ == pd.Timestamp("2025-07-31")
    c = fitted(ChurnRisk(horizon_days=60), company, as_of=AS_OF)
    assert c.horizon_days == 60 and c.coef_.equals(ChurnRisk(horizon_days=60).fit(company, as_of=AS_OF).coef_)
    d = fitted(ChurnRisk(penalty=5.0), company, as_of=AS_OF)
    assert d.penalty == 5.0 and not d.coef_.equals(a.coef_)
    assert len(_stored(shared)) == 4
    # the same day written another way is the same fit
    assert fitted(ChurnRisk(), company, as_of="2025-08").as_of_ == a.as_of_ and len(_stored(shared)) == 4


def test_the_key_follows_every_constructor_attribute_and_the_code(company, tmp_path, monkeypatch):
    base = fit_key(ChurnRisk(), company, as_of=AS_OF)
    model = ChurnRisk()
    model.some_new_option = 2  # a constructor argument the engine may gain: part of the key without a change here
    assert fit_key(model, company, as_of=AS_OF) != base
    model.fitted_thing_ = 1  # fitted attributes (trailing _) are not configuration
    del model.some_new_option
    assert fit_key(model, company, as_of=AS_OF) == base
    import csm_kit.report.engines as engines

    monkeypatch.setattr(engines, "_code_stamp", lambda m: [["risk.py", 1, 2]])  # the engine's file changed
    assert fit_key(ChurnRisk(), company, as_of=AS_OF) != base


class Counted:
    """A model whose fit counts how often it really ran (module level: stored fits are pickled)."""

    fits = 0

    def __init__(self, *, k: int = 1):
        self.k = k

    def fit(self, data, *, as_of, extra: int = 0):
        Counted.fits += 1
        self.value_ = self.k * 10 + extra
        return self


def test_fit_options_and_constructor_arguments_are_part_of_the_key(company, shared):
    Counted.fits = 0
    assert fitted(Counted(), company, as_of=AS_OF).value_ == 10
    assert fitted(Counted(), company, as_of=AS_OF).value_ == 10 and Counted.fits == 1  # the stored fit
    assert fitted(Counted(), company, as_of=AS_OF, extra=5).value_ == 15 and Counted.fits == 2
    assert fitted(Counted(k=2), company, as_of=AS_OF).value_ == 20 and Counted.fits == 3
    assert fitted(Counted(), company, as_of=AS_OF, extra=5).value_ == 15 and Counted.fits == 3


class Slow:
    """A model whose fit takes a second and notes each real fit in a file (for two processes at once)."""

    def __init__(self, *, log: str):
        self.log = log

    def fit(self, data, *, as_of):
        import time

        with open(self.log, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        time.sleep(1.0)
        self.value_ = 42
        return self


def test_two_processes_asking_at_once_fit_once(shared, tmp_path):
    import subprocess
    import sys

    log = tmp_path / "fits.log"
    code = ("import pandas as pd\nfrom csm_kit.dataset import Dataset\nfrom csm_kit.report.engines import fitted\n"
            "from tests.test_report_engines import Slow\n"
            "ds = Dataset(customers=pd.DataFrame({'customer_id': ['a'], 'signup_date': pd.to_datetime(['2026-01-05'])}))\n"
            f"print(fitted(Slow(log={str(log)!r}), ds, as_of='2026-10-31').value_)")
    root = Path(__file__).resolve().parents[1]
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=root, stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ)) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert outputs == ["42", "42"] and [p.returncode for p in procs] == [0, 0]
    assert len(log.read_text().splitlines()) == 1  # the second waited for the first's fit and read it
    assert len(_stored(shared)) == 1


def test_without_a_runner_the_model_is_simply_fitted(company, monkeypatch, tmp_path):
    monkeypatch.delenv(ENV, raising=False)
    model = ChurnRisk()
    assert fitted(model, company, as_of=AS_OF) is model and hasattr(model, "coef_")
    # a folder that is not private to this user is not trusted: fitted as if there were none, nothing written
    open_folder = tmp_path / "open"
    open_folder.mkdir()
    open_folder.chmod(0o755)
    monkeypatch.setenv(ENV, str(open_folder))
    assert shared_folder() is None
    model = ChurnRisk()
    assert fitted(model, company, as_of=AS_OF) is model and list(open_folder.iterdir()) == []
    monkeypatch.setenv(ENV, str(tmp_path / "missing"))
    assert fitted(ChurnRisk(), company, as_of=AS_OF).as_of_ == pd.Timestamp(AS_OF)


def test_a_failed_fit_is_not_stored(shared):
    young = csm_kit.simulate(n_customers=60, months=3, seed=2)
    for _ in range(2):  # the second call fits again and fails the same way
        with pytest.raises(ValueError, match="too little history|no subscription"):
            fitted(ChurnRisk(), young, as_of=young.coverage["last"].max().normalize())
    assert _stored(shared) == []


def test_a_corrupt_stored_fit_is_fitted_again(company, shared):
    fitted(ChurnRisk(), company, as_of=AS_OF)
    (path,) = _stored(shared)
    path.write_bytes(b"not a pickle")
    again = fitted(ChurnRisk(), company, as_of=AS_OF)
    assert again.coef_.equals(ChurnRisk().fit(company, as_of=AS_OF).coef_)


def test_a_shared_health_fit_scores_exactly_as_a_fresh_one(company, shared):
    from csm_kit.metrics.health import fit_health, health_scores
    from csm_kit.report.engines import shared as shared_fit

    stored = shared_fit(fit_health, company, as_of=AS_OF)
    again = shared_fit(fit_health, company, as_of=AS_OF)
    assert again is not stored and len(_stored(shared)) == 1
    fresh = fit_health(company, as_of=AS_OF)
    pd.testing.assert_frame_equal(health_scores(company, as_of=AS_OF, spec=again),
                                  health_scores(company, as_of=AS_OF, spec=fresh), check_exact=True)
    # health_scores' own default fit goes through the shared one: same scores as with the fresh fit
    pd.testing.assert_frame_equal(health_scores(company, as_of=AS_OF), health_scores(company, as_of=AS_OF, spec=fresh),
                                  check_exact=True)
    assert len(_stored(shared)) == 1
    assert shared_fit(fit_health, company, as_of=AS_OF, horizon_days=60).horizon_days == 60
    assert len(_stored(shared)) == 2


# --- in a report: the engine pages share one fit, and the numbers are those of separate fits ------------------

ENGINE_PAGES = ("04_survival_churn.ipynb", "10_renewals.ipynb")


def _count_fits_notebook(path: Path) -> None:
    params = new_code_cell('month = "2026-10"  # month\ndata = ""  # data\nsegment = "all"  # segment')
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[params, new_code_cell(
        "import os\nfrom pathlib import Path\nfrom csm_kit.record import record\n"
        f"folder = os.environ.get({ENV!r})\n"
        "record('stored_fits', len(list(Path(folder).glob('*.pkl'))) if folder else -1)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_report_numbers_are_the_same_with_and_without_shared_fits(tmp_path, small_data_dir):
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    for name in ENGINE_PAGES:
        shutil.copy(NOTEBOOKS_DIR / name, notebooks / name)
    _count_fits_notebook(notebooks / "99_count_fits.ipynb")  # runs last (jobs=1): what the two pages stored
    runs = {}
    for share in (True, False):
        folder = run_report("2026-10", data=small_data_dir, out=tmp_path / f"out_{share}", notebooks_dir=notebooks,
                            progress=False, pdf=False, jobs=1, share_fits=share)
        runs[share] = json.loads((folder / "metrics.json").read_text())["notebooks"]
    stored = {share: runs[share].pop("99_count_fits")["stored_fits"]["value"] for share in runs}
    # the two pages shared one engine fit; the renewals page's health fit is the third fit. Without sharing: no folder
    assert stored == {True: 2, False: -1}
    assert runs[True] == runs[False]
    recorded = runs[True]["04_survival_churn"]
    assert any(v.get("value") is not None for v in recorded.values())  # real numbers, not all unavailable
    assert os.environ.get(ENV) is None  # the runner leaves the environment as it found it
    # the renewals notebook run by hand (papermill, no runner: no snapshot, no shared fits) fits its own models
    # and records the same numbers
    import papermill

    from csm_kit.record import json_safe, read_recorded

    by_hand = tmp_path / "by_hand.ipynb"
    papermill.execute_notebook(str(notebooks / "10_renewals.ipynb"), str(by_hand), kernel_name="python3",
                               parameters={"month": "2026-10", "data": str(small_data_dir)}, progress_bar=False,
                               cwd=str(notebooks))
    assert json.loads(json.dumps(json_safe(read_recorded(by_hand)))) == runs[True]["10_renewals"]
