"""Writing completions with a model, and reading its log-probabilities back.

Completions have a fixed length: a group of samples for one prompt all have the same
number of words, which keeps the leave-one-out baseline fair and the KL comparable.
"""

from __future__ import annotations

import torch

from specgame.lm.language import Language
from specgame.lm.model import Memory, TransformerLM


def with_bos(lang: Language, prompt) -> list[int]:
    """The model's input for a prompt: ``<eot>`` (the beginning of text) then the prompt's words."""
    return [lang.eot, *[int(t) for t in prompt]]


@torch.no_grad()
def generate(model: TransformerLM, lang: Language, prompt, n: int, length: int,
             generator: torch.Generator) -> torch.Tensor:
    """``n`` completions of ``length`` words after ``prompt``, sampled at temperature 1 ([n, length]).

    The prompt is read once (one row, shared by all ``n``); then each word is fed alone
    against the memory of the text before it.
    """
    device = next(model.parameters()).device
    memory = Memory(model.config.n_layers)
    logits = model(torch.tensor([with_bos(lang, prompt)], device=device), memory=memory)[:, -1].expand(n, -1)
    words = []
    for position in range(length):
        word = torch.multinomial(torch.softmax(logits.double().cpu(), -1), 1, generator=generator).to(device)
        words.append(word)
        if position + 1 < length:
            logits = model(word, memory=memory)[:, -1]
    return torch.cat(words, dim=1) if words else torch.zeros((n, 0), dtype=torch.long, device=device)


def completion_log_probs(model: TransformerLM, lang: Language, prompt, completions: torch.Tensor) -> torch.Tensor:
    """The model's log-softmax at each completion position ([n, length, V]), with gradients if enabled."""
    start = torch.tensor(with_bos(lang, prompt), device=completions.device)
    text = torch.cat([start.repeat(len(completions), 1), completions], dim=1)
    logits = model(text[:, :-1])[:, len(start) - 1:]
    return torch.log_softmax(logits, -1)
