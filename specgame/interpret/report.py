"""Everything at once: look inside one network on one table and write what was found.

``interpret_network(net, mdp, out)`` runs the methods in order -- activations, the answer
key, probes with controls, the value head against the exact values, steering evaluated
exactly (on the boat games), a sparse dictionary against the raw units, dataset examples
and feature visualisation -- and writes ``interpret.json``, ``activations.npz``,
``features.npz`` and the figures to ``out``.  ``quick`` (or ``SPECGAME_QUICK=1``) shrinks
every budget (probed states, coefficients, dictionary steps), not the methods.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from specgame import _settings
from specgame._files import atomic_write_text, save_figure
from specgame.interpret import figures, probes, sae, steering, visualise
from specgame.interpret.activations import _observations, activations, greedy_table, layer_names, torch
from specgame.interpret.answer_key import answer_key, rules_of


@dataclass(frozen=True)
class Budget:
    probe_states: int | None  # states probed (None: all)
    coefficients: tuple[float, ...]  # steering coefficients swept (0, the baseline, is always run)
    sae_steps: int
    sae_width: int  # dictionary features per live unit
    visualise_steps: int


QUICK = Budget(3000, (-4.0, -2.0, -1.0, 1.0, 2.0), 1500, 8, 100)
FULL = Budget(None, (-8.0, -4.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 4.0, 8.0), 4000, 8, 400)


def hidden_layers(net, mdp) -> list[str]:
    """The layers after each nonlinearity (ReLU outputs): where a network's representations live."""
    names = layer_names(net, _observations(mdp)[:1])
    return [name for name in names if isinstance(net.get_submodule(name), torch.nn.ReLU)]


def is_boat(mdp) -> bool:
    """Whether ``mdp`` is one of the lagoon games (the steering measures need the lagoon)."""
    rules = rules_of(mdp)
    return (rules is not None and "lagoon_tokens" in mdp.state_fields
            and any("~" in line for line in getattr(rules, "MAP", ())))


def dictionary_match(acts, layer: str, key, budget: Budget, seed: int = 0) -> tuple[dict, sae.MatchReport]:
    """A sparse dictionary on ``layer``'s live units (``budget.sae_width`` features each), its
    features and the raw units matched against the answer key: the report's ``sae`` entry."""
    x = acts.of(layer)
    live = x.std(axis=0) > 0  # a unit that never varies describes nothing, and has no gradient
    dictionary = sae.train_sae(x[:, live], budget.sae_width * max(int(live.sum()), 1), steps=budget.sae_steps,
                               seed=seed)
    truth, names = key.indicators()
    match = sae.compare_with_units(layer, x[:, live], dictionary, truth, names)
    entry = {**match.to_dict(), "dead_units": int((~live).sum()), "dictionary_size": int(dictionary.w_enc.shape[1]),
             "best_features": sorted(match.feature_labels, key=lambda t: -t[1])[:10]}
    return entry, match


def interpret_network(net, mdp, out=None, *, quick: bool = False, budget: Budget | None = None,
                      gamma: float = 0.99, seed: int = 0, vectors=None, where=None, log=print,
                      progress=None) -> dict:
    """Run every method on ``net`` over every state of ``mdp``; write the files to ``out`` (if given).

    ``budget`` overrides the ``quick`` (also under ``SPECGAME_QUICK=1``) or full one.
    ``vectors`` ({(layer, name): vector}) and ``where`` (bool [n_states]: the boards the entry
    rate is asked on) override the boat's default steering vectors and boards.  ``log`` (a
    function of a message) hears what was found, ``progress`` (default: nothing) what is
    being done, every few seconds at most.
    """
    progress = progress or (lambda message: None)
    quick = quick or _settings.quick()
    budget = budget or (QUICK if quick else FULL)
    out = Path(out) if out is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    seconds = {}
    started = time.perf_counter()
    progress(f"capturing every layer on all {mdp.n_states:,} states; the answer key")
    acts = activations(net, mdp)
    seconds["activations"] = time.perf_counter() - started
    hidden = hidden_layers(net, mdp)
    output_layer = acts.layers[-1]
    table = greedy_table(net, mdp)
    key = answer_key(mdp, table, gamma)
    result = {"env": mdp.name, "states": mdp.n_states, "observations": mdp.n_obs, "layers": list(acts.layers),
              "hidden_layers": hidden, "quick": quick, "gamma": gamma}

    clock = time.perf_counter()
    probe_rows = probes.probe_table(net, mdp, key, [*hidden, output_layer], seed=seed,
                                    max_states=budget.probe_states, progress=progress)
    result["probes"] = [row.to_dict() for row in probe_rows]
    result["value_head_r2"] = probes.value_head_fit(net, mdp, key)
    seconds["probes"] = time.perf_counter() - clock
    log(f"probes: {len(probe_rows)} (layer × feature), each beside a random network and shuffled labels "
        f"({seconds['probes']:.1f} s)")
    log("value head (max Q) R² against the exact values: "
        + ", ".join(f"{name} {r2:.3f}" for name, r2 in result["value_head_r2"].items()))

    steering_rows = []
    if is_boat(mdp) or vectors is not None:
        clock = time.perf_counter()
        detour = steering.lagoon(mdp)
        progress("steering vectors and the exact references")
        evaluate_on = None
        if vectors is None and "pays" in mdp.state_fields:  # the mixed race: turn the looper into a racer
            vectors, where, evaluate_on = steering.mixed_setup(net, mdp, hidden)
            result["steering_evaluated_on"] = "races where finishing does not pay"
        vectors = vectors if vectors is not None else steering.boat_vectors(net, mdp, hidden)
        where = where if where is not None else steering.targets_present(mdp)
        steering_rows = steering.steering_sweep(net, mdp, vectors, budget.coefficients, detour, where,
                                                evaluate_on, progress)
        result["steering"] = [row.to_dict() for row in steering_rows]
        result["decision_cells"] = [list(cell) for cell in detour.decisions]
        seconds["steering"] = time.perf_counter() - clock
        base = steering_rows[0]
        lowest = min(steering_rows, key=lambda r: (r.lagoon_entry_rate, -r.specificity))
        log(f"steering: lagoon entry at the decision cells {base.lagoon_entry_rate:.2f} unsteered -> "
            f"{lowest.lagoon_entry_rate:.2f} ({lowest.vector} at {lowest.layer}, coefficient {lowest.coefficient:+g}; "
            f"specificity {lowest.specificity:.2f}, proxy {lowest.proxy_return:.2f}, laps {lowest.laps:.2f}); "
            f"most laps by any vector {max(r.laps for r in steering_rows):.2f} ({seconds['steering']:.1f} s)")

    clock = time.perf_counter()
    sae_layer = hidden[-1] if hidden else output_layer
    progress(f"training a sparse dictionary at {sae_layer} ({budget.sae_steps:,} steps)")
    result["sae"], match = dictionary_match(acts, sae_layer, key, budget, seed)
    seconds["sae"] = time.perf_counter() - clock
    log(f"sparse dictionary at {sae_layer}: {match.matched}/{match.features} live features match a true "
        f"feature at phi ≥ {match.threshold}, against {match.units_matched}/{match.units} live raw units "
        f"({result['sae']['dead_units']} units never fire); explained variance {match.explained_variance:.3f}")

    clock = time.perf_counter()
    progress(f"dataset examples and feature visualisation ({budget.visualise_steps} steps)")
    truth, _ = key.indicators()
    unit = visualise.most_selective_unit(net, mdp, sae_layer, truth)
    top_states, top_values = visualise.top_examples(net, mdp, sae_layer, unit, 6)
    vis = visualise.visualise(net, mdp, sae_layer, unit, steps=budget.visualise_steps, seed=seed)
    result["examples"] = {"layer": sae_layer, "unit": unit, "states": top_states.tolist(),
                          "activations": top_values.tolist(),
                          "fields": [mdp.state_dict(int(s)) for s in top_states]}
    result["visualisation"] = {"layer": sae_layer, "unit": unit, "board": vis.board,
                               "activation": vis.activation, "best_state": vis.best_state,
                               "best_activation": vis.best_activation}
    seconds["examples"] = time.perf_counter() - clock
    log(f"unit {unit} of {sae_layer}: best real state {vis.best_activation:.2f}, optimised board "
        f"{vis.activation:.2f}")
    result["seconds"] = seconds

    if out is not None:
        progress(f"writing the arrays and the figures to {out}")
        acts.save(out / "activations.npz")
        key.save(out / "features.npz")
        save_figure(figures.probe_heatmap(probe_rows, f"Linear probes on {mdp.name}"), out / "probes.png", tight=True)
        if steering_rows:
            save_figure(figures.steering_figure(steering_rows), out / "steering.png", tight=True)
        save_figure(figures.sae_figure(match), out / "sae.png", tight=True)
        save_figure(figures.boards_figure(mdp, top_states, [f"{v:.2f}" for v in top_values],
                                          f"Top states of {sae_layer} unit {unit}"), out / "examples.png", tight=True)
        save_figure(figures.visualisation_figure(mdp, vis), out / "visualisation.png", tight=True)
        text = json.dumps(_finite(result), indent=2, default=_plain, allow_nan=False)
        atomic_write_text(out / "interpret.json", text + "\n")
    return result


def _finite(value):
    """NaN (a rate over no states) as null: JSON has no NaN."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
