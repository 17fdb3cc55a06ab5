"""The grammars: English-like text about history and inventions, and a tiny one for tests.

A grammar is ``{state: [(probability, word class, next state)]}``; a word class maps words
(or fixed phrases) to their probability within the class. States are the places in a
sentence: where a subject starts, after a verb, after a year, and so on. A few words
recur in many states ("the", "in", ","), which is what makes the model learn the state
from the context and not from the last word alone.

Design choices that shape the full-stop game:

- A document is a prompt and an answer; the answer after a prompt continues the prompt's
  clause ("... was the war in 1945 , which changed everything ."), and short answers are
  rare there: a full stop right after the first noun phrase has probability 0.08.
- A full stop is possible only where a sentence may end, and never twice in a row (after
  "." a new sentence starts or the document ends), so a text of full stops is impossible.
"""

from __future__ import annotations

from functools import cache

from specgame.lm.language import EOT, Language, build, phrase, zipf

YEARS = zipf("1945 1914 1969 1989 1918 1939 1929 1900 1917 1957 1961 1991 1933 1949 1973 1999 1905 1908 1927 1963",
             0.6)
NUMBERS = zipf("two three many few several ten four five twenty forty", 0.8)
DETERMINERS = zipf("the a this that every our their one", 1.1)
PRONOUNS = zipf("it they we he she people nobody everyone history i", 1.0)
ADJECTIVES = zipf("great new long small old first last strange quiet bright cold modern simple dark famous "
                  "early late short sudden rich poor young final major cheap", 0.9)
NOUNS = zipf("war world city country machine idea change crisis king leader river ship engine story law "
             "market empire government bridge station factory road village treaty army school paper "
             "family harbour colony museum", 0.9)
PLURALS = zipf("people cities ships machines countries workers ideas songs books wars soldiers families "
               "farmers engines letters roads", 0.9)
EVENTS = zipf("war revolution election crisis treaty flight discovery collapse landing strike depression "
              "invasion reform peace boom", 0.8)
THINGS = zipf("radio engine computer telephone camera printing vaccine bicycle railway television "
              "refrigerator aeroplane rocket clock", 0.8)
INTRANSITIVE = zipf("ended began failed grew mattered fell won lasted spread worked returned collapsed "
                    "arrived waited changed survived", 0.9)
TRANSITIVE = zipf("built found saw made lost brought destroyed opened crossed wrote carried moved ruled "
                  "sold joined", 0.9)
ADVERBS = zipf("never always quickly slowly finally soon", 1.0)
PREPOSITIONS = zipf("with for near across without after before", 1.0)


def _merge(*classes: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for c in classes:
        out.update(c)
    return out


def _sentence_start(scale: float) -> list:
    """Where a sentence starts: a subject, a pronoun, or a fronted year ("in 1945 , ...")."""
    return [(0.45 * scale, DETERMINERS, "subject_mod"), (0.40 * scale, PRONOUNS, "verb"),
            (0.15 * scale, zipf("in by"), "front_year")]


ENGLISH = {
    "document": [
        (0.45, phrase("the most important event of the century was"), "answer_event"),
        (0.35, phrase("my favourite invention of all time is"), "answer_thing"),
        (0.20, phrase("when people ask about the past , they say"), "answer_claim"),
    ],
    # the answers: each continues its prompt's clause
    "answer_event": [(1.0, zipf("the a that"), "event_mod")],
    "event_mod": [(0.4, ADJECTIVES, "event_noun"), (0.6, EVENTS, "event_tail")],
    "event_noun": [(1.0, EVENTS, "event_tail")],
    "event_tail": [(0.5, zipf("in"), "year_tail"), (0.08, zipf("."), "sentence_end"), (0.22, zipf(","), "clause"),
                   (0.2, zipf("that"), "verb_only")],
    "answer_thing": [(1.0, zipf("the a"), "thing_mod")],
    "thing_mod": [(0.35, ADJECTIVES, "thing_noun"), (0.65, THINGS, "after_verb")],
    "thing_noun": [(1.0, THINGS, "after_verb")],
    "answer_claim": [(1.0, zipf("that"), "sentence_core")],
    # a sentence
    "sentence_start": _sentence_start(1.0),
    "sentence_end": [*_sentence_start(0.8), (0.2, {EOT: 1.0}, "document")],
    "front_year": [(1.0, YEARS, "front_comma")],
    "front_comma": [(1.0, zipf(","), "sentence_core")],
    "sentence_core": [(0.55, DETERMINERS, "subject_mod"), (0.45, PRONOUNS, "verb")],
    "subject_mod": [(0.35, ADJECTIVES, "subject_noun"), (0.65, NOUNS, "verb")],
    "subject_noun": [(1.0, NOUNS, "verb")],
    "verb": [(0.4, INTRANSITIVE, "after_verb"), (0.35, TRANSITIVE, "object"), (0.15, zipf("was"), "copula"),
             (0.1, ADVERBS, "verb_only")],
    "verb_only": [(0.55, INTRANSITIVE, "after_verb"), (0.45, TRANSITIVE, "object")],
    "copula": [(0.5, ADJECTIVES, "after_verb"), (0.35, zipf("a the"), "object_mod"), (0.15, zipf("very"), "adjective")],
    "adjective": [(1.0, ADJECTIVES, "after_verb")],
    "object": [(0.75, DETERMINERS, "object_mod"), (0.25, NUMBERS, "plural")],
    "object_mod": [(0.35, ADJECTIVES, "object_noun"), (0.65, NOUNS, "after_verb")],
    "object_noun": [(1.0, NOUNS, "after_verb")],
    "plural": [(1.0, PLURALS, "after_verb")],
    "after_verb": [(0.38, zipf("."), "sentence_end"), (0.14, zipf(","), "clause"), (0.16, zipf("in"), "year_tail"),
                   (0.08, zipf("and"), "verb_only"), (0.18, PREPOSITIONS, "pp"),
                   (0.06, zipf("because"), "sentence_core")],
    "year_tail": [(1.0, YEARS, "after_year")],
    "after_year": [(0.6, zipf("."), "sentence_end"), (0.3, zipf(","), "clause"), (0.1, zipf("and"), "verb_only")],
    "pp": [(0.8, DETERMINERS, "pp_mod"), (0.2, NUMBERS, "pp_plural")],
    "pp_mod": [(0.3, ADJECTIVES, "pp_noun"), (0.7, NOUNS, "after_pp")],
    "pp_noun": [(1.0, NOUNS, "after_pp")],
    "pp_plural": [(1.0, PLURALS, "after_pp")],
    "after_pp": [(0.6, zipf("."), "sentence_end"), (0.25, zipf(","), "clause"), (0.15, zipf("in"), "year_tail")],
    "clause": [(0.4, zipf("which"), "verb_only"), (0.6, zipf("and but so although while"), "sentence_core")],
}

# Two prompts, one short answer each way, no loops inside a document: small enough to enumerate.
TINY = {
    "document": [(0.6, phrase("the event was"), "answer"), (0.4, phrase("my answer is"), "answer")],
    "answer": [(0.7, zipf("war peace"), "tail"), (0.3, zipf("it"), "verb")],
    "verb": [(1.0, zipf("ended began"), "tail")],
    "tail": [(0.5, zipf("."), "end"), (0.3, zipf("in"), "year"), (0.2, zipf(","), "clause")],
    "clause": [(1.0, zipf("which"), "verb_last")],
    "verb_last": [(1.0, zipf("ended began"), "stop")],
    "year": [(1.0, zipf("1914 1945"), "stop")],
    "stop": [(1.0, zipf("."), "end")],
    "end": [(1.0, {EOT: 1.0}, "document")],
}

GRAMMARS = {"english": ENGLISH, "tiny": TINY}


@cache
def language(name: str = "english") -> Language:
    """The compiled language called ``name`` ("english", or "tiny" for tests)."""
    if name not in GRAMMARS:
        raise ValueError(f"grammar must be one of {', '.join(map(repr, GRAMMARS))}, got {name!r}")
    return build(GRAMMARS[name], "document")
