"""Pretraining the reference model on the language, and caching it like the compiled tables.

The reference is trained at first use and kept under the user cache directory
(``SPECGAME_CACHE_DIR``, else ``~/.cache/specgame``), keyed by the grammar, the trainer
and its settings. The file holds the weights and a JSON header only; it is read with
``torch.load(weights_only=True)``, and a file that does not load, or whose header does not
match, is retrained rather than trusted.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch.nn import functional as F

from specgame._files import user_cache_dir
from specgame._settings import like, setting, validate
from specgame.lm.grammar import GRAMMARS, language
from specgame.lm.language import Language
from specgame.lm.model import (
    MODEL_VERSION,
    ModelConfig,
    TransformerLM,
    load_model,
    resolve_device,
    save_model,
    seeded,
    threads,
)

FORMAT = "specgame.lm.reference"
TRAINER_VERSION = 1


@dataclass(frozen=True)
class PretrainConfig:
    """What the reference model is, and how it is pretrained."""

    grammar: str = setting("english", "The language (tiny for tests)", choices=tuple(GRAMMARS))
    seed: int = setting(0, "Seeds the initial weights and the training text", kind="seed")
    steps: int = setting(600, "Optimiser updates", low=1)
    batch: int = setting(32, "Sequences per update (fresh text every update: the language is an endless corpus)",
                         low=1)
    lr: float = setting(3e-3, "Adam's peak learning rate (linear warm-up for a tenth of the steps, then cosine decay)",
                        low=0.0, high=1.0, low_open=True)
    context: int = like(ModelConfig, "context", help="Sequence length in tokens, ``<eot>`` first")
    d_model: int = like(ModelConfig, "d_model")
    n_layers: int = like(ModelConfig, "n_layers")
    n_heads: int = like(ModelConfig, "n_heads")

    def __post_init__(self):
        validate(self)

    def model_config(self) -> ModelConfig:
        return ModelConfig(language(self.grammar).n_words, self.context, self.d_model, self.n_layers, self.n_heads)

    def key(self) -> str:
        """What the cached file answers to: the settings, the grammar's digest, the code versions."""
        record = {**asdict(self), "grammar_digest": language(self.grammar).digest, "model": MODEL_VERSION,
                  "trainer": TRAINER_VERSION}
        return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:20]


def pretrain(config: PretrainConfig = PretrainConfig(), device: str = "cpu",
             on_progress=None) -> tuple[TransformerLM, dict]:
    """Train a fresh reference on the language; returns the model and its record (losses, time).

    ``on_progress(step, loss)``, if given, is called twenty times along the way (for progress output).
    """
    lang = language(config.grammar)
    dev = resolve_device(device)
    rng = np.random.default_rng(config.seed)
    started = time.perf_counter()
    with threads(), seeded(config.seed):
        model = TransformerLM(config.model_config()).to(dev)
        optimiser = torch.optim.Adam(model.parameters(), lr=config.lr, betas=(0.9, 0.98))
        warmup = max(1, config.steps // 10)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: _learning_rate(step, warmup, config.steps))
        losses = []
        every = max(1, config.steps // 20)
        for step in range(1, config.steps + 1):
            text = torch.as_tensor(lang.corpus(config.batch, config.context, int(rng.integers(2**62))), device=dev)
            loss = next_token_loss(model, text)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(loss.item())
            if on_progress is not None and step % every == 0:
                on_progress(step, float(np.mean(losses[-every:])))
        seconds = time.perf_counter() - started
        record = {"train_seconds": seconds, "first_loss": losses[0], "last_loss": float(np.mean(losses[-50:]))}
        record.update(evaluate(model.eval(), lang, seed=config.seed + 1))
    return model, record


def _learning_rate(step: int, warmup: int, steps: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))


def next_token_loss(model: TransformerLM, text: torch.Tensor) -> torch.Tensor:
    logits = model(text[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), text[:, 1:].reshape(-1))


@torch.inference_mode()
def evaluate(model: TransformerLM, lang: Language, n: int = 2000, seed: int = 1) -> dict:
    """The model's held-out loss beside the language's exact conditional entropy on the same text.

    Overall (every token after ``<eot>``) and right after the prompt (the answer's first
    word), where a small average gap can hide a larger one that RL exploits.
    """
    context = model.config.context
    text = lang.corpus(n, context, seed)
    device = next(model.parameters()).device
    logits = model(torch.as_tensor(text[:, :-1], device=device))
    model_nll = -torch.log_softmax(logits, -1).gather(-1, torch.as_tensor(text[:, 1:, None], device=device))
    model_nll = model_nll.squeeze(-1).double().cpu().numpy()
    exact_nll = -lang.conditional_log_probs(text)[:, 1:]
    answer = _first_answer_positions(lang, text) - 1  # column in the shifted arrays
    rows = np.arange(n)
    return {"heldout_loss": float(model_nll.mean()), "heldout_entropy": float(exact_nll.mean()),
            "gap": float(model_nll.mean() - exact_nll.mean()), "entropy_rate": lang.entropy_rate(),
            "after_prompt_loss": float(model_nll[rows, answer].mean()),
            "after_prompt_entropy": float(exact_nll[rows, answer].mean()),
            "after_prompt_gap": float(model_nll[rows, answer].mean() - exact_nll[rows, answer].mean())}


def _first_answer_positions(lang: Language, text: np.ndarray) -> np.ndarray:
    """The position of each sequence's first answer word (just after its prompt)."""
    length = {tokens[0]: len(tokens) for _, tokens, _ in lang.prompts()}
    return np.array([1 + length[int(row[1])] for row in text])


# -- the cache ------------------------------------------------------------------------------


def cache_path(config: PretrainConfig):
    root = user_cache_dir()
    return None if root is None else root / "lm" / f"reference-{config.grammar}-{config.key()}.pt"


def save(model: TransformerLM, record: dict, config: PretrainConfig, path) -> None:
    """The reference's weights and a JSON header (its settings, key and record), written atomically."""
    save_model(model, {"format": FORMAT, "key": config.key(), "pretrain": asdict(config), "record": record}, path)


def load(path, config: PretrainConfig, device: str = "cpu") -> tuple[TransformerLM, dict]:
    """Read a saved reference; ValueError if it is damaged or not the one ``config`` asks for."""
    model, header = load_model(path, device)
    if header.get("format") != FORMAT or header.get("key") != config.key():
        raise ValueError(f"{path} holds a different model (format {header.get('format')!r})")
    return model, header["record"]


def reference(config: PretrainConfig = PretrainConfig(), device: str = "cpu", *,
              retrain: bool = False, on_progress=None) -> tuple[TransformerLM, dict]:
    """The pretrained reference: from the cache when it is there and sound, else trained and cached.

    The record says where it came from (``"cached": True`` or the training time);
    ``on_progress`` is passed to :func:`pretrain` when it trains.
    """
    path = cache_path(config)
    if path is not None and path.exists() and not retrain:
        try:
            model, record = load(path, config, device)
            return model, {**record, "cached": True}
        except ValueError:
            pass  # damaged or foreign: retrain below
    model, record = pretrain(config, device, on_progress)
    if path is not None:
        try:
            save(model, record, config, path)
        except OSError:
            pass  # a read-only cache directory only costs time
    return model, {**record, "cached": False}
