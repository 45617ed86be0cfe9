"""One look for every chart in the kit, readable at report size."""
from __future__ import annotations

import matplotlib as mpl
import seaborn as sns

PALETTE = ["#2F5D8A", "#E07A2E", "#3A9D6B", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"]
BAND_COLOURS = {"red": "#C44E52", "yellow": "#E3B23C", "green": "#3A9D6B"}


def use_style() -> None:
    """Apply the kit's seaborn theme: white grid, colour-blind-aware palette, 9x4.5 in at 110 dpi."""
    sns.set_theme(style="whitegrid", palette=PALETTE, context="notebook")
    mpl.rcParams.update({
        "figure.figsize": (9, 4.5),
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "savefig.bbox": "tight",
        "axes.titlesize": 13,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.labelsize": 11,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "figure.constrained_layout.use": True,
    })
