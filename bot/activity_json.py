"""Activities to JSON for the connector, without msrest's generic machinery on the hot path.

msrest's ``Serializer.body(activity, "Activity")`` first rebuilds the whole model through its deserializer, then
validates it, then walks every value (an Adaptive Card's JSON included) through its type dispatch: about a tenth of
a turn's CPU for a reply with a card. ``FastSerializer.body`` produces the same dict for the shapes botbuilder's
models and our replies use (models, lists and dicts of them, strings and str enums, numbers, booleans, ISO-8601
datetimes, plain JSON in ``object`` fields) and hands anything else, whole, to msrest: a dict where a model is
expected, a flattened key, an unexpected Python type. Equality with msrest is tested on every kind of reply the bot
sends (tests/unit/test_activity_json.py).
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from typing import Any

from msrest.serialization import Model, Serializer


class _Unsupported(Exception):
    """A shape the fast path does not reproduce exactly: msrest serializes the whole body instead."""


_BASIC = {"int": int, "float": float, "bool": bool}


def model_json(model: Model, classes: dict[str, type] | None = None) -> dict[str, Any]:
    """``model`` as msrest's ``Serializer(classes).body(model, name)`` gives it, or ``_Unsupported``."""
    return _fields(type(model), lambda attr: getattr(model, attr, None), classes or {})


def _fields(cls: type, get: Any, classes: dict[str, type]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    validation = cls._validation  # msrest's own per-class metadata
    for attr, desc in cls._attribute_map.items():
        if validation.get(attr, {}).get("readonly", False):
            continue
        key = desc["key"]
        if not key or "." in key:  # additional properties / flattened keys: msrest's own rules
            raise _Unsupported(attr)
        value = get(attr)
        if value is not None:
            out[key] = _value(value, desc["type"], classes)
    return out


def _dict_as(cls: type, value: dict[str, Any], classes: dict[str, type]) -> dict[str, Any]:
    """A plain dict given where a model belongs (our card attachments): msrest builds the model from the dict's
    REST keys first. Reproduced only when every key is exactly one of the model's REST keys."""
    keys = _rest_keys(cls)
    if not all(type(k) is str and k in keys for k in value):
        raise _Unsupported(cls.__name__)
    return _fields(cls, lambda attr: value.get(cls._attribute_map[attr]["key"]), classes)


@lru_cache(maxsize=256)
def _rest_keys(cls: type) -> frozenset[str]:
    return frozenset(d["key"] for d in cls._attribute_map.values())


def _value(value: Any, type_name: str, classes: dict[str, type]) -> Any:
    if type_name == "str":
        if isinstance(value, Enum):
            return value.value
        if type(value) is str:
            return value
        raise _Unsupported(type_name)
    basic = _BASIC.get(type_name)
    if basic is not None:
        if type(value) is basic:
            return value
        raise _Unsupported(type_name)
    if type_name == "object":
        return _object(value)
    if type_name == "iso-8601":
        return Serializer.serialize_iso(value)
    if type_name[:1] == "[" and type_name[-1:] == "]":
        if not isinstance(value, list):
            raise _Unsupported(type_name)
        inner = type_name[1:-1]
        return [None if v is None else _value(v, inner, classes) for v in value]
    if type_name[:1] == "{" and type_name[-1:] == "}":
        if type(value) is not dict or not all(type(k) is str for k in value):
            raise _Unsupported(type_name)
        inner = type_name[1:-1]
        return {k: None if v is None else _value(v, inner, classes) for k, v in value.items()}
    if isinstance(value, Model) and type_name in _model_names(type(value)):
        return model_json(value, classes)  # a subclass (our Teams entities) by its own attribute map, as msrest does
    if type(value) is dict and type_name in classes:
        return _dict_as(classes[type_name], value, classes)
    raise _Unsupported(type_name)  # an enum type, a dict given for a model...


@lru_cache(maxsize=256)
def _model_names(cls: type) -> frozenset[str]:
    return frozenset(c.__name__ for c in cls.__mro__ if issubclass(c, Model) and c is not Model)


def _object(value: Any) -> Any:
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool or kind is float:
        return value
    if kind is dict:
        if not all(type(k) is str for k in value):
            raise _Unsupported("object key")
        return {k: _object(v) for k, v in value.items()}
    if kind is list:
        return [_object(v) for v in value]
    raise _Unsupported(kind.__name__)  # a model inside plain JSON, a datetime, a tuple...


def serialize(model: Model) -> Any:
    """``model.serialize()`` (msrest's ``Model.serialize``, which does not build models from dicts), fast."""
    try:
        return model_json(model)
    except _Unsupported:
        return model.serialize()


class FastSerializer(Serializer):  # type: ignore[misc]
    """msrest's Serializer with the fast path for request bodies that are models (the activities we send)."""

    def body(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        if isinstance(data, Model) and type(data).__name__ == data_type and not kwargs:
            try:
                return model_json(data, self.dependencies)
            except _Unsupported:
                pass
        return super().body(data, data_type, **kwargs)
