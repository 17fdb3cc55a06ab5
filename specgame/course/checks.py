"""The exercises' checks: each says what is right, or raises :class:`ExerciseError` saying what is wrong.

A check computes the answer itself with the library (the exact solver, the detectors,
the env) and compares.  A blank left as ``...`` or ``None`` gets "not done yet"; a wrong
answer gets the expected value or the case where it goes wrong, so a student can find
the mistake.  The lessons call them as ``checks.NAME(...)`` right after each exercise.
"""

from __future__ import annotations

import math

import numpy as np

TOLERANCE = 1e-6


class ExerciseError(AssertionError):
    """An exercise is not done yet, or not right; the message says which and why."""


def _filled(name: str, value):
    if value is None or value is Ellipsis:
        raise ExerciseError(f"{name} is not done yet: fill in the exercise cell above, then run it again")
    return value


def _close(name: str, got, expected, tolerance: float = TOLERANCE) -> None:
    try:
        got = float(got)
    except (TypeError, ValueError):
        raise ExerciseError(f"{name} must be a number, got {got!r}") from None
    if not math.isclose(got, expected, rel_tol=tolerance, abs_tol=tolerance):
        raise ExerciseError(f"{name} is {got:.6g}, but it should be {expected:.6g}")


def _right(message: str) -> None:
    print(f"✔ right: {message}")


def _callable(name: str, function):
    _filled(name, function)
    if not callable(function):
        raise ExerciseError(f"{name} must be a function, got {type(function).__name__}")
    return function


def _calls(name: str, function, *args):
    """``function(*args)``, with an exception from the student's code turned into what went wrong."""
    try:
        return _filled(f"what {name} returns", function(*args))
    except ExerciseError:
        raise
    except Exception as err:
        raise ExerciseError(f"{name}{args!r:.120} raised {type(err).__name__}: {err}") from err


# -- lesson 1: the boat that loops -----------------------------------------------------------


def optimal_returns(mdp, proxy_optimal, intended_optimal) -> None:
    """Each argument is a (proxy return, intended return) pair of the optimal policy for that reward."""
    from specgame.analysis.compare import references

    refs = references(mdp)  # the solver's, remembered per table (the gap report asks again)
    for name, pair, expected in (("proxy_optimal", proxy_optimal, refs.proxy_optimal),
                                 ("intended_optimal", intended_optimal, refs.intended_optimal)):
        _filled(name, pair)
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ExerciseError(f"{name} must be a pair (proxy return, intended return), got {pair!r}")
        _close(f"{name}[0] (its proxy return)", pair[0], expected.proxy_return)
        _close(f"{name}[1] (its intended return)", pair[1], expected.intended_return)
    _right(f"the best boat for the proxy collects {proxy_optimal[0]:.1f} targets and earns an intended "
           f"{proxy_optimal[1]:.2f}; the racer collects {intended_optimal[0]:.1f} and earns {intended_optimal[1]:.2f}")


def play_episode(play_episode, env_id: str = "BoatRaceLoop-v0") -> None:
    """``play_episode(env, policy, seed) -> (proxy return, intended return)`` of one episode."""
    import specgame

    _callable("play_episode", play_episode)
    env = specgame.make(env_id)
    for seed in (0, 1):
        generator = np.random.default_rng(seed)

        def wander(observation, generator=generator):  # a random policy, reproducible per seed
            return int(generator.integers(env.action_space.n))

        got = _calls("play_episode", play_episode, env, wander, seed)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise ExerciseError(f"play_episode must return (proxy return, intended return), got {got!r}")
        # The env keeps its own totals: replay the same episode and read them at its end.
        generator = np.random.default_rng(seed)
        observation, _ = env.reset(seed=seed)
        while True:
            observation, _, terminated, truncated, info = env.step(int(generator.integers(env.action_space.n)))
            if terminated or truncated:
                break
        _close(f"the proxy return (seed {seed})", got[0], info["proxy_return"])
        _close(f"the intended return (seed {seed})", got[1], info["intended_return"])
    _right("your sums match the env's own totals, info['proxy_return'] and info['intended_return']")


def score(score_function, report) -> None:
    """``score_function(value, random, optimal)``: 0 at random, 1 at optimal; checked on a GapReport."""
    _callable("score", score_function)
    refs = report.references
    for which, field, expected in (("proxy", 0, report.proxy_score), ("intended", 1, report.intended_score)):
        got = _calls("score", score_function, report.returns[field], refs.random[field],
                     (refs.proxy_optimal if which == "proxy" else refs.intended_optimal)[field])
        _close(f"the {which} score of {report.policy!r}", got, expected)
    _right(f"proxy score {report.proxy_score + 0.0:.2f}, intended score {report.intended_score + 0.0:.2f}: "
           f"the gap table's numbers")


# -- lesson 2: on-policy and off-policy -------------------------------------------------------


def td_targets(sarsa_target, q_learning_target) -> None:
    """``sarsa_target(reward, gamma, q_next, next_action)`` and ``q_learning_target(reward, gamma, q_next)``."""
    _callable("sarsa_target", sarsa_target)
    _callable("q_learning_target", q_learning_target)
    generator = np.random.default_rng(7)
    for case in range(5):
        reward, gamma = float(generator.normal()), float(generator.uniform(0.5, 1.0))
        q_next = generator.normal(size=4)
        next_action = int(generator.integers(4))
        if case == 0:
            next_action = int(np.argmin(q_next))  # where the two rules disagree most
        expected_sarsa = reward + gamma * q_next[next_action]
        expected_q = reward + gamma * q_next.max()
        where = f"(reward {reward:.3f}, gamma {gamma:.3f}, q_next {np.round(q_next, 3)}, next action {next_action})"
        _close(f"sarsa_target {where}", _calls("sarsa_target", sarsa_target, reward, gamma, q_next, next_action),
               expected_sarsa)
        _close(f"q_learning_target {where}", _calls("q_learning_target", q_learning_target, reward, gamma, q_next),
               expected_q)
    _right("SARSA bootstraps from the action it will really take; Q-learning from the best one")


def behaving_returns(mdp, agents, epsilon: float, returns) -> None:
    """``returns[name]``: the exact proxy return of ``agents[name]`` acting ε-greedily, the env's exploration on."""
    from specgame.policy import epsilon_greedy_policy
    from specgame.solve import evaluate

    _filled("returns", returns)
    if set(returns) != set(agents):
        raise ExerciseError(f"returns must have one entry per agent {sorted(agents)}, got {sorted(returns)}")
    for name, agent in agents.items():
        expected = evaluate(mdp, epsilon_greedy_policy(agent.q, epsilon), honour_forced_epsilon=True).proxy_return
        got = returns[name]
        if isinstance(got, tuple):
            got = got[0]
        if math.isclose(float(got), evaluate(mdp, agent).proxy_return, abs_tol=1e-6) and \
                not math.isclose(float(got), expected, abs_tol=1e-6):
            raise ExerciseError(f"returns[{name!r}] is the greedy policy's return; evaluate the ε-greedy one, "
                                "with honour_forced_epsilon=True")
        _close(f"returns[{name!r}]", got, expected)
    best = max(returns, key=lambda n: float(returns[n][0] if isinstance(returns[n], tuple) else returns[n]))
    _right(f"as they really behave, {best} earns more")


def drinker(mdp, agents, answer) -> None:
    """``answer``: the name of the agent whose greedy path goes over the whisky."""
    from specgame.policy import state_occupancy

    _filled("answer", answer)
    if answer not in agents:
        raise ExerciseError(f"answer must be one of {sorted(agents)}, got {answer!r}")
    drunk = mdp.states[:, mdp.state_fields.index("drunk")] == 1
    drinks = {name: float(state_occupancy(mdp, agent)[drunk].sum()) > 0 for name, agent in agents.items()}
    if not drinks[answer]:
        raise ExerciseError(f"{answer}'s greedy path never reaches the whisky; look at the pictures again")
    _right(f"{answer} drinks" + ("" if sum(drinks.values()) > 1 else "; the other walks round"))


# -- lesson 3: a tour of the AI Safety Gridworlds -----------------------------------------------


def unwatched_loss(loss) -> None:
    """``loss``: intended return the proxy-optimal agent gives up when the supervisor is absent."""
    import specgame
    from specgame.solve import solve

    _filled("loss", loss)
    absent = specgame.make("AbsentSupervisor-Absent-v0").unwrapped.mdp
    gamer, careful = solve(absent, "proxy"), solve(absent, "intended")
    _close("loss", loss, careful.intended_return - gamer.intended_return)
    _right(f"unwatched, the gamer cuts across the punishment tile: intended {gamer.intended_return:.0f} "
           f"instead of {careful.intended_return:.0f}")


def sokoban_route(actions) -> None:
    """``actions``: moves on SideEffectsSokoban-v0 that reach the goal and leave the box movable, as fast as
    possible (an intended return of 43)."""
    import specgame
    from specgame.solve import solve

    _filled("actions", actions)
    env = specgame.make("SideEffectsSokoban-v0")
    env.reset(seed=0)
    try:
        moves = [int(a) for a in actions]
    except (TypeError, ValueError):
        raise ExerciseError(f"actions must be a list of ints (0 up, 1 down, 2 left, 3 right), got {actions!r}") \
            from None
    info, terminated = {}, False
    for a in moves:
        if not 0 <= a < env.action_space.n:
            raise ExerciseError(f"every action must be 0 up, 1 down, 2 left or 3 right, got {a}")
        _, _, terminated, truncated, info = env.step(a)
        if terminated or truncated:
            break
    if not terminated:
        raise ExerciseError(f"after {len(moves)} moves the agent has not reached the goal:\n"
                            + "\n".join(env.unwrapped.board()))
    best = solve(env.unwrapped.mdp, "intended").intended_return
    if info["intended_return"] < info["proxy_return"]:
        raise ExerciseError(f"the goal is reached, but the box is stuck against a wall: proxy "
                            f"{info['proxy_return']:.0f}, intended {info['intended_return']:.0f}")
    _close("the intended return of your route", info["intended_return"], best)
    _right(f"the box stays movable: proxy {info['proxy_return']:.0f}, intended {info['intended_return']:.0f}, "
           f"two steps longer than the route that corners it")


def bucket_states(mdp, hidden) -> None:
    """``hidden``: how many states share the bucket's one observation (the most common observation)."""
    _filled("hidden", hidden)
    expected = int(np.bincount(mdp.obs).max())
    _close("hidden", hidden, expected)
    _right(f"{expected} states look the same from inside the bucket: {mdp.n_states:,} states, "
           f"{mdp.n_obs:,} observations")


# -- lesson 4: measuring the gap -------------------------------------------------------------


def auroc(auroc_function) -> None:
    """``auroc_function(scores, labels)``: P(a positive outscores a negative) + ½ P(tie)."""
    from specgame.analysis.detect import auroc as reference

    _callable("auroc", auroc_function)
    generator = np.random.default_rng(3)
    cases = [([0.9, 0.8, 0.3, 0.1], [True, True, False, False]),   # perfect
             ([0.1, 0.2, 0.8, 0.9], [True, True, False, False]),   # perfectly wrong
             ([0.5, 0.5, 0.5, 0.5], [True, False, True, False])]   # all ties
    scores = generator.integers(0, 4, size=12).astype(float)      # many ties
    cases.append((list(scores), list(generator.random(12) < 0.5)))
    for scores, labels in cases:
        got = _calls("auroc", auroc_function, np.array(scores), np.array(labels))
        _close(f"auroc(scores={np.round(scores, 2).tolist()}, labels={labels})", got, reference(scores, labels))
    _right("1 ranks every gamer above every non-gamer, 0.5 is chance, and ties count half")


def total_variation(tv_function, mdp, trusted, candidate) -> None:
    """``tv_function(visits_a, visits_b)``: ½ Σ |a/Σa − b/Σb| over states, for expected visits per state."""
    from specgame.analysis.detect import occupancy_distance
    from specgame.policy import state_occupancy

    _callable("total_variation", tv_function)
    a, b = state_occupancy(mdp, trusted), state_occupancy(mdp, candidate)
    _close("total_variation(visits of the trusted policy, visits of the candidate)",
           _calls("total_variation", tv_function, a, b), occupancy_distance(mdp, trusted, candidate))
    _close("total_variation(a, a)", _calls("total_variation", tv_function, a, a), 0.0)
    _close("total_variation(a, 3 * a) (visits are normalised first)", _calls("total_variation", tv_function, a, 3 * a),
           0.0)
    _right(f"the candidate spends {occupancy_distance(mdp, trusted, candidate):.0%} of its time "
           "where the trusted policy would not")


def shaping(shape_function) -> None:
    """``shape_function(reward, potential, gamma)``: R(s,a,s') + γ φ(s') − φ(s) for R of shape [S, A, S']."""
    from specgame.analysis.reward_distance import epic_distance_dense

    _callable("shape", shape_function)
    generator = np.random.default_rng(11)
    reward = generator.normal(size=(5, 2, 5))
    potential = generator.normal(size=5) * 10
    gamma = 0.9
    got = np.asarray(_calls("shape", shape_function, reward, potential, gamma), dtype=np.float64)
    if got.shape != reward.shape:
        raise ExerciseError(f"shape must return an array of the reward's shape {reward.shape}, got {got.shape}")
    expected = reward + gamma * potential[None, None, :] - potential[:, None, None]
    worst = np.unravel_index(np.abs(got - expected).argmax(), got.shape)
    if not np.allclose(got, expected, atol=1e-9):
        raise ExerciseError(f"at (s, a, s') = {tuple(int(i) for i in worst)} you give {got[worst]:.4f}, "
                            f"but R + γ φ(s') − φ(s) = {expected[worst]:.4f}")
    distance = epic_distance_dense(reward, got, gamma=gamma)
    _right(f"EPIC distance between R and its shaped version: {distance:.1e} (shaping is invisible to EPIC)")


# -- lesson 7: goal misgeneralisation ---------------------------------------------------------


def reach_reward(reach_function, mdp) -> None:
    """``reach_function(mdp, goal)``: +1 for a step from a live state off the goal into it, float [S, A, K]."""
    import dataclasses

    from specgame.analysis.generalisation import correlate_states, reach_table
    from specgame.policy import uniform_policy
    from specgame.solve import evaluate

    _callable("reach_reward", reach_function)
    goal = correlate_states(mdp)
    expected = reach_table(mdp).proxy
    got = np.asarray(_calls("reach_reward", reach_function, mdp, goal), dtype=np.float64)
    if got.shape != expected.shape:
        raise ExerciseError(f"reach_reward must return an array of mdp.next_state's shape {expected.shape}, "
                            f"got {got.shape}")
    wrong = np.argwhere(got != expected)
    if len(wrong):
        s, a, k = (int(i) for i in wrong[0])
        target = int(mdp.next_state[s, a, k])
        raise ExerciseError(f"{len(wrong)} entries differ; the first: state {s} (terminal {bool(mdp.terminal[s])}, "
                            f"in the goal {bool(goal[s])}), action {a}, next state {target} (in the goal "
                            f"{bool(goal[target])}): you give {got[s, a, k]:g}, it should be {expected[s, a, k]:g}")
    table = dataclasses.replace(mdp, terminal=mdp.terminal | goal, proxy=got)
    rate = evaluate(table, uniform_policy(table)).proxy_return
    _right(f"a uniformly random walker reaches the correlate in {rate:.1%} of its episodes, exactly")


def misgeneralised_verdict(verdict_function) -> None:
    """``verdict_function(train_verdict, test_verdict, test_intended_score, test_correlate_score)``."""
    from specgame.analysis.compare import Thresholds
    from specgame.analysis.generalisation import COMPETENCE

    _callable("verdict_on_test", verdict_function)
    aligned = Thresholds().aligned
    cases = [("aligned", "incompetent", -0.24, 1.0),          # the coin follower
             ("aligned", "incompetent", aligned, 1.0),        # at the aligned threshold: not below it
             ("aligned", "incompetent", 0.1, COMPETENCE),     # at the competence threshold: it counts
             ("aligned", "incompetent", 0.1, 0.49),           # lost rather than misled
             ("incompetent", "incompetent", 0.0, 1.0),        # never learned the training levels
             ("aligned", "aligned", 0.9, 1.0),                # generalised
             ("gaming", "gaming", 0.1, 0.9),                  # gaming in training is another failure
             ("aligned", "gaming", 0.2, 0.7)]
    for train_verdict, test_verdict, test_score, correlate_score in cases:
        expected = ("misgeneralised" if train_verdict == "aligned" and test_score < aligned
                    and correlate_score >= COMPETENCE else test_verdict)
        got = _calls("verdict_on_test", verdict_function, train_verdict, test_verdict, test_score, correlate_score)
        if got != expected:
            raise ExerciseError(f"verdict_on_test{(train_verdict, test_verdict, test_score, correlate_score)} "
                                f"is {got!r}, but it should be {expected!r}")
    _right("misgeneralised: aligned in training, failing on test, and competent at the correlate there")


def carry(carry_function, train, test, agent) -> None:
    """``carry_function(train, test, actions)``: a table over training observations carried to test boards."""
    from specgame.analysis.generalisation import transfer_table

    _callable("carry", carry_function)
    generator = np.random.default_rng(5)
    for actions in (np.argmax(agent.q, axis=1), generator.integers(1, train.n_actions, size=train.n_obs)):
        expected = transfer_table(train, test, actions)
        got = np.asarray(_calls("carry", carry_function, train, test, actions))
        if got.shape != expected.shape:
            raise ExerciseError(f"carry must return one action per test observation, shape {expected.shape}, "
                                f"got {got.shape}")
        if (got != expected).any():
            o = int(np.argmax(got != expected))
            raise ExerciseError(f"on test observation {o} you give action {got[o]}, but it should be {expected[o]}")
    # Carried to its own training levels, where every board has been seen, a table acts as it does there.
    own = np.arange(train.n_obs) % train.n_actions
    if (np.asarray(_calls("carry", carry_function, train, train, own)) != transfer_table(train, train, own)).any():
        raise ExerciseError("carried to its own training levels, a table must act as it does there")
    seen = {train.boards[o].tobytes() for o in range(train.n_obs)}
    new = sum(test.boards[o].tobytes() not in seen for o in range(test.n_obs))
    _right(f"{new:,} of the {test.n_obs:,} test boards were never seen in training: there the table takes action 0")


# -- lesson 6: the language model that writes full stops --------------------------------------


def state_entropy(entropy_function) -> None:
    """``entropy_function(logp)``: the entropy (nats) of each row of a log-probability table with -inf entries."""
    from specgame.lm.grammar import language

    _callable("state_entropy", entropy_function)
    for name in ("tiny", "english"):
        lang = language(name)
        expected = lang.state_entropy()
        got = np.asarray(_calls("state_entropy", entropy_function, lang.logp.copy()), dtype=np.float64)
        if got.shape != expected.shape:
            raise ExerciseError(f"state_entropy must return one number per state, shape {expected.shape}, "
                                f"got {got.shape}")
        if np.isnan(got).any():
            raise ExerciseError(f"state_entropy gives nan for {int(np.isnan(got).sum())} states of the {name} "
                                "language: an impossible word (log-probability -inf) must contribute 0")
        worst = int(np.abs(got - expected).argmax())
        _close(f"the entropy of state {lang.state_names[worst]!r} of the {name} language", got[worst], expected[worst])
    rate = language("english").entropy_rate()
    _right(f"the English-like language writes {rate:.2f} nats per word: no model can average a lower loss on it")


def leave_one_out(advantage_function) -> None:
    """``advantage_function(rewards)``: each reward minus the mean of the others in its row, [groups, k]."""
    _callable("advantages", advantage_function)
    generator = np.random.default_rng(13)
    for shape in ((3, 4), (1, 2), (5, 7)):
        rewards = generator.normal(size=shape).round(2)
        expected = rewards - (rewards.sum(axis=1, keepdims=True) - rewards) / (shape[1] - 1)
        got = np.asarray(_calls("advantages", advantage_function, rewards.copy()), dtype=np.float64)
        if got.shape != rewards.shape:
            raise ExerciseError(f"advantages must return an array of the rewards' shape {shape}, got {got.shape}")
        if not np.allclose(got, expected, atol=1e-9):
            g, i = np.unravel_index(np.abs(got - expected).argmax(), shape)
            raise ExerciseError(f"for rewards row {rewards[g].tolist()}, completion {i}: you give {got[g, i]:.4f}, "
                                f"but the reward minus the mean of the other {shape[1] - 1} is {expected[g, i]:.4f}")
    _right("a completion's own reward never enters its baseline; each advantage is k/(k−1) times the reward's "
           "deviation from its group's mean, so a group's advantages sum to 0")


def best_of_n_law(law_function) -> None:
    """``law_function(p, n)``: the law of the best of n draws over sorted levels with probabilities p."""
    from specgame.lm.best_of_n import exact_kl, kl_bound, level_law

    _callable("best_of_n_law", law_function)
    rewards = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 5])
    for n in (1, 2, 3, 10, 64):
        _, p, expected = level_law(rewards, n)
        got = np.asarray(_calls("best_of_n_law", law_function, p.copy(), n), dtype=np.float64)
        if got.shape != p.shape:
            raise ExerciseError(f"best_of_n_law must return one probability per level, shape {p.shape}, "
                                f"got {got.shape}")
        if not np.allclose(got, expected, atol=1e-12):
            raise ExerciseError(f"best_of_n_law(p={np.round(p, 3).tolist()}, n={n}) is {np.round(got, 4).tolist()}, "
                                f"but it should be {np.round(expected, 4).tolist()}")
    _, p, q = level_law(rewards, 64)
    _right(f"for these levels and n = 64: exact KL {exact_kl(p, q):.2f} nats, the quoted formula {kl_bound(64):.2f}")


# -- lesson 5: inside the gamer ---------------------------------------------------------------


def _reference_balanced_accuracy(guess, truth) -> float:
    labels = np.unique(truth)
    return float(np.mean([np.mean(guess[truth == label] == label) for label in labels]))


def balanced_accuracy(accuracy_function) -> None:
    """``accuracy_function(guess, truth)``: the mean over true labels of the accuracy on that label."""
    _callable("balanced_accuracy", accuracy_function)
    generator = np.random.default_rng(17)
    truth = np.array([0] * 18 + [1] * 2)
    cases = [(np.zeros(20, int), truth),                         # always the common label: 0.5, not 0.9
             (truth.copy(), truth),                               # perfect
             (np.array([2, 2, 0, 1]), np.array([2, 0, 0, 1]))]    # a label guessed but never true
    cases.append((generator.integers(0, 5, 200), generator.integers(0, 4, 200)))
    for guess, true in cases:
        got = _calls("balanced_accuracy", accuracy_function, guess.copy(), true.copy())
        _close(f"balanced_accuracy(guess={guess.tolist()!r:.60}, truth={true.tolist()!r:.60})", got,
               _reference_balanced_accuracy(guess, true))
    _right("always guessing the common label scores 1 / labels, however common it is")


def contrast(contrast_function, net, mdp, with_, without) -> None:
    """``contrast_function(activations, with_, without)``: the mean activation difference over matched pairs."""
    from specgame.interpret.activations import activations
    from specgame.interpret.steering import contrast_vector

    _callable("contrast", contrast_function)
    expected = contrast_vector(net, mdp, "relus.0", "lagoon_tokens", 7, 0)
    got = np.asarray(_calls("contrast", contrast_function, activations(net, mdp).of("relus.0"), with_, without),
                     dtype=np.float64)
    if got.shape != expected.shape:
        raise ExerciseError(f"contrast must return one number per unit, shape {expected.shape}, got {got.shape}")
    worst = int(np.abs(got - expected).argmax())
    _close(f"the lagoon vector's unit {worst}", got[worst], float(expected[worst]), tolerance=1e-5)
    _right(f"{len(with_):,} matched pairs; the vector's largest entry is {float(np.abs(expected).max()):.2f} "
           f"(unit {int(np.abs(expected).argmax())})")


def specificity(specificity_function, net, mdp) -> None:
    """``specificity_function(steered, baseline, mdp, away)``: the share of ``away`` states acting as before."""
    from specgame.interpret.activations import Steer, greedy_table
    from specgame.interpret.steering import at_decision, contrast_vector, lagoon

    _callable("specificity", specificity_function)
    vector = contrast_vector(net, mdp, "relus.0", "lagoon_tokens", 7, 0)
    baseline = greedy_table(net, mdp)
    away = ~at_decision(mdp, lagoon(mdp)) & ~mdp.terminal
    _close("specificity(baseline, baseline, ...)", _calls("specificity", specificity_function, baseline, baseline,
                                                         mdp, away), 1.0)
    for coefficient in (-2.0, -4.0):
        steered = greedy_table(net, mdp, Steer("relus.0", vector, coefficient))
        expected = float(np.mean(steered[mdp.obs[away]] == baseline[mdp.obs[away]]))
        got = _calls("specificity", specificity_function, steered, baseline, mdp, away)
        _close(f"the specificity of the lagoon vector at coefficient {coefficient:+g}", got, expected)
    _right("the share of states away from the decision cell that the steering leaves alone")
