"""A language of our own: a deterministic probabilistic finite-state grammar of English-like text.

Because the language is ours, everything a judge would estimate is exact here: the
probability of any token sequence (walk the states, multiply the transition
probabilities), whether a completion is well formed, and the entropy rate (the state
chain's stationary distribution times each state's entropy).

The grammar is *deterministic*: within a state every word is distinct, so the next state
follows from the word, and the probability of a text reads straight off its words (no
inside algorithm needed). A text is a stream of documents: ``<eot>`` ends one and starts
the next, and every document is a prompt (a question-like lead, such as "the most
important event of the century was") followed by an answer of one or more sentences.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from specgame._checks import check_int, check_number, fail

EOT = "<eot>"
FULL_STOP = "."
GRAMMAR_VERSION = 1


def zipf(words: str, exponent: float = 0.9) -> dict[str, float]:
    """Weights for a word class, falling like Zipf's law in the order the words are listed."""
    listed = words.split()
    weights = [1.0 / (rank + 1) ** exponent for rank in range(len(listed))]
    total = sum(weights)
    return {w: x / total for w, x in zip(listed, weights)}


def phrase(words: str) -> dict[str, float]:
    """A fixed phrase: one alternative of several words (the grammar chains states for it)."""
    return {words: 1.0}


@dataclass(frozen=True)
class Language:
    """A deterministic probabilistic finite-state language over a word vocabulary.

    Build one with :func:`build` from a grammar: ``{state: [(probability, words, next_state)]}``
    where ``words`` maps each word (or a fixed phrase of several words) of a class to its
    probability within the class. The compiled tables:

    - ``vocab``: the words, ``<eot>`` first (id 0); ``ids`` maps a word to its id.
    - ``next_state[S, V]``: the state after writing word v in state s (-1: impossible).
    - ``logp[S, V]``: the log-probability of word v in state s (-inf: impossible).
    - ``start``: the state a document starts in (the one after ``<eot>``).
    - ``sentence_end``: the states reached by a full stop or ``<eot>``, where an answer is finished.
    """

    vocab: tuple[str, ...]
    state_names: tuple[str, ...]
    next_state: np.ndarray
    logp: np.ndarray
    start: int
    sentence_end: frozenset[int]
    digest: str

    @property
    def ids(self) -> dict[str, int]:
        return _ids(self.vocab)

    @property
    def n_words(self) -> int:
        return len(self.vocab)

    @property
    def eot(self) -> int:
        return 0

    @property
    def full_stop(self) -> int:
        return self.ids[FULL_STOP]

    # -- the tokeniser -------------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        """Word-level tokens: words split on spaces; "." and "," are words of their own."""
        ids = self.ids
        tokens = []
        for word in text.replace(".", " . ").replace(",", " , ").split():
            if word not in ids:
                fail("every word", f"in the language's {self.n_words}-word vocabulary", word)
            tokens.append(ids[word])
        return tokens

    def decode(self, tokens) -> str:
        """Text from tokens: spaces between words, none before "." or ","."""
        text = ""
        for token in tokens:
            word = self.vocab[int(token)]
            text += word if (word in (FULL_STOP, ",") or not text) else " " + word
        return text

    # -- exact probabilities -------------------------------------------------------------

    def walk(self, tokens, state: int | None = None, floor: float | None = None) -> tuple[np.ndarray, int, int]:
        """The log-probability of each token in turn, the final state, and the impossible-token count.

        Without ``floor`` an impossible token has log-probability -inf and ends the walk
        (the rest are -inf too). With a ``floor`` it is charged ``floor`` and skipped: the
        state stays where it was, so one stray word does not poison the rest of the text.
        """
        state = self.start if state is None else state
        out = np.empty(len(tokens))
        impossible = 0
        for i, token in enumerate(tokens):
            nxt = self.next_state[state, token]
            if nxt < 0:
                impossible += 1
                if floor is None:
                    out[i:] = -math.inf
                    return out, -1, impossible + len(tokens) - i - 1
                out[i] = floor
                continue
            out[i] = self.logp[state, token]
            state = int(nxt)
        return out, state, impossible

    def log_prob(self, tokens, state: int | None = None) -> float:
        """The exact log-probability of a token sequence, starting in ``state`` (a document start)."""
        return float(self.walk(tokens, state)[0].sum())

    def states_along(self, tokens, state: int | None = None) -> np.ndarray:
        """The state before each token (then the one after the last); -1 once a token is impossible."""
        state = self.start if state is None else state
        out = np.full(len(tokens) + 1, -1, dtype=np.int64)
        out[0] = state
        for i, token in enumerate(tokens):
            state = int(self.next_state[state, token]) if state >= 0 else -1
            out[i + 1] = state
        return out

    def conditional_log_probs(self, sequences: np.ndarray) -> np.ndarray:
        """log p(token t | tokens before it) for a batch of sequences that each start with ``<eot>``.

        The first token is given (the beginning-of-text marker), so column 0 is 0.
        """
        sequences = np.asarray(sequences)
        out = np.zeros(sequences.shape)
        state = np.full(len(sequences), self.start)
        for t in range(1, sequences.shape[1]):
            token = sequences[:, t]
            out[:, t] = self.logp[state, token]
            state = self.next_state[state, token]
            if (state < 0).any():
                row = int(np.flatnonzero(state < 0)[0])
                fail("sequences", "texts of the language", f"row {row} with the impossible word "
                     f"{self.vocab[int(token[row])]!r} at position {t}")
        return out

    def state_entropy(self) -> np.ndarray:
        """The entropy (nats) of the next word in each state."""
        p = np.exp(self.logp)
        with np.errstate(invalid="ignore"):
            terms = np.where(p > 0, -p * self.logp, 0.0)
        return terms.sum(axis=1)

    def stationary(self) -> np.ndarray:
        """The long-run share of tokens written in each state (the state chain's stationary law)."""
        n = len(self.state_names)
        p = np.exp(self.logp)
        transition = np.zeros((n, n))
        for s in range(n):
            for v in np.flatnonzero(self.next_state[s] >= 0):
                transition[s, self.next_state[s, v]] += p[s, v]
        # Solve pi (T - I) = 0 with sum(pi) = 1 (the chain is irreducible: every document ends).
        a = np.vstack([(transition - np.eye(n)).T, np.ones(n)])
        b = np.zeros(n + 1)
        b[-1] = 1.0
        pi, *_ = np.linalg.lstsq(a, b, rcond=None)
        return pi

    def entropy_rate(self) -> float:
        """The exact entropy rate of the stream of documents, nats per token."""
        return float(self.stationary() @ self.state_entropy())

    # -- sampling --------------------------------------------------------------------------

    def sample(self, n: int, length: int, rng: np.random.Generator, state: int | None = None) -> np.ndarray:
        """``n`` token sequences of ``length`` words, each written from ``state`` (a document start).

        Sequences run on across documents (``<eot>`` starts the next one) so every row is full.
        """
        n = check_int("n", n, 1)
        length = check_int("length", length, 0)
        cdf = np.cumsum(np.exp(self.logp), axis=1)
        # from each state's last possible word on, the cdf is above any draw: no rounding gap
        # can pick a word past it
        last = self.logp.shape[1] - 1 - np.argmax(np.isfinite(self.logp[:, ::-1]), axis=1)
        cdf[np.arange(self.logp.shape[1])[None, :] >= last[:, None]] = 2.0
        out = np.zeros((n, length), dtype=np.int64)
        current = np.full(n, self.start if state is None else state)
        for t in range(length):
            u = rng.random(n)
            token = (u[:, None] >= cdf[current]).sum(axis=1)
            out[:, t] = token
            current = self.next_state[current, token]
        return out

    def corpus(self, n: int, length: int, seed: int) -> np.ndarray:
        """``n`` training sequences of ``length`` tokens, each ``<eot>`` then documents (seeded)."""
        rng = np.random.default_rng(check_int("seed", seed, 0))
        rest = self.sample(n, length - 1, rng)
        return np.concatenate([np.zeros((n, 1), dtype=np.int64), rest], axis=1)

    # -- prompts and answers ---------------------------------------------------------------

    def prompts(self) -> list[tuple[float, list[int], int]]:
        """Each prompt as (probability, tokens, state after it): the fixed leads documents start with."""
        out = []
        for first in np.flatnonzero(self.next_state[self.start] >= 0):
            tokens, state, logp = [int(first)], int(self.next_state[self.start, first]), self.logp[self.start, first]
            while True:  # a prompt runs while the grammar has only one choice
                choices = np.flatnonzero(self.next_state[state] >= 0)
                if len(choices) != 1:
                    break
                tokens.append(int(choices[0]))
                state = int(self.next_state[state, choices[0]])
            out.append((float(math.exp(logp)), tokens, state))
        return out

    def is_well_formed(self, completion, state: int) -> bool:
        """Whether ``completion`` written after ``state`` is a well-formed answer.

        Every word is possible where it stands, and the completion ends at a finished
        sentence: its last word is a full stop or ``<eot>``.
        """
        _, end, impossible = self.walk(completion, state)
        return impossible == 0 and end in self.sentence_end


@cache
def _ids(vocab: tuple[str, ...]) -> dict[str, int]:
    return {w: i for i, w in enumerate(vocab)}


def build(grammar: dict, start: str) -> Language:
    """Compile a grammar ``{state: [(probability, {word or phrase: p}, next_state)]}`` into a Language.

    Checks that each state's class probabilities sum to 1, that every word is distinct
    within its state (so the grammar is deterministic), and that every next state exists.
    A phrase of several words becomes a chain of one-choice states.
    """
    rows: dict[str, dict[str, tuple[float, str]]] = {}

    def add(state: str, word: str, prob: float, nxt: str) -> None:
        row = rows.setdefault(state, {})
        if word in row:
            fail(f"the words of state {state!r}", "distinct (a deterministic grammar)", word)
        row[word] = (prob, nxt)

    for state, alternatives in grammar.items():
        total = sum(p for p, _, _ in alternatives)
        if abs(total - 1.0) > 1e-9:
            fail(f"the probabilities of state {state!r}", "summing to 1", total)
        for prob, words, nxt in alternatives:
            if nxt not in grammar:
                fail(f"the next state after {state!r}", f"one of the grammar's states {sorted(grammar)}", nxt)
            check_number("a word class's probability", prob, 0.0, 1.0, low_open=True)
            for text, p in words.items():
                parts = text.split()
                chain = state
                for i, word in enumerate(parts[:-1]):
                    link = f"{state}>{' '.join(parts[: i + 1])}"
                    add(chain, word, prob * p if i == 0 else 1.0, link)
                    chain = link
                add(chain, parts[-1], prob * p if len(parts) == 1 else 1.0, nxt)
    words = sorted({w for row in rows.values() for w in row} - {EOT})
    vocab = (EOT, *words)
    ids = {w: i for i, w in enumerate(vocab)}
    names = tuple(rows)
    index = {name: i for i, name in enumerate(names)}
    next_state = np.full((len(names), len(vocab)), -1, dtype=np.int64)
    logp = np.full((len(names), len(vocab)), -np.inf)
    for name, row in rows.items():
        for word, (prob, nxt) in row.items():
            next_state[index[name], ids[word]] = index[nxt]
            logp[index[name], ids[word]] = math.log(prob)
    ends = frozenset(int(next_state[s, v]) for s in range(len(names)) for v in (ids[EOT], ids.get(FULL_STOP, 0))
                     if next_state[s, v] >= 0)
    digest = hashlib.sha256(json.dumps([GRAMMAR_VERSION, start, grammar], sort_keys=True).encode()).hexdigest()[:16]
    return Language(vocab, names, next_state, logp, index[start], ends, digest)
