"""An explicit random generator for numba kernels: xoshiro256** seeded with splitmix64.

The whole generator is a ``uint64[4]`` array that the caller owns and passes in.  That
is what makes a training run reproducible bit for bit, lets ``prange`` give every seed
its own stream (numba's global ``np.random`` is shared between threads), and lets a
checkpoint save the generator as one small array.  Every function here is ``@njit`` and
can also be called from plain Python, which is how the reference agents in the tests
draw the very same numbers.

The kernels inline these functions; their cache is stamped with this file too
(``specgame._jit``), so an edit here recompiles them.

Algorithms: Blackman & Vigna, "Scrambled linear pseudorandom number generators" (2021),
https://prng.di.unimi.it/ ; splitmix64 from Steele, Lea & Flood (2014).
"""

from __future__ import annotations

import numpy as np

from specgame._jit import njit  # registers the cache locator before the decorators run

# numba types an unsigned-with-signed mix as float64, so every constant is a uint64.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_U0, _U5, _U7, _U9 = np.uint64(0), np.uint64(5), np.uint64(7), np.uint64(9)
_U11, _U17, _U27, _U30, _U31 = np.uint64(11), np.uint64(17), np.uint64(27), np.uint64(30), np.uint64(31)
_U32, _U45, _U64 = np.uint64(32), np.uint64(45), np.uint64(64)
_MASK32 = np.uint64(0xFFFFFFFF)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53: 53 random bits fill a double's mantissa


@njit(cache=True, inline="always")
def _rotl(x, k):
    return (x << k) | (x >> (_U64 - k))


@njit(cache=True)
def seed_state(seed):
    """A fresh generator state (``uint64[4]``) from a non-negative integer seed.

    splitmix64 spreads the seed over the 256 bits, so nearby seeds give unrelated
    streams and the state is never all zeros (the one state xoshiro cannot leave).
    """
    state = np.empty(4, dtype=np.uint64)
    x = np.uint64(seed)
    for i in range(4):
        x = x + _GOLDEN
        z = x
        z = (z ^ (z >> _U30)) * _MIX1
        z = (z ^ (z >> _U27)) * _MIX2
        state[i] = z ^ (z >> _U31)
    return state


@njit(cache=True, inline="always")
def next_u64(state):
    """The next 64 random bits; advances ``state`` in place."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    result = _rotl(s1 * _U5, _U7) * _U9
    t = s1 << _U17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, _U45)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return result


@njit(cache=True, inline="always")
def uniform(state):
    """A float in [0, 1), a multiple of 2**-53."""
    return np.float64(next_u64(state) >> _U11) * _TO_UNIT


@njit(cache=True, inline="always")
def integers(state, n):
    """An integer in [0, n), exactly uniform (1 <= n < 2**32).

    Lemire's multiply-and-shift: the high half of ``32 random bits * n``.  Rejecting the
    lowest ``2**32 mod n`` products removes the bias; the division that needs runs only
    when a product lands in the lowest ``n`` of its range (rarely), so the hot path
    has none.  D. Lemire, "Fast random integer generation in an interval" (2019).
    """
    bound = np.uint64(n)
    product = (next_u64(state) >> _U32) * bound
    low = product & _MASK32
    if low < bound:
        threshold = ((_U0 - bound) & _MASK32) % bound  # 2**32 mod n
        while low < threshold:
            product = (next_u64(state) >> _U32) * bound
            low = product & _MASK32
    return np.int64(product >> _U32)
