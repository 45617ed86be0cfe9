"""Bundled data sets: the sample and CDNOW."""
import pandas as pd

import csm_kit


def test_cdnow_matches_the_source_file():
    # Figures of lifetimes 0.11.3's CDNOW_sample.txt, counted in the source file itself:
    # 6,919 lines, 2,357 distinct sample ids, 16,479 CDs, $244,091.94, dates 19970101..19980630.
    ds = csm_kit.load_cdnow()
    t = ds.transactions
    assert len(ds.customers) == 2357 and len(t) == 6919 and t["transaction_id"].is_unique
    assert round(t["amount"].sum(), 2) == 244091.94 and t["quantity"].sum() == 16479
    assert t["date"].min() == pd.Timestamp("1997-01-01") and t["date"].max() == pd.Timestamp("1998-06-30")
    assert ds.subscriptions is None and ds.usage_events is None and ds.surveys is None
    # ids are text with their leading zeros, one sample id per master id
    assert ds.customers["customer_id"].iloc[0] == "0001" and ds.customers["customer_id"].str.len().eq(4).all()
    assert t.groupby("customer_id")["master_id"].nunique().eq(1).all()
    # every customer's signup is its first purchase, all in the first quarter of 1997
    first = t.groupby("customer_id")["date"].min()
    assert (ds.customers.set_index("customer_id")["signup_date"] == first).all()
    assert first.max() < pd.Timestamp("1997-04-01")


def test_sample_is_what_its_readme_says():
    ds = csm_kit.load_sample()
    regenerated = csm_kit.simulate(n_customers=2000, start="2023-11", months=36, seed=42)
    for name, df in regenerated:
        pd.testing.assert_frame_equal(df, ds.tables[name], obj=name)
    assert ds.warnings == ()
    assert ds.customers["signup_date"].min() >= pd.Timestamp("2023-11-01")
    assert ds.coverage["last"].max() <= pd.Timestamp("2026-10-31 23:59:59")
