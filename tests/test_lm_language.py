"""The language of specgame.lm: exact probabilities, entropy rate, tokeniser, well-formed answers, gold."""

import math

import numpy as np
import pytest

from specgame.lm import objective
from specgame.lm.grammar import ENGLISH, language
from specgame.lm.language import EOT, build, zipf


def documents(lang, state=None, prefix=(), logp=0.0):
    """Every document of a loop-free grammar (up to and including <eot>) with its log-probability."""
    state = lang.start if state is None else state
    for word in np.flatnonzero(lang.next_state[state] >= 0):
        tokens, total = (*prefix, int(word)), logp + lang.logp[state, word]
        if word == lang.eot:
            yield tokens, total
        else:
            yield from documents(lang, int(lang.next_state[state, word]), tokens, total)


def test_probabilities_of_all_documents_sum_to_one():
    tiny = language("tiny")
    docs = list(documents(tiny))
    assert len(docs) > 10
    assert math.fsum(math.exp(lp) for _, lp in docs) == pytest.approx(1.0, abs=1e-12)
    for tokens, lp in docs:  # the walk reads the same probability back from the words
        assert tiny.log_prob(tokens) == pytest.approx(lp, abs=1e-12)


def test_every_state_of_the_english_language_is_a_distribution():
    english = language("english")
    assert np.allclose(np.exp(english.logp).sum(axis=1), 1.0)
    assert 200 <= english.n_words <= 400
    assert english.vocab[0] == EOT and "." in english.ids and "," in english.ids and "1945" in english.ids


def test_entropy_rate_is_the_documents_entropy_per_token():
    # A stream of independent documents: entropy per token = E[-log p(doc)] / E[len(doc)].
    tiny = language("tiny")
    docs = list(documents(tiny))
    p = np.array([math.exp(lp) for _, lp in docs])
    entropy = -sum(pi * lp for pi, (_, lp) in zip(p, docs))
    length = sum(pi * len(tokens) for pi, (tokens, _) in zip(p, docs))
    assert tiny.entropy_rate() == pytest.approx(entropy / length, abs=1e-12)


def test_held_out_text_scores_near_the_entropy_rate():
    english = language("english")
    text = english.sample(200, 400, np.random.default_rng(3))
    nll = -np.concatenate([english.walk(row)[0] for row in text]).mean()
    assert nll == pytest.approx(english.entropy_rate(), abs=0.05)


def test_conditional_log_probs_add_up_to_the_texts_log_probability():
    english = language("english")
    corpus = english.corpus(20, 40, seed=5)
    per_token = english.conditional_log_probs(corpus)
    for row, lp in zip(corpus, per_token):
        assert lp[1:].sum() == pytest.approx(english.log_prob(row[1:]), abs=1e-9)


def test_sampling_is_reproducible_from_the_seed_and_writes_only_possible_words():
    english = language("english")
    a, b = english.corpus(50, 32, seed=9), english.corpus(50, 32, seed=9)
    assert np.array_equal(a, b) and not np.array_equal(a, english.corpus(50, 32, seed=10))
    assert np.isfinite(english.conditional_log_probs(a)).all()


def test_a_nondeterministic_grammar_is_refused():
    with pytest.raises(ValueError, match="must be distinct"):
        build({"s": [(0.5, zipf("a b"), "s"), (0.5, zipf("b c"), "s")]}, "s")
    with pytest.raises(ValueError, match="summing to 1"):
        build({"s": [(0.5, zipf("a"), "s")]}, "s")


def test_tokeniser_round_trip_and_unknown_words():
    english = language("english")
    text = "the most important event of the century was the war in 1945, which changed everything."
    with pytest.raises(ValueError, match="every word must be in the language's .* got 'everything'"):
        english.encode(text)
    text = text.replace("everything", "the world")
    assert english.decode(english.encode(text)) == text
    assert english.encode("war.")[-1] == english.full_stop


def test_prompts_cover_the_documents():
    english = language("english")
    prompts = english.prompts()
    assert sum(p for p, _, _ in prompts) == pytest.approx(1.0)
    texts = [english.decode(tokens) for _, tokens, _ in prompts]
    assert "the most important event of the century was" in texts


def answer_state(english, prompt="the most important event of the century was"):
    return english.walk(english.encode(prompt))[1]


def test_well_formed_answers_end_a_sentence_with_possible_words():
    english = language("english")
    state = answer_state(english)
    assert english.is_well_formed(english.encode("the war in 1945."), state)
    assert not english.is_well_formed(english.encode("the war in 1945"), state)  # unfinished
    assert not english.is_well_formed(english.encode("the war. ."), state)  # "." twice is impossible
    assert not english.is_well_formed(english.encode(". . . ."), state)


def test_gold_is_the_clipped_log_probability_against_the_entropy_plus_the_bonus():
    english = language("english")
    state = answer_state(english)
    good = english.encode("the war in 1945. it ended.")
    stops = english.encode(". . . . . . .")
    logp, end, impossible = english.walk(good, state)
    states = english.states_along(good, state)[:-1]
    expected = (logp + english.state_entropy()[states]).mean() + objective.BONUS
    assert objective.gold(english, [good], state)[0] == pytest.approx(expected)
    # every stop but none is impossible here: charged the floor, the state never moves
    assert objective.gold(english, [stops], state)[0] == pytest.approx(
        objective.FLOOR + english.state_entropy()[state])
    assert objective.proxy(english, [good]).tolist() == [2] and objective.proxy(english, [stops]).tolist() == [7]


def test_the_prompts_answer_states_make_short_answers_rare():
    english = language("english")
    state = answer_state(english)
    three_word = english.log_prob(english.encode("the war."), state)
    assert math.exp(three_word) < 0.02
    assert "document" in ENGLISH
