"""Sort keys that order rows in Python as pandas' ``sort_values`` on two columns does.

Several per-week steps order a handful of rows of a week's frame; a sorted copy of the
frame cost more than the rows themselves. pandas' order: stable, missing values of the
first column last, the second column (a PR number) ascending.
"""

from __future__ import annotations

import pandas as pd


def pandas_order(value, then, descending: bool = False) -> tuple:
    """The key of a row with ``value`` in the first sort column and ``then`` in the second."""
    if pd.isna(value):
        return (True, None, then)  # only ever compared with other missing values' keys
    return (False, -value if descending else value, then)
