"""A small causal transformer: pre-LayerNorm blocks, learned positions, tied embeddings.

Small enough to pretrain on two CPU cores in seconds, big enough to learn the language's
states from the context. Every intermediate that the probes read has a name: the residual
stream after the embedding and after each block passes through an identity module,
``hook_resid.0`` … ``hook_resid.{n_layers}``, a hook point that the toolkit's
:func:`~specgame.nn.hooks.capture` reads and :func:`~specgame.nn.hooks.steering` changes
(an identity holds no weight: files saved before it existed load as they are). Sampling
reads one new word at a time against a :class:`Memory` of the keys and values already
computed, so writing a completion costs one pass over its words, not one pass over the
whole text per word.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from specgame._checks import check_choice, fail
from specgame._files import atomic_write
from specgame._settings import setting, validate
from specgame.nn import seeded, threads  # noqa: F401  (the lm modules take them from here too)

MODEL_VERSION = 1


@dataclass(frozen=True)
class ModelConfig:
    """The shape of the network."""

    n_words: int = setting(MISSING, "Vocabulary size (the language's words, ``<eot>`` included)", low=2, kind="int")
    context: int = setting(32, "The longest token sequence the model reads (learned positions)", low=2)
    d_model: int = setting(64, "Width of the residual stream", low=4)
    n_layers: int = setting(2, "Transformer blocks", low=1)
    n_heads: int = setting(4, "Attention heads per block (must divide d_model)", low=1)

    def __post_init__(self):
        validate(self)
        if self.d_model % self.n_heads:
            raise ValueError(f"n_heads must divide d_model={self.d_model}, got {self.n_heads}")

    def to_dict(self) -> dict:
        return asdict(self)


class Block(nn.Module):
    """x + attention(LayerNorm(x)), then x + MLP(LayerNorm(x)): the pre-LayerNorm layout."""

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.norm1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))

    def forward(self, x: torch.Tensor, past: list | None = None) -> torch.Tensor:
        """``past``, if given, is this block's ``[keys, values]`` of the tokens before ``x`` (updated in place)."""
        batch, length, width = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(width, dim=-1)
        q, k, v = (t.view(batch, length, self.n_heads, width // self.n_heads).transpose(1, 2) for t in (q, k, v))
        if past is not None:
            if past[0] is not None:  # a memory of one row serves every row (a shared prompt)
                k, v = (torch.cat([old.expand(batch, -1, -1, -1), new], 2) for old, new in zip(past, (k, v)))
            past[:] = [k, v]
        # new tokens after a memory come one at a time and may read every key; a fresh text reads causally
        attended = F.scaled_dot_product_attention(q, k, v, is_causal=length > 1)
        x = x + self.out(attended.transpose(1, 2).reshape(batch, length, width))
        return x + self.mlp(self.norm2(x))


class Memory:
    """The keys and values a model has computed for the text so far: one ``[keys, values]`` per block.

    Pass the same memory to successive calls of the model to feed a text in pieces: first
    the prompt (any length), then one word at a time.
    """

    def __init__(self, n_layers: int):
        self.layers = [[None, None] for _ in range(n_layers)]
        self.length = 0


def resid(layer: int) -> str:
    """The hook point of the residual stream after ``layer`` (0: the embedding, ``i``: block ``i``)."""
    return f"hook_resid.{layer}"


class TransformerLM(nn.Module):
    """Next-token logits for token sequences of up to ``config.context`` tokens."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.n_words, config.d_model)
        self.position = nn.Embedding(config.context, config.d_model)
        self.blocks = nn.ModuleList(Block(config.d_model, config.n_heads) for _ in range(config.n_layers))
        self.norm = nn.LayerNorm(config.d_model)
        # hook points: the residual stream after the embedding (0) and after each block
        self.hook_resid = nn.ModuleList(nn.Identity() for _ in range(config.n_layers + 1))
        nn.init.normal_(self.embed.weight, std=0.02)
        nn.init.normal_(self.position.weight, std=0.02)

    def forward(self, tokens: torch.Tensor, memory: Memory | None = None) -> torch.Tensor:
        """Next-token logits [batch, length, n_words]; ``memory``, if given, holds the text before
        ``tokens`` and takes in ``tokens``."""
        before = 0 if memory is None else memory.length
        length = tokens.shape[1]
        if before + length > self.config.context:
            fail("tokens", f"at most context={self.config.context} long", before + length)
        if before and length != 1:
            fail("the tokens after a memory", "one at a time", length)
        positions = torch.arange(before, before + length, device=tokens.device)
        x = self.hook_resid[0](self.embed(tokens) + self.position(positions))
        for i, block in enumerate(self.blocks):
            x = self.hook_resid[i + 1](block(x, None if memory is None else memory.layers[i]))
        if memory is not None:
            memory.length += length
        return self.norm(x) @ self.embed.weight.T  # tied: the output reads the input embeddings


def resolve_device(device: str) -> torch.device:
    """``"cpu"`` (the default everywhere), ``"cuda"``, or ``"auto"``: a GPU when one is present."""
    check_choice("device", device, ("cpu", "cuda", "auto"))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    elif device == "cuda" and not torch.cuda.is_available():
        fail("device", "'cpu' or 'auto' on a machine without a GPU", device)
    return torch.device(device)


def save_model(model: TransformerLM, header: dict, path) -> None:
    """Weights and a JSON header (with the model's shape) in one torch file, written atomically."""
    header = {**header, "model": model.config.to_dict(), "model_version": MODEL_VERSION}
    state = {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()}

    atomic_write(path, lambda f: torch.save({"header": json.dumps(header), "weights": state}, f))


def load_model(path, device: str = "cpu") -> tuple[TransformerLM, dict]:
    """A model saved by :func:`save_model`, read with ``weights_only=True`` (nothing unpickled).

    Raises ``ValueError`` naming the file for anything damaged, foreign or of another version.
    """
    try:
        stored = torch.load(path, map_location="cpu", weights_only=True)
        header = json.loads(stored["header"])
        if header.get("model_version") != MODEL_VERSION:
            raise ValueError(f"model version {header.get('model_version')!r}, this specgame reads {MODEL_VERSION}")
        model = TransformerLM(ModelConfig(**header["model"]))
        model.load_state_dict(stored["weights"], strict=True)
    except FileNotFoundError:
        raise
    except Exception as err:  # a damaged file fails in many ways; each one means "do not trust it"
        raise ValueError(f"{path} is not a readable specgame language model: {type(err).__name__}: {err}") from None
    return model.to(resolve_device(device)).eval(), header
