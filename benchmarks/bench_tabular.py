"""How fast specgame trains, solves and starts, as ratios measured in one run.

    python benchmarks/bench_tabular.py [--quick]      (or: specgame bench [--quick])

1. Training throughput, for each algorithm on BoatRaceLoop-v0 and CliffWalking-v0, in
   environment steps per second:
   (a) our numba kernel on the compiled TabularMDP;
   (b) the same loop in C (``tabular_loop.c``, -O2) on the same arrays, compiled now if a
       C compiler is present: the practical limit.  It draws the same random numbers in
       the same order, and the benchmark checks it leaves the same Q-table as the kernel
       from the same seed, so both did the same work;
   (c) a textbook agent in plain Python over ``gymnasium.make``.
   Single-threaded loops are timed in CPU time of the calling thread, so other jobs on
   a busy machine slow the wall clock without skewing the ratios much.
2. Multi-seed scaling: ``train_seeds`` (numba ``prange`` over seeds) on 1 thread against
   2 threads, timed on the wall clock (threads), interleaved so that both see the same load.
3. The exact solver (``specgame.solve.solve``) on BoatRaceLoop-v0, after its first call.
4. Environment compilation (``specgame.grid.compile``) with the disk cache off; and for a
   game written as numba kernels (SideEffectsSokoban level 2), the kernel search against
   the Python search over the same rules, which build the same table; and the kernel
   search against a plain C breadth-first search over RocksDiamonds' rules
   (``search_bfs.c``, compiled now), the first 2M states (300k with ``--quick``).
5. ``specgame demo`` up to its first table, in a fresh interpreter: cold (empty numba and
   specgame caches) and warm (the same caches, filled by the cold run).

Every figure is a median over repeats; ``--quick`` uses fewer steps and repeats.
``run(quick)`` returns the measurements as a dict.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling modules, from any cwd

import c_loop
import python_loop
import search_speed

ROOT = Path(__file__).resolve().parent.parent
ENVS = ("specgame/BoatRaceLoop-v0", "specgame/CliffWalking-v0")
HYPER = {"alpha": 0.1, "gamma": 0.99, "epsilon": 0.1}
TARGETS = {"kernel / C": 0.75, "2 threads / 1": 1.8, "solve s": 1.0, "warm demo s": 5.0}
STARTED = time.perf_counter()


def median_of(repeats: int, measure) -> float:
    return statistics.median(measure(i) for i in range(repeats))


# -- 1. throughput ---------------------------------------------------------------------------


def loop_rate(train, cls, mdp, steps: int, seed: int) -> float:
    """Steps per CPU-second of the loop ``train`` (numba's or C's) under the same driver."""
    agent = cls(mdp, seed=seed, **HYPER)
    start = time.thread_time()
    c_loop.learn(train, agent, steps)
    return steps / (time.thread_time() - start)


def learn_rate(cls, mdp, steps: int, seed: int) -> float:
    """Steps per CPU-second of ``agent.learn``: the kernel plus the agent's own bookkeeping."""
    agent = cls(mdp, seed=seed, **HYPER)
    start = time.thread_time()
    agent.learn(steps)
    return steps / (time.thread_time() - start)


def same_work(c_train, cls, mdp, steps: int = 200_000, seed: int = 7) -> bool:
    """Whether the C loop leaves ``agent.learn``'s Q-table and history from the same seed."""
    agent = cls(mdp, seed=seed, **HYPER).learn(steps)
    q, history = c_loop.learn(c_train, cls(mdp, seed=seed, **HYPER), steps)
    return bool(np.array_equal(agent.q, q) and all(np.array_equal(getattr(agent.history, name), getattr(history, name))
                                                   for name in ("proxy_return", "intended_return", "length")))


def throughput(quick: bool) -> list[dict]:
    from specgame.agents import SARSA, ExpectedSARSA, QLearning
    from specgame.ids import short_id
    from specgame.mdp import to_mdp

    kernel_steps, python_steps, repeats = (2_000_000, 20_000, 7) if quick else (5_000_000, 100_000, 9)
    try:
        lib = c_loop.build()
        if lib is None:
            print("no C compiler found ($CC, cc, gcc, clang): skipping the C loop")
    except subprocess.CalledProcessError as err:
        print(f"compiling the C loop failed, skipping it:\n{err.stderr}")
        lib = None
    from specgame.agents import _kernels

    c_train = c_loop.c_train(lib) if lib is not None else None
    rows = []
    for env_id in ENVS:
        mdp = to_mdp(env_id)
        for cls in (SARSA, ExpectedSARSA, QLearning):
            progress(f"1. throughput: {short_id(env_id)} {cls.name}, {repeats} repeats of {kernel_steps:,} steps")
            cls(mdp, seed=0, **HYPER).learn(1000)  # compile (or load numba's cache) outside the timing
            kernel, c, learn = [], [], []
            for seed in range(repeats):  # interleaved: every loop sees the same background load
                kernel.append(loop_rate(_kernels.train, cls, mdp, kernel_steps, seed))
                learn.append(learn_rate(cls, mdp, kernel_steps, seed))
                if c_train is not None:
                    c.append(loop_rate(c_train, cls, mdp, kernel_steps, seed))
            row = {"env": short_id(env_id), "algorithm": cls.name, "kernel": statistics.median(kernel),
                   "learn": statistics.median(learn),
                   "python": statistics.median(python_loop.steps_per_second(env_id, cls.name, python_steps,
                                                                            seed, HYPER) for seed in range(3))}
            if c_train is not None:
                row["c"] = statistics.median(c)
                row["same_q"] = same_work(c_train, cls, mdp)
            rows.append(row)
    return rows


# -- 2. multi-seed scaling --------------------------------------------------------------------


def thread_scaling(quick: bool) -> dict:
    import numba

    from specgame.agents import QLearning, train_seeds
    from specgame.mdp import to_mdp

    mdp = to_mdp(ENVS[0])
    seeds, steps, repeats = (range(4), 1_000_000, 3) if quick else (range(8), 4_000_000, 5)
    available = numba.config.NUMBA_NUM_THREADS
    train_seeds(QLearning, mdp, seeds=range(2), total_steps=1000, **HYPER)  # compile outside the timing
    rates, cpu_rates = {1: [], 2: []}, {1: [], 2: []}
    before = numba.get_num_threads()
    try:
        for _ in range(repeats):
            for threads in (1, 2):  # interleaved: both settings see the same background load
                if threads > available:
                    continue
                numba.set_num_threads(threads)
                start, start_cpu = time.perf_counter(), time.process_time()
                train_seeds(QLearning, mdp, seeds=seeds, total_steps=steps, **HYPER)
                rates[threads].append(len(seeds) * steps / (time.perf_counter() - start))
                cpu_rates[threads].append(len(seeds) * steps / (time.process_time() - start_cpu))
    finally:
        numba.set_num_threads(before)
    result = {"seeds": len(seeds), "steps": steps, "threads_available": available,
              "load_average": os.getloadavg()[0], "rate_1": statistics.median(rates[1]),
              "cpu_rate_1": statistics.median(cpu_rates[1])}
    if rates[2]:
        result["rate_2"] = statistics.median(rates[2])
        result["cpu_rate_2"] = statistics.median(cpu_rates[2])
    return result


# -- 3. and 4. solver and compile -------------------------------------------------------------


def solver_time(quick: bool) -> dict:
    from specgame.mdp import to_mdp
    from specgame.solve import solve

    mdp = to_mdp(ENVS[0])
    start = time.perf_counter()
    solve(mdp, "proxy")  # the first call loads (or compiles) the numba kernels
    first = time.perf_counter() - start

    def once(_):
        start = time.perf_counter()
        solve(mdp, "proxy")
        return time.perf_counter() - start

    return {"first": first, "median": median_of(3 if quick else 7, once), "states": mdp.n_states,
            "horizon": mdp.horizon}


def compile_time(quick: bool) -> dict:
    from specgame import grid
    from specgame.envs import boat_race_loop

    def once(_):
        grid._memory_cache.clear()  # the in-memory cache would answer without compiling
        start = time.perf_counter()
        mdp = grid.compile(boat_race_loop)
        return time.perf_counter() - start, mdp.n_states

    saved = os.environ.get("SPECGAME_NO_CACHE")
    os.environ["SPECGAME_NO_CACHE"] = "1"
    try:
        runs = [once(i) for i in range(1 if quick else 3)]
    finally:
        if saved is None:
            del os.environ["SPECGAME_NO_CACHE"]
        else:
            os.environ["SPECGAME_NO_CACHE"] = saved
        grid._memory_cache.clear()
    return {"median": statistics.median(t for t, _ in runs), "states": runs[0][1],
            "kernel": kernel_search(quick), "c_search": search_speed.run(300_000 if quick else 2_000_000)}


def kernel_search(quick: bool) -> dict:
    from specgame import grid
    from specgame.envs import side_effects_sokoban as game

    cfg = game.Config(level=2)

    def timed(search):
        start = time.perf_counter()
        mdp = search(game, cfg, grid.MAX_STATES)
        return time.perf_counter() - start, mdp.n_states

    timed(grid._enumerate_kernel)  # the first call loads (or compiles) the numba kernels
    repeats = 1 if quick else 3
    fast = [timed(grid._enumerate_kernel) for _ in range(repeats)]
    slow = [timed(grid._enumerate) for _ in range(repeats)]
    return {"kernel": statistics.median(t for t, _ in fast), "python": statistics.median(t for t, _ in slow),
            "states": fast[0][1]}


# -- 5. demo start-up ------------------------------------------------------------------------


def demo_to_first_table(numba_cache: str, specgame_cache: str, out: str) -> tuple[float, float]:
    """Seconds from launching ``specgame demo`` to its gap table's header on stdout: (wall, CPU).

    The CPU time (the child's user + system time, up to the table and a moment after)
    shows how much of the wall time is the machine's load rather than the start-up.
    """
    env = dict(os.environ, NUMBA_CACHE_DIR=numba_cache, SPECGAME_CACHE_DIR=specgame_cache,
               PYTHONUNBUFFERED="1", PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get(
                   "PYTHONPATH")])))
    env.pop("SPECGAME_NO_CACHE", None)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    demo = subprocess.Popen([sys.executable, "-m", "specgame.app.cli", "demo", "--out", out], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = None
    try:
        for line in demo.stdout:
            if "verdict" in line:  # the header row of the table
                wall = time.perf_counter() - start
                break
    finally:
        demo.kill()  # the figures after the table are not part of the start-up
        demo.wait()
        errors = demo.stderr.read()
        demo.stdout.close()
        demo.stderr.close()
    if wall is None:
        raise RuntimeError(f"specgame demo printed no table: {errors[-2000:]}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (children.ru_utime - children_before.ru_utime) + (children.ru_stime - children_before.ru_stime)
    return wall, cpu


def demo_startup(quick: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="specgame-bench-") as folder:
        caches = (os.path.join(folder, "numba"), os.path.join(folder, "specgame"), os.path.join(folder, "out"))
        cold, cold_cpu = demo_to_first_table(*caches)
        warm_runs = [demo_to_first_table(*caches) for _ in range(1 if quick else 3)]
    return {"cold": cold, "cold_cpu": cold_cpu, "warm": statistics.median(w for w, _ in warm_runs),
            "warm_cpu": statistics.median(c for _, c in warm_runs)}


# -- the report ------------------------------------------------------------------------------


def progress(message: str) -> None:
    """A line on stderr as each measurement starts: a benchmark takes from seconds to minutes."""
    print(f"[{time.perf_counter() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


def run(quick: bool = False) -> dict:
    import specgame  # noqa: F401  (registers the specgame/ ids)

    measured = {"throughput": throughput(quick)}
    for key, measure, what in (("threads", thread_scaling, "2. multi-seed scaling over threads"),
                               ("solve", solver_time, "3. the exact solver"),
                               ("compile", compile_time, "4. compiling tables"),
                               ("demo", demo_startup, "5. specgame demo's start-up, cold and warm")):
        progress(what)
        measured[key] = measure(quick)
    return measured


def mark(ok: bool) -> str:
    return "meets target" if ok else "BELOW TARGET"


def report(results: dict) -> None:
    rows = results["throughput"]
    print("1. training throughput, env steps/s (CPU time of one thread; median).  kernel and C: the two loops\n"
          "   under one driver; learn(): the agent's learn, kernel plus its history bookkeeping")
    print(f"   {'env':16} {'algorithm':14} {'kernel':>12} {'C -O2':>12} {'kernel/C':>9} {'same Q':>7} "
          f"{'learn()':>12} {'Python':>9} {'learn/Py':>9}")
    for row in rows:
        c = f"{row['c']:12,.0f} {row['kernel'] / row['c']:8.2f}x {'yes' if row['same_q'] else 'NO':>7}" \
            if "c" in row else f"{'-':>12} {'-':>9} {'-':>7}"
        print(f"   {row['env']:16} {row['algorithm']:14} {row['kernel']:12,.0f} {c} {row['learn']:12,.0f} "
              f"{row['python']:9,.0f} {row['learn'] / row['python']:8.0f}x")
    with_c = [row["kernel"] / row["c"] for row in rows if "c" in row]
    if with_c:
        worst = min(with_c)
        print(f"   kernel/C: worst {worst:.2f}x, median {statistics.median(with_c):.2f}x "
              f"(target >= {TARGETS['kernel / C']}x: {mark(worst >= TARGETS['kernel / C'])})")

    t = results["threads"]
    print(f"\n2. multi-seed scaling: train_seeds, QLearning, {t['seeds']} seeds x {t['steps']:,} steps, "
          f"wall clock (load average {t['load_average']:.1f} on {os.cpu_count()} CPUs)")
    print(f"   1 thread  {t['rate_1']:13,.0f} steps/s wall, {t['cpu_rate_1']:13,.0f} per CPU-second")
    if "rate_2" in t:
        speedup = t["rate_2"] / t["rate_1"]
        efficiency = t["cpu_rate_2"] / t["cpu_rate_1"]
        print(f"   2 threads {t['rate_2']:13,.0f} steps/s wall, {t['cpu_rate_2']:13,.0f} per CPU-second")
        print(f"   speed-up on the wall clock {speedup:.2f}x (target >= {TARGETS['2 threads / 1']}x on a quiet "
              f"machine: {mark(speedup >= TARGETS['2 threads / 1'])})")
        # On a shared machine the wall clock shows how much CPU the others left us; work per
        # CPU-second shows whether the threads slow each other down (1.0: not at all).
        print(f"   work per CPU-second, 2 threads / 1: {efficiency:.2f}x, so on 2 idle cores the speed-up "
              f"would be about {2 * min(efficiency, 1.0):.1f}x")
    else:
        print(f"   2 threads: skipped, numba has {t['threads_available']} thread(s) here")

    s = results["solve"]
    print(f"\n3. exact solve of BoatRaceLoop-v0 ({s['states']:,} states, horizon {s['horizon']}): "
          f"{s['median'] * 1000:.1f} ms (first call {s['first'] * 1000:.0f} ms; "
          f"target < {TARGETS['solve s']:g} s: {mark(s['median'] < TARGETS['solve s'])})")
    c = results["compile"]
    print(f"4. compiling BoatRaceLoop-v0 ({c['states']:,} states), disk cache off: {c['median']:.2f} s")
    k = c["kernel"]
    print(f"   SideEffectsSokoban level 2 ({k['states']:,} states): kernel search {k['kernel']:.2f} s, Python "
          f"search over the same rules {k['python']:.2f} s: {k['python'] / k['kernel']:.0f}x")
    print("   kernel search against a plain C breadth-first search over the same rules:")
    search_speed.report(c["c_search"])
    d = results["demo"]
    print(f"5. specgame demo to its first table, wall (CPU): cold {d['cold']:.1f} s ({d['cold_cpu']:.1f} s; "
          f"empty numba and specgame caches), warm {d['warm']:.1f} s ({d['warm_cpu']:.1f} s; "
          f"target < {TARGETS['warm demo s']:g} s: {mark(d['warm'] < TARGETS['warm demo s'])})")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats (under a minute)")
    args = parser.parse_args(argv)
    report(run(quick=args.quick))


if __name__ == "__main__":
    main()
