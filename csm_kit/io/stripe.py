"""Stripe's standard Dashboard exports (Customers and Subscriptions CSV) as the kit's ``customers`` and ``subscriptions``.

Stripe's Dashboard exports one CSV of customers (``Customers`` > Export:
``id, Description, Email, Name, Created (UTC), ...`` and one
``<key> (metadata)`` column per metadata key) and one of subscriptions
(``Billing`` > ``Subscriptions`` > Export: ``id, Customer ID, Customer Name,
Plan, Product, Quantity, Currency, Interval, Amount, Status, Created (UTC),
Start Date (UTC), Current Period Start (UTC), Current Period End (UTC), Trial
Start (UTC), Trial End (UTC), Canceled At (UTC), Cancel At Period End, Ended At
(UTC), ...``). Times are UTC, written ``YYYY-MM-DD HH:MM`` (seconds allowed).

Column mapping (also in ``data/README.md``, "Importers")
--------------------------------------------------------
customers:

=====================  ====================================================
contract column        Stripe customers export
=====================  ====================================================
``customer_id``        ``id`` (or the column named by ``customer_id=``, e.g.
                       your own account id kept as ``account_id (metadata)``)
``signup_date``        ``Created (UTC)``, its UTC day
``name``               ``Name`` (``Description`` when the export has no Name)
anything else          ``columns={contract: export column}``, e.g.
                       ``{"segment": "tier (metadata)", "owner": "csm (metadata)"}``
=====================  ====================================================

E-mail addresses are not copied (the kit needs none, and reports are shared).

subscriptions:

=====================  ====================================================
contract column        Stripe subscriptions export
=====================  ====================================================
``subscription_id``    ``id``
``customer_id``        ``Customer ID``, translated through the customers
                       export when ``customer_id=`` names another column
``plan``               ``Plan`` (the price's nickname or id; ``Product`` when empty)
``start_date``         the first paid day: ``Trial End (UTC)`` when the
                       subscription had a trial, else ``Start Date (UTC)``
                       (``Start (UTC)`` in older exports, else ``Created (UTC)``); UTC day
``end_date``           ``Ended At (UTC)``, its UTC day; empty while running
``billing_period``     ``Interval`` (``month``, ``year``, ``week``, ``day``);
                       with an ``Interval Count`` column, 3 months is
                       ``quarter`` and other counts are refused
``amount``             ``Amount x Quantity`` (Stripe's amount is per unit,
                       in the currency's major unit, e.g. ``9.90``; the
                       contract's is the whole subscription per period)
``quantity``           ``Quantity`` (1 when empty)
``currency``           ``Currency``, upper case (``usd`` -> ``USD``)
``cancel_reason``      ``Cancellation Reason`` when the export has it
=====================  ====================================================

Rows that never paid are left out, with a warning giving their count and
ids: status ``incomplete`` or ``incomplete_expired`` (the first payment never
succeeded), and subscriptions that ended before or when their trial did.
Coupons are not applied (the export names the coupon, not its percentage);
the ``Coupon`` id is kept as an extra column. Every other problem (an
unparseable time, an unknown interval, a subscription of a customer missing
from the customers export) is an error naming the file, the column and the
CSV rows.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, DataValidationWarning

#: Stripe interval -> contract billing period (with Interval Count 1).
INTERVALS = {"month": "month", "year": "year", "week": "week", "day": "day"}
NEVER_PAID = ("incomplete", "incomplete_expired")
_SHOWN = 5


def _read(path, encoding: str) -> pd.DataFrame:
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    except UnicodeDecodeError as exc:
        raise DataValidationError(path.name, None, f"text is not {encoding}",
                                  detail=f"pass encoding= (Stripe exports UTF-8): {exc}") from None
    if frame.empty:
        raise DataValidationError(path.name, None, "the export has no rows")
    return frame.apply(lambda s: s.str.strip()).replace("", None)


def _fail(file: str, column: str, rule: str, frame: pd.DataFrame, mask, detail: str = "") -> None:
    mask = np.asarray(mask, dtype=bool)
    rows = frame.loc[mask, [column]].head(_SHOWN) if column in frame.columns else frame.loc[mask].head(_SHOWN)
    rows.index = pd.Index(np.flatnonzero(mask)[:_SHOWN] + 2, name="row")  # the header is row 1
    raise DataValidationError(file, column, rule, rows=rows, detail=f"{int(mask.sum())} row(s)" +
                              (f"; {detail}" if detail else ""))


def _need(frame: pd.DataFrame, file: str, *columns: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(file, missing[0], "column is missing from the Stripe export",
                                  detail=f"expected {list(columns)}; the file has {list(frame.columns)}")


def _first(frame: pd.DataFrame, *names: str) -> str | None:
    return next((n for n in names if n in frame.columns), None)


def _utc_days(frame: pd.DataFrame, column: str | None, file: str) -> pd.Series:
    """The UTC day of each time in ``column`` (empty stays NaT); unparseable text is an error."""
    if column is None:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    text = frame[column]
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    bad = parsed.isna() & text.notna()
    if bad.any():
        _fail(file, column, "not a date and time", frame, bad, "Stripe writes YYYY-MM-DD HH:MM (UTC)")
    return parsed.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")


def _numbers(frame: pd.DataFrame, column: str, file: str, default=None) -> pd.Series:
    text = frame[column] if column in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    if default is not None:
        text = text.fillna(str(default))
    values = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    bad = values.isna()
    if bad.any():
        _fail(file, column, "not a number", frame, bad)
    return values.astype(float)


def read_stripe_customers(path, *, customer_id: str = "id", columns: dict | None = None,
                          encoding: str = "utf-8") -> tuple[pd.DataFrame, pd.Series]:
    """Stripe's customers export as the contract's ``customers`` table, and Stripe id -> customer_id.

    Mapping: module docstring. Returns ``(customers, ids)`` where ``ids``
    maps each Stripe customer ``id`` to the kit's ``customer_id``.
    """
    file = Path(path).name
    raw = _read(path, encoding)
    _need(raw, file, "id", "Created (UTC)", customer_id)
    empty = raw[customer_id].isna()
    if empty.any():
        _fail(file, customer_id, "customer id is empty", raw, empty)
    out = pd.DataFrame({"customer_id": raw[customer_id].to_numpy(dtype=object),
                        "signup_date": _utc_days(raw, "Created (UTC)", file).to_numpy()})
    name = _first(raw, "Name", "Description")
    if name is not None:
        out["name"] = raw[name].to_numpy(dtype=object)
    for contract, source in (columns or {}).items():
        _need(raw, file, source)
        out[contract] = raw[source].to_numpy(dtype=object)
    return out, pd.Series(out["customer_id"].to_numpy(), index=raw["id"].to_numpy())


def read_stripe_subscriptions(path, *, ids: pd.Series | None = None, encoding: str = "utf-8") -> pd.DataFrame:
    """Stripe's subscriptions export as the contract's ``subscriptions`` table (mapping: module docstring).

    ``ids`` (from :func:`read_stripe_customers`) translates Stripe customer
    ids into the kit's; a subscription whose customer is not in it is an
    error. Rows that never paid are left out with a :class:`DataValidationWarning`.
    """
    file = Path(path).name
    raw = _read(path, encoding)
    _need(raw, file, "id", "Customer ID", "Interval", "Amount", "Status")
    start_col = _first(raw, "Start Date (UTC)", "Start (UTC)", "Created (UTC)")
    if start_col is None:
        _need(raw, file, "Start Date (UTC)")
    status = raw["Status"].str.lower()
    start = _utc_days(raw, start_col, file)
    trial_end = _utc_days(raw, _first(raw, "Trial End (UTC)"), file)
    ended = _utc_days(raw, _first(raw, "Ended At (UTC)"), file)
    paid_from = trial_end.where(trial_end.notna() & (trial_end > start), start)

    interval = raw["Interval"].str.lower()
    count = (_numbers(raw, "Interval Count", file, default=1) if "Interval Count" in raw.columns
             else pd.Series(1.0, index=raw.index))
    period = interval.map(INTERVALS)
    period = period.where(count == 1, np.where((interval == "month") & (count == 3), "quarter", None))
    bad = period.isna()
    if bad.any():
        _fail(file, "Interval", "billing interval the kit cannot express", raw, bad,
              "month, year, week or day (every 3 months: quarter)")
    quantity = _numbers(raw, "Quantity", file, default=1)
    amount = _numbers(raw, "Amount", file) * quantity

    never = status.isin(NEVER_PAID) | (ended.notna() & (ended <= paid_from))
    if never.any():
        shown = ", ".join(raw.loc[never, "id"].head(_SHOWN))
        warnings.warn(f"{file}: {int(never.sum())} subscription(s) never paid (incomplete, or ended by the end of "
                      f"their trial) and are left out: {shown}{'...' if never.sum() > _SHOWN else ''}",
                      DataValidationWarning, stacklevel=3)
    customer = raw["Customer ID"]
    if ids is not None:
        unknown = customer.notna() & ~customer.isin(ids.index)
        if unknown.any():
            _fail(file, "Customer ID", "customer not in the customers export", raw, unknown & ~never)
        customer = customer.map(ids)
    plan = raw["Plan"] if "Plan" in raw.columns else pd.Series(None, index=raw.index, dtype=object)
    if "Product" in raw.columns:
        plan = plan.fillna(raw["Product"])
    missing_plan = plan.isna() & ~never
    if missing_plan.any():
        _fail(file, "Plan", "plan is empty", raw, missing_plan, "the export needs a Plan or Product")
    out = pd.DataFrame({
        "subscription_id": raw["id"], "customer_id": customer, "plan": plan,
        "start_date": paid_from, "end_date": ended, "billing_period": period, "amount": amount,
        "quantity": quantity.round().astype("Int64"),
    })
    if "Currency" in raw.columns:
        out["currency"] = raw["Currency"].str.upper()
    if "Cancellation Reason" in raw.columns:
        out["cancel_reason"] = raw["Cancellation Reason"]
    if "Coupon" in raw.columns:
        out["coupon"] = raw["Coupon"]
    return out[~never.to_numpy()].reset_index(drop=True)


def read_stripe_export(customers_csv, subscriptions_csv, *, customer_id: str = "id", columns: dict | None = None,
                       encoding: str = "utf-8") -> dict:
    """Stripe's Customers and Subscriptions Dashboard exports as the contract's two tables.

    Mapping (module docstring and ``data/README.md``): customers from
    ``id``, ``Created (UTC)``, ``Name``; subscriptions from ``id``,
    ``Customer ID``, ``Plan``, the first paid day (trial end, else start),
    ``Ended At (UTC)``, ``Interval``, ``Amount x Quantity``, ``Currency``.
    Load the result with :func:`csm_kit.load_dataset` to validate it.

    Parameters
    ----------
    customers_csv, subscriptions_csv : str or Path
        The two exports.
    customer_id : str
        The customers column that is the kit's ``customer_id`` (default
        Stripe's ``id``; your product's account id if you keep it in
        metadata, e.g. ``"account_id (metadata)"``, so usage data joins).
    columns : dict, optional
        More customers columns: ``{contract column: export column}``.
    encoding : str
        Of both files (Stripe writes UTF-8).

    Returns
    -------
    dict
        ``{"customers": DataFrame, "subscriptions": DataFrame}``.

    Raises
    ------
    DataValidationError
        Naming the file, the column and the rows (header = row 1).

    Examples
    --------
    >>> import warnings
    >>> from csm_kit.config import PROJECT_ROOT
    >>> folder = PROJECT_ROOT / "tests" / "fixtures" / "stripe"  # two small exports in Stripe's columns
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # two subscriptions never paid: left out, with a warning
    ...     tables = read_stripe_export(folder / "customers.csv", folder / "subscriptions.csv")
    >>> tables["subscriptions"][["subscription_id", "start_date", "billing_period", "amount"]].head(2)
      subscription_id start_date billing_period  amount
    0        sub_1Pa1 2025-01-10          month    49.0
    1        sub_1Pb2 2025-02-03           year  3600.0
    """
    customers, ids = read_stripe_customers(customers_csv, customer_id=customer_id, columns=columns,
                                           encoding=encoding)
    subscriptions = read_stripe_subscriptions(subscriptions_csv, ids=ids, encoding=encoding)
    return {"customers": customers, "subscriptions": subscriptions}
