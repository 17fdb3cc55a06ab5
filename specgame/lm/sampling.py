"""Writing completions with a model, and reading its log-probabilities back.

Completions have a fixed length: a group of samples for one prompt all have the same
number of words, which keeps the leave-one-out baseline fair and the KL comparable.
Several prompts share one batch: each is left-padded to the longest (the model reads
past the filler, see ``TransformerLM.residuals``), so a batch costs one pass per word
whatever the mix of prompts.
"""

from __future__ import annotations

import torch

from specgame.lm.language import Language
from specgame.lm.model import Memory, TransformerLM


def with_bos(lang: Language, prompt) -> list[int]:
    """The model's input for a prompt: ``<eot>`` (the beginning of text) then the prompt's words."""
    return [lang.eot, *[int(t) for t in prompt]]


def _padded(lang: Language, prompts, device) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The prompts (with ``<eot>`` first) left-padded to one length, and each one's padding (None: none)."""
    texts = [with_bos(lang, p) for p in prompts]
    longest = max(len(t) for t in texts)
    pad = torch.tensor([longest - len(t) for t in texts], device=device)
    batch = torch.tensor([[lang.eot] * (longest - len(t)) + t for t in texts], device=device)
    return batch, (pad if pad.any() else None)


def _rows(counts, device) -> torch.Tensor:
    """Which prompt each row belongs to: prompt i repeated counts[i] times."""
    return torch.repeat_interleave(torch.arange(len(counts), device=device), torch.as_tensor(counts, device=device))


@torch.no_grad()
def generate_many(model: TransformerLM, lang: Language, prompts, counts, length: int,
                  generator: torch.Generator) -> torch.Tensor:
    """``counts[i]`` completions of ``prompts[i]`` for each i, in that order, of ``length`` words ([rows, length]).

    Sampled at temperature 1. Each prompt is read once; its completions share what the
    model computed for it, and then each word is fed alone against that memory.
    """
    device = next(model.parameters()).device
    rows = _rows(counts, device)
    text, pad = _padded(lang, prompts, device)
    memory = Memory(model.config.n_layers)
    logits = model(text, memory=memory, pad=pad)[:, -1][rows]
    memory.rows(rows)
    words = []
    for position in range(length):
        word = torch.multinomial(torch.softmax(logits.double().cpu(), -1), 1, generator=generator).to(device)
        words.append(word)
        if position + 1 < length:
            logits = model(word, memory=memory)[:, -1]
    return torch.cat(words, dim=1) if words else torch.zeros((len(rows), 0), dtype=torch.long, device=device)


def generate(model: TransformerLM, lang: Language, prompt, n: int, length: int,
             generator: torch.Generator) -> torch.Tensor:
    """``n`` completions of ``length`` words after ``prompt``, sampled at temperature 1 ([n, length])."""
    return generate_many(model, lang, [prompt], [n], length, generator)


def many_log_probs(model: TransformerLM, lang: Language, prompts, counts, completions: torch.Tensor,
                   edit=None) -> torch.Tensor:
    """The model's log-softmax at each completion position ([rows, length, V]), with gradients if enabled.

    Row r of ``completions`` follows prompt i when it is among the ``counts[i]`` rows of
    prompt i (in order), as :func:`generate_many` writes them.
    """
    text, pad = _padded(lang, prompts, completions.device)
    rows = _rows(counts, completions.device)
    text = torch.cat([text[rows], completions], dim=1)
    logits = model(text[:, :-1], edit, pad=None if pad is None else pad[rows])[:, -completions.shape[1]:]
    return torch.log_softmax(logits, -1)


def completion_log_probs(model: TransformerLM, lang: Language, prompt, completions: torch.Tensor,
                         edit=None) -> torch.Tensor:
    """The model's log-softmax at each completion position ([n, length, V]), with gradients if enabled."""
    return many_log_probs(model, lang, [prompt], [len(completions)], completions, edit)
