"""Train only the new token rows: embedding and ``lm_head`` modules split at ``base_rows``.

Stage 1 of the paper trains "only the newly introduced multimodal embedding layers". Masking
the gradient of the old rows would still hand the whole matrix to AdamW (weight decay moves
rows whose gradient is zero, and the optimizer keeps two full-size moments); instead the rows
``>= base_rows`` move into a separate :class:`torch.nn.Parameter` and the original matrix stays
frozen, untouched by the optimizer, so the old rows stay bit-identical by construction.

The split modules keep the original matrix under the same attribute name (``weight``), so
parameter names, tied weights and peft's layer search see the model as before; LoRA's
``all-linear`` finds no ``nn.Linear`` inside them. :func:`merge_new_rows` writes the trained
rows back into the full matrices and restores the original modules.

The head computes the base logits and the new logits separately and concatenates them: the
backward pass then computes a weight gradient for the new rows only, not for the whole
vocabulary.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class NewRowsEmbedding(nn.Module):
    """``nn.Embedding`` whose rows ``>= base_rows`` come from the trainable ``new_rows``."""

    def __init__(self, original: nn.Embedding, base_rows: int, new_rows: nn.Parameter):
        super().__init__()
        self.weight = original.weight  # frozen; rows >= base_rows are stale until merged
        self.new_rows = new_rows
        self.base_rows = base_rows
        self.num_embeddings = original.weight.shape[0]
        self.embedding_dim = original.weight.shape[1]
        self.padding_idx = getattr(original, "padding_idx", None)
        self._original = [original]  # a list, so it is not registered as a submodule

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        base = self.weight[: self.base_rows]
        is_new = input_ids >= self.base_rows
        old = F.embedding(input_ids.clamp(max=self.base_rows - 1), base)
        new = F.embedding((input_ids - self.base_rows).clamp(min=0), self.new_rows)
        out = torch.where(is_new.unsqueeze(-1), new.to(old.dtype), old)
        scale = getattr(self._original[0], "embed_scale", None)  # Gemma-style scaled embeddings
        return out * scale if scale is not None else out


class NewRowsHead(nn.Module):
    """``lm_head``: base logits from the frozen matrix, new-token logits from ``new_rows``."""

    def __init__(self, original: nn.Linear, base_rows: int, new_rows: nn.Parameter):
        super().__init__()
        self.weight = original.weight
        self.bias = original.bias
        self.new_rows = new_rows
        self.base_rows = base_rows
        self.in_features = original.weight.shape[1]
        self.out_features = original.weight.shape[0]
        self._original = [original]

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        bias = self.bias
        old = F.linear(
            hidden, self.weight[: self.base_rows], None if bias is None else bias[: self.base_rows]
        )
        new = F.linear(hidden, self.new_rows, None if bias is None else bias[self.base_rows :])
        return torch.cat([old, new.to(old.dtype)], dim=-1)


def _parent(model: nn.Module, module: nn.Module) -> tuple[nn.Module, str]:
    for name, candidate in model.named_modules():
        if candidate is module:
            parent_name, _, attribute = name.rpartition(".")
            return model.get_submodule(parent_name), attribute
    raise ValueError("module not found in the model")


def split_new_rows(model: Any, base_rows: int, trainable: bool = True) -> list[nn.Parameter]:
    """Swap in the split modules; return the new-row parameters (one per distinct matrix)."""
    embedding = model.get_input_embeddings()
    head = model.get_output_embeddings()
    if isinstance(embedding, NewRowsEmbedding):
        raise ValueError("the model's new rows are already split")
    rows = embedding.weight.shape[0]
    if rows <= base_rows:
        raise ValueError(f"the model has {rows} token rows, none past base_rows={base_rows}")
    tied = head is not None and head.weight is embedding.weight
    embed_rows = nn.Parameter(
        embedding.weight.detach()[base_rows:].clone(), requires_grad=trainable
    )
    embedding.weight.requires_grad_(False)
    parameters = [embed_rows]
    model.set_input_embeddings(NewRowsEmbedding(embedding, base_rows, embed_rows))
    if head is not None:
        if tied:
            head_rows = embed_rows
        else:
            head_rows = nn.Parameter(
                head.weight.detach()[base_rows:].clone(), requires_grad=trainable
            )
            parameters.append(head_rows)
        head.weight.requires_grad_(False)
        if head.bias is not None:
            head.bias.requires_grad_(False)
        parent, attribute = _parent(model, head)
        setattr(parent, attribute, NewRowsHead(head, base_rows, head_rows))
    return parameters


def merge_new_rows(model: Any) -> None:
    """Write the trained rows into the full matrices and put the original modules back."""
    embedding = model.get_input_embeddings()
    if not isinstance(embedding, NewRowsEmbedding):
        return
    head = model.get_output_embeddings()
    with torch.no_grad():
        embedding.weight[embedding.base_rows :] = embedding.new_rows.to(embedding.weight.dtype)
        if isinstance(head, NewRowsHead):
            head.weight[head.base_rows :] = head.new_rows.to(head.weight.dtype)
    model.set_input_embeddings(embedding._original[0])
    if isinstance(head, NewRowsHead):
        parent, attribute = _parent(model, head)
        setattr(parent, attribute, head._original[0])


def current_new_rows(model: Any, base_rows: int) -> dict[str, torch.Tensor]:
    """The new rows as an artefact stores them: ``embed`` and, when untied, ``lm_head``."""
    embedding = model.get_input_embeddings()
    head = model.get_output_embeddings()
    if isinstance(embedding, NewRowsEmbedding):
        rows = {"embed": embedding.new_rows}
        if isinstance(head, NewRowsHead) and head.new_rows is not embedding.new_rows:
            rows["lm_head"] = head.new_rows
    else:
        rows = {"embed": embedding.weight[base_rows:]}
        if head is not None and head.weight is not embedding.weight:
            rows["lm_head"] = head.weight[base_rows:]
    return {
        name: tensor.detach().float().cpu().contiguous().clone() for name, tensor in rows.items()
    }


def load_new_rows(model: Any, base_rows: int, rows: dict[str, torch.Tensor]) -> None:
    """Put stored new rows into a model resized to ``base_rows + len(rows['embed'])`` rows."""
    embedding = model.get_input_embeddings()
    head = model.get_output_embeddings()
    tied = head is not None and head.weight is embedding.weight
    expected = {"embed"} if tied or head is None else {"embed", "lm_head"}
    if set(rows) != expected:
        raise ValueError(f"new rows hold {sorted(rows)}, this model needs {sorted(expected)}")
    with torch.no_grad():
        embedding.weight[base_rows:] = rows["embed"].to(embedding.weight.dtype)
        if "lm_head" in rows:
            head.weight[base_rows:] = rows["lm_head"].to(head.weight.dtype)
