"""Looking inside the gamer: interpretability of torch networks, scored against an answer key.

Every reachable state of a table is enumerated and its true features and exact values are
known, so each method here is measured against the truth on the complete input set:
activations (:mod:`.activations`), the answer key (:mod:`.answer_key`), linear probes with
controls (:mod:`.probes`), steering evaluated exactly (:mod:`.steering`; the cheese vector
on MazeCheese, :mod:`.cheese`), sparse dictionaries (:mod:`.sae`), dataset examples and
feature visualisation (:mod:`.visualise`), networks taught an exact policy
(:mod:`.imitate`), figures (:mod:`.figures`), and all of it at once, written to a folder
(:mod:`.report`, behind ``specgame interpret``).
"""
