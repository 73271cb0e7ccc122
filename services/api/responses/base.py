"""What every answer model shares: a relaxed config, and request models made answer models.

Answers are documented, not validated on the way out (the routes send pre-serialized
`Response`s), and a client built from this document must not break when a newer release adds
a field: so no answer model forbids extra fields. A request model (`services.api.schemas`)
forbids them; `relaxed` derives from it a model with the same fields that does not, nested
models included, so a field is defined once, in the request model.
"""

from __future__ import annotations

import copy
import functools
import operator
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, create_model
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

ANSWER_CONFIG = ConfigDict(extra="ignore")


class Public(BaseModel):
    """Base of the answer models: extra fields (of newer releases) are allowed."""

    model_config = ANSWER_CONFIG


def public_name(model: type[BaseModel], suffix: str = "Public") -> str:
    # `Warning_` (a request model named around the builtin) is `WarningPublic` to clients.
    return f"{model.__name__.rstrip('_')}{suffix}"


def derive(name: str, bases: tuple[type[BaseModel], ...], **fields: Any) -> type[BaseModel]:
    """A model `name` over `bases` with `fields` added or overridden (pydantic field
    definitions); the last base's config wins, so put `Public` (or a subclass) last."""
    model: type[BaseModel] = create_model(name, __base__=bases, __module__=__name__, **fields)
    return model


def relaxed_fields(model: type[BaseModel]) -> dict[str, Any]:
    """Field definitions that give `model`'s fields holding models their relaxed models."""
    overrides = {}
    for name, field in model.model_fields.items():
        annotation = _relaxed_annotation(field.annotation)
        if annotation is not field.annotation:
            overrides[name] = (annotation, copy.copy(field))
    return overrides


@functools.cache
def relaxed(model: type[BaseModel]) -> type[BaseModel]:
    """`model` with its fields (nested models relaxed too) and no ban on extra fields."""
    overrides = relaxed_fields(model)
    if model.model_config.get("extra") != "forbid" and not overrides:
        return model
    return derive(public_name(model), (model, Public), **overrides)


def _relaxed_annotation(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return relaxed(annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if not args:
        return annotation
    new = tuple(_relaxed_annotation(arg) for arg in args)
    if all(a is b for a, b in zip(new, args, strict=True)):
        return annotation
    if origin is Annotated:
        return Annotated[new]
    if origin in (Union, types.UnionType):
        return union_of(new)
    if origin in (list, dict, tuple):
        return origin[new]
    return annotation


def union_of(members: tuple[Any, ...] | list[Any]) -> Any:
    """`A | B | ...` of types known only at run time."""
    return functools.reduce(operator.or_, members)


def field_of(model: type[BaseModel], name: str, *, required: bool = False) -> tuple[Any, Any]:
    """A pydantic field definition taken from `model` (its type, constraints, description),
    for an answer that repeats one of a request's fields; `required` when the answer always
    carries it though the request may leave it out."""
    field: FieldInfo = copy.copy(model.model_fields[name])
    if required:
        field.default = PydanticUndefined
        field.default_factory = None
    return _relaxed_annotation(field.annotation), field
