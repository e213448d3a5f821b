"""Tables and the closing note of notebook 07: scenario inputs side by side, several
decompositions side by side, the forward looks' checks, and the decomposition in a few sentences.
"""

from __future__ import annotations

import pandas as pd

from .decline_rates import ForwardLook, _check_position
from .decline_scenarios import _RANGES, ServingScenario
from .price_decomposition import DECLINE_FACTORS, PriceDecline, decline_shares
from .specs import get_model

__all__ = ["decline_closing_note", "decline_pairs_table", "forward_checks_table", "scenario_table"]


def scenario_table(scenarios) -> pd.DataFrame:
    """The inputs of serving scenarios side by side, with which of them are ranges (estimates).

    Parameters
    ----------
    scenarios : sequence of ServingScenario
        E.g. the two ends of :func:`frontier_scenarios`.

    Returns
    -------
    pandas.DataFrame
        One row per input (``model``, ``params_active_low``/``_high`` ... ``usd_per_mtok``,
        ``price_date``, ``estimated``), one column per scenario (its name). ``estimated`` lists
        the inputs given as a range (low < high).
    """
    cols = {}
    for s in scenarios:
        if not isinstance(s, ServingScenario):
            raise ValueError(f"scenarios must be ServingScenario objects; got {type(s).__name__}")
        col = {"model": get_model(s.model).name, "gpu": s.gpu, "precision": s.precision}
        for f in _RANGES:
            col[f"{f}_low"], col[f"{f}_high"] = getattr(s, f)
        col.update(
            max_running_requests=s.max_running_requests,
            prompt_tokens=s.prompt_tokens,
            output_tokens=s.output_tokens,
            usd_per_mtok=s.usd_per_mtok,
            price_date=s.price_date.date(),
            estimated=", ".join(f for f in _RANGES if getattr(s, f)[0] < getattr(s, f)[1]),
        )
        cols[s.name] = col
    return pd.DataFrame(cols)


def decline_pairs_table(declines: dict) -> pd.DataFrame:
    """Several decompositions side by side: the price fall, each factor's fold and share.

    Parameters
    ----------
    declines : dict of str to PriceDecline
        Label to :func:`decompose_price_decline`.

    Returns
    -------
    pandas.DataFrame
        One row per label: ``price_ratio``, then per factor (``model``, ``hardware``,
        ``serving``, ``residual``) its geometric-mean fold and its share of the log price ratio
        (``<factor>_fold``, ``<factor>_share``; :func:`decline_shares`: the folds multiply to
        the price ratio, the shares add to 1).
    """
    rows = {}
    for label, d in declines.items():
        sh = decline_shares(d).set_index("factor")
        row = {"price_ratio": d.price_ratio}
        for f in sh.index:
            row[f"{f}_fold"] = sh.loc[f, "fold"]
            row[f"{f}_share"] = sh.loc[f, "share"]
        rows[label] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def forward_checks_table(looks: dict) -> pd.DataFrame:
    """The out-of-sample checks of several forward looks in one table.

    Parameters
    ----------
    looks : dict of str to ForwardLook
        Label to :func:`forward_look`.

    Returns
    -------
    pandas.DataFrame
        :attr:`ForwardLook.checks` of each (``date`` as a calendar date, so the table can be
        rounded), with a first column ``pair`` (the label) and ``total_per_year`` (the
        forward rate's median).
    """
    parts = []
    for label, f in looks.items():
        total = float(f.rates.set_index("factor").loc["total", "factor_per_year"])
        parts.append(f.checks.assign(pair=label, total_per_year=total,
                                     date=f.checks["date"].dt.date))  # fmt: skip
    out = pd.concat(parts, ignore_index=True)
    return out[["pair", *[c for c in out.columns if c != "pair"]]]


def decline_closing_note(decline: PriceDecline, look: ForwardLook) -> str:
    """The decomposition and the forward look's check in a few sentences (numbers computed).

    Parameters
    ----------
    decline : PriceDecline
        :func:`decompose_price_decline`.
    look : ForwardLook
        :func:`forward_look` of the same ends.

    Returns
    -------
    str
        The price ratio, each factor's median fold with its 90% interval, the cost at each end,
        the forward rate and how many later frontier checks fell inside its interval.
    """
    s = decline.summary.set_index("factor")

    def fold(f):
        r = s.loc[f]
        return f"{r['fold_median']:.3g}x [{r['fold_low']:.3g}, {r['fold_high']:.3g}]"

    r = look.rates.set_index("factor").loc["total"]
    c = look.checks
    lines = [
        f"List price of the mix fell {decline.price_ratio:.1f}x. Of it (median [90% interval]):",
        *(f"  {f:<9} {fold(f)}" for f in (*DECLINE_FACTORS, "residual")),
        f"  costs together {fold('cost')}",
        f"Carried forward: {r['factor_per_year']:.3g}x a year [{r['low']:.3g}, {r['high']:.3g}].",
    ]
    for _, row in c.iterrows():
        where = _check_position(row)
        lines.append(
            f"  {row['date'].date()} {row['model']} ({row['kind']}): USD "
            f"{row['observed_usd_per_mtok']:.4g} vs predicted {row['predicted_median']:.3g} "
            f"[{row['predicted_low']:.3g}, {row['predicted_high']:.3g}]: {where} the interval"
        )
    return "\n".join(lines)
