"""Writing completions with a model, and reading its log-probabilities back.

Completions have a fixed length: a group of samples for one prompt all have the same
number of words, which keeps the leave-one-out baseline fair and the KL comparable.
"""

from __future__ import annotations

import torch

from specgame.lm.language import Language
from specgame.lm.model import TransformerLM


def with_bos(lang: Language, prompt) -> list[int]:
    """The model's input for a prompt: ``<eot>`` (the beginning of text) then the prompt's words."""
    return [lang.eot, *[int(t) for t in prompt]]


@torch.no_grad()
def generate(model: TransformerLM, lang: Language, prompt, n: int, length: int,
             generator: torch.Generator) -> torch.Tensor:
    """``n`` completions of ``length`` words after ``prompt``, sampled at temperature 1 ([n, length])."""
    device = next(model.parameters()).device
    start = torch.tensor(with_bos(lang, prompt), device=device)
    text = start.repeat(n, 1)
    for _ in range(length):
        logits = model(text)[:, -1].double().cpu()
        word = torch.multinomial(torch.softmax(logits, -1), 1, generator=generator)
        text = torch.cat([text, word.to(device)], dim=1)
    return text[:, len(start):]


def completion_log_probs(model: TransformerLM, lang: Language, prompt, completions: torch.Tensor,
                         edit=None) -> torch.Tensor:
    """The model's log-softmax at each completion position ([n, length, V]), with gradients if enabled."""
    start = torch.tensor(with_bos(lang, prompt), device=completions.device)
    text = torch.cat([start.repeat(len(completions), 1), completions], dim=1)
    logits = model(text[:, :-1], edit)[:, len(start) - 1:]
    return torch.log_softmax(logits, -1)
