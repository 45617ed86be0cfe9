"""Bundled data sets: the sample and CDNOW."""
import pandas as pd

import csm_kit


def test_cdnow_matches_the_source_file():
    ds = csm_kit.load_cdnow()
    assert len(ds.customers) == 2357 and len(ds.transactions) == 6919
    assert round(ds.transactions["amount"].sum(), 2) == 244091.94
    assert ds.transactions["date"].min() == pd.Timestamp("1997-01-01")
    assert ds.transactions["date"].max() == pd.Timestamp("1998-06-30")
    assert ds.subscriptions is None and ds.usage_events is None
    # every customer's signup is its first purchase, all in the first quarter of 1997
    first = ds.transactions.groupby("customer_id")["date"].min()
    assert (ds.customers.set_index("customer_id")["signup_date"] == first).all()
    assert first.max() < pd.Timestamp("1997-04-01")


def test_sample_is_what_its_readme_says():
    ds = csm_kit.load_sample()
    regenerated = csm_kit.simulate(n_customers=2000, start="2023-11", months=36, seed=42)
    for name, df in regenerated:
        pd.testing.assert_frame_equal(df, ds.tables[name], obj=name)
    assert ds.warnings == ()
