"""CloudFormation intrinsic functions, conditions and resource dependencies, evaluated as CloudFormation does."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from localcloud.harness.template import TemplateError

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class _NoValue:
    """``AWS::NoValue``: the property (or list item) that holds it disappears."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


class Resolver:
    """Evaluates intrinsic functions against parameters, pseudo parameters, mappings and created resources."""

    def __init__(
        self,
        *,
        parameters: Mapping[str, Any],
        pseudo: Mapping[str, Any],
        mappings: Mapping[str, Any],
        conditions: Mapping[str, Any],
        ref: Callable[[str], Any],
        get_att: Callable[[str, str], Any],
    ) -> None:
        self._names: dict[str, Any] = {**pseudo, **parameters, "AWS::NoValue": NO_VALUE}
        self._mappings = mappings
        self._condition_definitions = conditions
        self._conditions: dict[str, bool] = {}
        self._ref = ref
        self._get_att = get_att

    # -- conditions ----------------------------------------------------------------------------------

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            if name not in self._condition_definitions:
                raise TemplateError(f"condition {name!r} is not defined")
            value = self.resolve(self._condition_definitions[name])
            if not isinstance(value, bool):
                raise TemplateError(f"condition {name!r} evaluates to {value!r}, not a boolean")
            self._conditions[name] = value
        return self._conditions[name]

    # -- evaluation ----------------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, argument),) = value.items()
                if key == "Ref":
                    return self._resolve_ref(argument)
                if key == "Condition" and isinstance(argument, str):
                    return self.condition(argument)
                if key.startswith("Fn::"):
                    return self._function(key[4:], argument)
            resolved = {k: self.resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not NO_VALUE]
        return value

    def _resolve_ref(self, name: Any) -> Any:
        name = self.resolve(name)
        if name in self._names:
            return self._names[name]
        return self._ref(str(name))

    def _function(self, name: str, argument: Any) -> Any:
        if name == "If":
            condition, when_true, when_false = argument
            return self.resolve(when_true if self.condition(condition) else when_false)
        if name == "GetAtt":
            resource, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
            return self._get_att(str(resource), str(self.resolve(attribute)))
        if name == "Sub":
            return self._sub(argument)
        arguments = self.resolve(argument)
        if name == "Join":
            delimiter, items = arguments
            return str(delimiter).join(_text(item) for item in items)
        if name == "Select":
            index, items = arguments
            return items[int(index)]
        if name == "Split":
            delimiter, text = arguments
            return str(text).split(str(delimiter))
        if name == "Equals":
            left, right = arguments
            return _text(left) == _text(right)
        if name == "Not":
            return not _boolean(arguments[0])
        if name == "And":
            return all(_boolean(a) for a in arguments)
        if name == "Or":
            return any(_boolean(a) for a in arguments)
        if name == "FindInMap":
            return self._find_in_map(arguments)
        if name == "Base64":
            return base64.b64encode(str(arguments).encode()).decode()
        if name == "GetAZs":
            region = arguments or self._names["AWS::Region"]
            return [f"{region}{zone}" for zone in "abc"]
        if name == "ToJsonString":
            return json.dumps(arguments, separators=(",", ":"))
        if name == "Length":
            return len(arguments)
        raise TemplateError(f"Fn::{name} cannot be evaluated by the local cloud")

    def _find_in_map(self, arguments: list[Any]) -> Any:
        map_name, top, second = arguments[:3]
        try:
            return self._mappings[map_name][top][second]
        except KeyError:
            if len(arguments) > 3 and isinstance(arguments[3], dict) and "DefaultValue" in arguments[3]:
                return arguments[3]["DefaultValue"]
            raise TemplateError(f"Fn::FindInMap: no {map_name}/{top}/{second} in Mappings") from None

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], self.resolve(argument[1] if len(argument) > 1 else {})
        else:
            text, variables = argument, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name in variables:
                return _text(variables[name])
            if name in self._names:
                return _text(self._names[name])
            if "." in name:
                resource, attribute = name.split(".", 1)
                return _text(self._get_att(resource, attribute))
            return _text(self._ref(name))

        substituted = _SUB_VARIABLE.sub(replace, str(text))
        return substituted.replace("${!", "${")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    return str(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise TemplateError(f"{value!r} is not a boolean")


# -- dependencies ----------------------------------------------------------------------------------------


def references(value: Any) -> Iterator[str]:
    """Every logical id (or parameter/pseudo name) that ``value`` refers to through Ref, GetAtt or Sub."""
    if isinstance(value, dict):
        for key, argument in value.items():
            if key == "Ref" and isinstance(argument, str):
                yield argument
            elif key == "Fn::GetAtt":
                target = argument.split(".", 1)[0] if isinstance(argument, str) else argument[0]
                if isinstance(target, str):
                    yield target
            elif key == "Fn::Sub":
                text = argument[0] if isinstance(argument, list) else argument
                local = set(argument[1]) if isinstance(argument, list) and len(argument) > 1 else set()
                if isinstance(text, str):
                    for match in _SUB_VARIABLE.finditer(text):
                        name = match.group(1).strip().split(".", 1)[0]
                        if name not in local:
                            yield name
                if isinstance(argument, list):
                    yield from references(argument[1:])
                continue
            yield from references(argument)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def creation_order(resources: Mapping[str, Any]) -> list[str]:
    """Logical ids in an order where every resource comes after the resources it refers to."""
    dependencies: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn") or []
        if isinstance(depends_on, str):
            depends_on = [depends_on]
        found = set(references(resource.get("Properties") or {})) | set(depends_on)
        dependencies[logical_id] = {name for name in found if name in resources and name != logical_id}
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(logical_id: str, path: list[str]) -> None:
        if state.get(logical_id) == "done":
            return
        if state.get(logical_id) == "visiting":
            raise TemplateError(f"circular dependency between resources: {' -> '.join([*path, logical_id])}")
        state[logical_id] = "visiting"
        for dependency in sorted(dependencies[logical_id]):
            visit(dependency, [*path, logical_id])
        state[logical_id] = "done"
        order.append(logical_id)

    for logical_id in resources:
        visit(logical_id, [])
    return order
