"""Activities to JSON for the connector, without msrest's generic machinery on the hot path.

msrest's ``Serializer.body(activity, "Activity")`` first rebuilds the whole model through its deserializer, then
validates it, then walks every value (an Adaptive Card's JSON included) through its type dispatch: about a tenth of
a turn's CPU for a reply with a card. ``FastSerializer.body`` produces the same dict for the shapes botbuilder's
models and our replies use (models, lists and dicts of them, strings and str enums, numbers, booleans, ISO-8601
datetimes, plain JSON in ``object`` fields) and hands anything else, whole, to msrest: a dict where a model is
expected, a flattened key, an unexpected Python type. Equality with msrest is tested on every kind of reply the bot
sends (tests/unit/test_activity_json.py).

The other direction, ``parse_activity(body)``, is ``Activity().deserialize(body)`` for JSON bodies (what
/api/messages receives) without msrest's per-call model discovery, per-attribute key extractors and copies: about
a seventh of a turn's CPU. The same models, with the same values (unknown keys in ``additional_properties``, ISO-8601
timestamps parsed by msrest's own function); any shape it does not reproduce exactly (a number where a string
belongs, polymorphic or read-only models, flattened keys) is parsed, or refused, by msrest itself. Equality is
tested on Teams and Agents Playground activities and on hypothesis-generated bodies.
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from typing import Any

from botbuilder.schema import Activity
from msrest.serialization import Deserializer, Model, Serializer


class _Unsupported(Exception):
    """A shape the fast path does not reproduce exactly: msrest serializes the whole body instead."""


_BASIC = {"int": int, "float": float, "bool": bool}


def model_json(model: Model, classes: dict[str, type] | None = None) -> dict[str, Any]:
    """``model`` as msrest's ``Serializer(classes).body(model, name)`` gives it, or ``_Unsupported``."""
    return _fields(type(model), lambda attr: getattr(model, attr, None), classes or {})


def _fields(cls: type[Model], get: Any, classes: dict[str, type]) -> dict[str, Any]:
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
    model_cls: type[Model] = cls
    return _fields(model_cls, lambda attr: value.get(model_cls._attribute_map[attr]["key"]), classes)


@lru_cache(maxsize=256)
def _rest_keys(cls: type) -> frozenset[str]:
    # lru_cache keys on a plain ``type``: mypy sees type[Model] as unhashable (Model defines __eq__, not __hash__)
    model_cls: type[Model] = cls
    return frozenset(d["key"] for d in model_cls._attribute_map.values())


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
    value_type: type = type(value)  # a plain type for the lru_cache (see _rest_keys)
    if isinstance(value, Model) and type_name in _model_names(value_type):
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


# --- JSON to models ---------------------------------------------------------------------------------------------------
def parse_activity(body: Any) -> Activity:
    """``Activity().deserialize(body)``, fast for JSON objects; raises what msrest raises for what it refuses."""
    if type(body) is dict:
        try:
            return parse_model(Activity, body, _activity_classes())
        except Exception:  # noqa: S110 - _Unsupported, or a value msrest must judge itself: it parses (or refuses) it
            pass
    return Activity().deserialize(body)


@lru_cache(maxsize=1)
def _activity_classes() -> dict[str, type]:
    return Activity._infer_class_models()  # type: ignore[no-any-return]  # what Model.deserialize looks types up in


def parse_model(cls: type, data: Any, classes: dict[str, type]) -> Any:
    """``cls`` built from decoded JSON as msrest's ``Deserializer(classes)`` builds it, or an exception (then let
    msrest decide)."""
    if type(data) is not dict:
        raise _Unsupported(cls.__name__)
    fields, known = _plain_fields(cls)
    attrs = {}
    for attr, key, type_name in fields:
        raw = data.get(key)
        attrs[attr] = None if raw is None else _from_json(raw, type_name, classes)
    model = cls(**attrs)
    extra = {k: data[k] for k in data.keys() - known}  # msrest keeps unknown keys, values as they came
    if extra:
        model.additional_properties = extra
    return model


@lru_cache(maxsize=256)
def _plain_fields(cls: type[Model]) -> tuple[tuple[tuple[str, str, str], ...], frozenset[str]]:
    """(attribute, REST key, type) per field, and the REST keys; ``_Unsupported`` for models msrest builds in ways
    this does not reproduce: subtypes, read-only or constant fields, additional-properties or flattened keys."""
    if cls.__dict__.get("_subtype_map") or any(v.get("readonly") or v.get("constant")
                                               for v in getattr(cls, "_validation", {}).values()):
        raise _Unsupported(cls.__name__)
    fields = []
    for attr, desc in cls._attribute_map.items():
        key = desc["key"]
        if not key or "." in key or "\\" in key:
            raise _Unsupported(attr)
        fields.append((attr, key, desc["type"]))
    return tuple(fields), frozenset(key for _, key, _ in fields)


def _from_json(value: Any, type_name: str, classes: dict[str, type]) -> Any:
    kind = type(value)
    if type_name == "str":
        if kind is str:
            return value
        raise _Unsupported(type_name)  # msrest would str() it
    basic = _BASIC.get(type_name)
    if basic is not None:
        if kind is basic:
            return value
        raise _Unsupported(type_name)  # msrest converts ("true", 1, 1.0...)
    if type_name == "object":
        return _json_copy(value)
    if type_name == "iso-8601":
        return Deserializer.deserialize_iso(value)
    if type_name[:1] == "[" and type_name[-1:] == "]":
        if kind is not list:
            raise _Unsupported(type_name)
        inner = type_name[1:-1]
        return [None if v is None else _from_json(v, inner, classes) for v in value]
    if type_name[:1] == "{" and type_name[-1:] == "}":
        if kind is not dict:
            raise _Unsupported(type_name)
        inner = type_name[1:-1]
        return {k: None if v is None else _from_json(v, inner, classes) for k, v in value.items()}
    target = classes.get(type_name)
    if isinstance(target, type) and issubclass(target, Model):
        return parse_model(target, value, classes)
    raise _Unsupported(type_name)  # an enum type, an unknown type name


def _json_copy(value: Any) -> Any:
    """msrest's ``deserialize_object`` on decoded JSON: the same values in new containers."""
    kind = type(value)
    if kind is dict:
        return {k: _json_copy(v) for k, v in value.items()}
    if kind is list:
        return [_json_copy(v) for v in value]
    if value is None or kind is str or kind is int or kind is bool or kind is float:
        return value
    raise _Unsupported(kind.__name__)
