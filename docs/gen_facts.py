"""Write docs/env_facts.csv: the exact returns behind every environment page.

For each registered id (all but the three of millions of states), the exact proxy and
intended returns of the proxy-optimal, intended-optimal and uniform-random policies over
one episode, and the gap report's verdict on the proxy-optimal policy.  The site shows
this table; `tests/test_docs.py` checks its small rows against the solver.

    python docs/gen_facts.py            # a few minutes: TomatoWatering has 237,568 states
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACTS = ROOT / "docs" / "env_facts.csv"
COLUMNS = ("id", "states", "horizon", "proxy_optimal_proxy", "proxy_optimal_intended", "intended_optimal_proxy",
           "intended_optimal_intended", "random_proxy", "random_intended", "proxy_optimal_verdict")


def facts(env_id: str) -> dict:
    """One row of the table, computed with the exact solver (returns rounded to 4 decimals)."""
    import specgame
    from specgame.analysis.compare import gap_report, optimal_plan, references

    mdp = specgame.make(env_id).unwrapped.mdp
    refs = references(mdp)
    report = gap_report(mdp, optimal_plan(mdp, "proxy"), name="proxy-optimal", evidence=False)
    row = {"id": env_id.split("/")[-1], "states": mdp.n_states, "horizon": mdp.horizon}
    for name, returns in (("proxy_optimal", refs.proxy_optimal), ("intended_optimal", refs.intended_optimal),
                          ("random", refs.random)):
        row[f"{name}_proxy"] = round(returns.proxy_return, 4)
        row[f"{name}_intended"] = round(returns.intended_return, 4)
    row["proxy_optimal_verdict"] = report.verdict
    return row


def read() -> dict[str, dict]:
    """The committed table: id -> row (numbers as floats and ints)."""
    rows = {}
    with FACTS.open(newline="") as f:
        for row in csv.DictReader(f):
            typed = {key: value if key in ("id", "proxy_optimal_verdict") else float(value)
                     for key, value in row.items()}
            typed["states"], typed["horizon"] = int(typed["states"]), int(typed["horizon"])
            rows[row["id"]] = typed
    return rows


def main() -> int:
    sys.path.insert(0, str(ROOT))  # the checkout being documented, not another installed copy
    import specgame
    from specgame._files import atomic_write

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for env_id in specgame.list_envs(skip_large=True, tables_only=True):
        row = facts(env_id)
        writer.writerow(row)
        print(", ".join(str(v) for v in row.values()), flush=True)
    atomic_write(FACTS, lambda f: f.write(buffer.getvalue().encode()))
    print(f"wrote {FACTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
