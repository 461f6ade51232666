"""A small GraphQL reader, validator and projector: enough of the grammar for Bato's documents,
strict about names and types.

Why: a fake that accepts anything hides a client's wrong field names and wrong variable types until
the real site answers with an error. This reader rejects what a GraphQL server validating against
the generation's schema (see ``schema.py``) would reject, with the messages graphql-js gives.

Supported: one query operation, variable definitions (scalar and input-object types, whose values
arrive as JSON in ``variables``), aliases, scalar inline arguments (also on nested fields, e.g.
``chapters(amount: 3)``). Not supported (rejected): fragments, directives, inline object/list
literals, mutations.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .schema import V3X, Schema


class QueryError(Exception):
    """The document is invalid; the message is what a GraphQL server would say."""


_TOKEN_RE = re.compile(
    r"""(?P<skip>[\s,]+|\#[^\n]*)
      |(?P<spread>\.\.\.)
      |(?P<punct>[!$():=@\[\]{}|])
      |(?P<string>"(?:[^"\\\n]|\\.)*")
      |(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      |(?P<name>[_A-Za-z][_0-9A-Za-z]*)""",
    re.VERBOSE,
)
_NAME_RE = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def tokenize(document: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(document):
        match = _TOKEN_RE.match(document, pos)
        if match is None:
            raise QueryError(f"Syntax Error: Unexpected character {document[pos]!r}.")
        pos = match.end()
        if match.lastgroup != "skip":
            tokens.append(match.group())
    return tokens


Argument = tuple[str, Any]
"""``("var", variable name)`` or ``("value", literal)``: a Python str/int/float/bool/None."""


@dataclass
class Selection:
    alias: str
    name: str
    arguments: dict[str, Argument]
    children: list[Selection] | None


@dataclass
class Operation:
    variables: dict[str, str]  # name -> declared type, e.g. "ID!"
    selections: list[Selection]


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None:
            raise QueryError("Syntax Error: Unexpected <EOF>.")
        if expected is not None and token != expected:
            raise QueryError(f'Syntax Error: Expected "{expected}", found "{token}".')
        self.pos += 1
        return token

    def name(self) -> str:
        token = self.take()
        if not _NAME_RE.fullmatch(token):
            raise QueryError(f'Syntax Error: Expected Name, found "{token}".')
        return token

    def document(self) -> Operation:
        variables: dict[str, str] = {}
        head = self.peek()
        if head in ("mutation", "subscription"):
            raise QueryError(f"Schema is not configured for {head}s.")
        if head == "fragment":
            raise QueryError("Fragments are not supported by this endpoint.")
        if head == "query":
            self.take()
            if self.peek() not in ("(", "{"):
                self.name()
            if self.peek() == "(":
                variables = self.variable_definitions()
        selections = self.selection_set()
        if self.peek() is not None:
            raise QueryError(f'Syntax Error: Unexpected "{self.peek()}".')
        return Operation(variables, selections)

    def variable_definitions(self) -> dict[str, str]:
        self.take("(")
        result: dict[str, str] = {}
        while self.peek() != ")":
            self.take("$")
            name = self.name()
            self.take(":")
            result[name] = self.type_ref()
            if self.peek() == "=":
                self.take()
                self.value()
        self.take(")")
        if not result:
            raise QueryError('Syntax Error: Expected "$", found ")".')
        return result

    def type_ref(self) -> str:
        if self.peek() == "[":
            self.take()
            inner = self.type_ref()
            self.take("]")
            text = f"[{inner}]"
        else:
            text = self.name()
        if self.peek() == "!":
            self.take()
            text += "!"
        return text

    def value(self) -> Argument:
        token = self.take()
        if token == "$":
            return ("var", self.name())
        if token.startswith('"'):
            return ("value", json.loads(token))
        if token in ("[", "{"):
            raise QueryError("Only scalar argument values are supported.")
        if _NUMBER_RE.fullmatch(token):
            number = float(token)
            return ("value", int(token) if re.fullmatch(r"-?\d+", token) else number)
        return ("value", {"true": True, "false": False, "null": None}.get(token, token))

    def selection_set(self) -> list[Selection]:
        self.take("{")
        result: list[Selection] = []
        while self.peek() != "}":
            if self.peek() == "...":
                raise QueryError("Fragments are not supported by this endpoint.")
            if self.peek() == "@":
                raise QueryError("Directives are not supported by this endpoint.")
            first = self.name()
            alias, name = first, first
            if self.peek() == ":":
                self.take()
                name = self.name()
            arguments: dict[str, Argument] = {}
            if self.peek() == "(":
                self.take()
                while self.peek() != ")":
                    arg = self.name()
                    self.take(":")
                    arguments[arg] = self.value()
                self.take(")")
            children = self.selection_set() if self.peek() == "{" else None
            result.append(Selection(alias, name, arguments, children))
        self.take("}")
        if not result:
            raise QueryError('Syntax Error: Expected Name, found "}".')
        return result


def parse_query(document: str) -> Operation:
    return _Parser(tokenize(document)).document()


# --------------------------------------------------------------------------------------------
# Values: scalar and input-object coercion, as graphql-js reports it
# --------------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def coerce_scalar(type_name: str, value: Any) -> str | None:
    """Why ``value`` is not a valid ``type_name`` (graphql-js wording), or None when it is."""
    if type_name == "ID":
        ok = isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
        return None if ok else f"ID cannot represent value: {_show(value)}"
    if type_name == "Int":
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            return f"Int cannot represent non-integer value: {_show(value)}"
        if not -(2**31) <= value < 2**31:
            return f"Int cannot represent non 32-bit signed integer value: {_show(value)}"
        return None
    if type_name == "Float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else f"Float cannot represent non numeric value: {_show(value)}"
    if type_name == "String":
        ok = isinstance(value, str)
        return None if ok else f"String cannot represent a non string value: {_show(value)}"
    if type_name == "Boolean":
        ok = isinstance(value, bool)
        return None if ok else f"Boolean cannot represent a non boolean value: {_show(value)}"
    return None


def _coerce(schema: Schema, type_ref: str, value: Any, path: str) -> tuple[str, str] | None:
    """The first problem of ``value`` against ``type_ref``: (path, message), or None."""
    if type_ref.endswith("!"):
        if value is None:
            return path, f'Expected non-nullable type "{type_ref}" not to be null.'
        type_ref = type_ref[:-1]
    if value is None:
        return None
    if type_ref.startswith("["):
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            problem = _coerce(schema, type_ref[1:-1], item, f"{path}[{index}]")
            if problem:
                return problem
        return None
    fields = schema.inputs.get(type_ref)
    if fields is None:
        message = coerce_scalar(type_ref, value)
        return (path, message) if message else None
    if not isinstance(value, dict):
        return path, f'Expected type "{type_ref}" to be an object.'
    for key in value:
        if key not in fields:
            return path, f'Field "{key}" is not defined by type "{type_ref}".'
    for key, field_type in fields.items():
        if field_type.endswith("!") and value.get(key) is None:
            return path, f'Field "{key}" of required type "{field_type}" was not provided.'
        if key in value:
            problem = _coerce(schema, field_type, value[key], f"{path}.{key}")
            if problem:
                return problem
    return None


def _compatible(declared: str, expected: str) -> bool:
    """GraphQL's rule: a non-null variable may fill a nullable position, not the reverse."""
    return declared == expected or declared == expected + "!"


def _base(type_ref: str) -> str:
    return type_ref.strip("[]!")


def validate(operation: Operation, variables: Mapping[str, Any], schema: Schema = V3X) -> list[str]:
    """GraphQL validation against the whitelist; returns error messages (empty when valid)."""
    errors: list[str] = []
    used: set[str] = set()

    def check_argument(sel: Selection, arg: str, expected: str) -> None:
        kind, value = sel.arguments[arg]
        if kind == "var":
            used.add(value)
            declared = operation.variables.get(value)
            if declared is None:
                errors.append(f'Variable "${value}" is not defined.')
            elif schema.knows_type(_base(declared)) and not _compatible(declared, expected):
                errors.append(
                    f'Variable "${value}" of type "{declared}" used in position '
                    f'expecting type "{expected}".'
                )
            return
        if value is None and expected.endswith("!"):
            errors.append(f'Expected value of type "{expected}", found null.')
            return
        if value is not None and _base(expected) in schema.inputs:
            errors.append(f'Expected value of type "{expected}", found {_show(value)}.')
            return
        message = coerce_scalar(_base(expected), value) if value is not None else None
        if message:
            errors.append(message)

    def walk(selections: list[Selection], type_name: str) -> None:
        fields = schema.types[type_name]
        for sel in selections:
            if sel.name == "__typename":
                continue
            if sel.name not in fields:
                errors.append(f'Cannot query field "{sel.name}" on type "{type_name}".')
                continue
            child_type = fields[sel.name]
            expected = schema.arguments_of(type_name, sel.name)
            for arg in sel.arguments:
                if arg not in expected:
                    errors.append(f'Unknown argument "{arg}" on field "{type_name}.{sel.name}".')
                else:
                    check_argument(sel, arg, expected[arg])
            for arg, arg_type in expected.items():
                if arg_type.endswith("!") and arg not in sel.arguments:
                    errors.append(
                        f'Field "{sel.name}" argument "{arg}" of type "{arg_type}" is '
                        "required, but it was not provided."
                    )
            if child_type is None and sel.children is not None:
                errors.append(
                    f'Field "{sel.name}" must not have a selection since its type is scalar.'
                )
            elif child_type is not None and sel.children is None:
                errors.append(
                    f'Field "{sel.name}" of type "{child_type}" must have a selection of subfields.'
                )
            elif child_type is not None and sel.children is not None:
                walk(sel.children, child_type)

    walk(operation.selections, "Query")
    for name, declared in operation.variables.items():
        if not schema.knows_type(_base(declared)):
            errors.append(f'Unknown type "{_base(declared)}".')
        elif name not in used:
            errors.append(f'Variable "${name}" is never used.')
        elif declared.endswith("!") and variables.get(name) is None:
            errors.append(f'Variable "${name}" of required type "{declared}" was not provided.')
        elif name in variables:
            problem = _coerce(schema, declared, variables[name], name)
            if problem:
                where, message = problem
                at = f' at "{where}"' if where != name else ""
                shown = _show(_value_at(variables, where))
                errors.append(f'Variable "${name}" got invalid value {shown}{at}; {message}')
    return errors


def _value_at(variables: Mapping[str, Any], path: str) -> Any:
    value: Any = variables
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            value = value[int(part[1:-1])] if isinstance(value, list) else value
        elif isinstance(value, Mapping):
            value = value.get(part)
    return value


def argument_values(sel: Selection, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The field's arguments with variables substituted (absent variables are left out)."""
    result: dict[str, Any] = {}
    for name, (kind, value) in sel.arguments.items():
        if kind == "var":
            if value in variables:
                result[name] = variables[value]
        else:
            result[name] = value
    return result


FieldHook = Callable[[Any, dict[str, Any]], Any]
"""Applies a nested field's arguments to its value, e.g. ``chapters(amount: 3)``."""


def project(
    value: Any,
    selections: list[Selection] | None,
    type_name: str | None,
    schema: Schema = V3X,
    variables: Mapping[str, Any] | None = None,
    hooks: Mapping[tuple[str, str], FieldHook] | None = None,
) -> Any:
    """Keep only the selected fields, under their aliases, as a GraphQL server does."""
    if value is None or selections is None or type_name is None:
        return value if isinstance(value, _SCALARS) else copy.deepcopy(value)
    if isinstance(value, list):
        return [project(item, selections, type_name, schema, variables, hooks) for item in value]
    fields = schema.types[type_name]
    result: dict[str, Any] = {}
    for sel in selections:
        if sel.name == "__typename":
            result[sel.alias] = type_name
            continue
        child = value.get(sel.name)
        hook = hooks.get((type_name, sel.name)) if hooks else None
        if hook is not None:
            child = hook(child, argument_values(sel, variables or {}))
        if sel.children is None and isinstance(child, _SCALARS):
            result[sel.alias] = child  # the common case, without a call
        else:
            result[sel.alias] = project(
                child, sel.children, fields[sel.name], schema, variables, hooks
            )
    return result


_SCALARS = (str, int, float, bool, type(None))
