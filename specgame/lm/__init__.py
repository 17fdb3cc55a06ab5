"""A real language model that games its reward: full stops, the KL leash and Goodhart's curve.

The language is ours, so the intended objective is exact (see ``docs/lm.md``):

- :mod:`~specgame.lm.language`, :mod:`~specgame.lm.grammar`: the grammar, exact log-probabilities,
  the entropy rate, the tokeniser, well-formed answers.
- :mod:`~specgame.lm.model`, :mod:`~specgame.lm.pretrain`: the transformer, its pretraining and cache.
- :mod:`~specgame.lm.objective`: the proxy (full stops), the gold score and the exact KL.
- :mod:`~specgame.lm.rloo`, :mod:`~specgame.lm.best_of_n`: the two optimisers.
- :mod:`~specgame.lm.goodhart`, :mod:`~specgame.lm.figures`, :mod:`~specgame.lm.demo`: the curves,
  their fits, the figures and ``specgame lm demo``.
- :mod:`~specgame.lm.inside`: probes and the full-stop direction.
- :mod:`~specgame.lm.env`: ``specgame/FullStopLM-v0`` and a verdict for a tuned model.

Everything but the language and the env needs torch (``pip install "specgame[dqn]"``).
"""
