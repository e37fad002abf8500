"""YAML loading with bounds on size, nesting and alias expansion, and helpers for node trees.

A YAML document is refused when it is larger than MAX_YAML_CHARS, or when it has more than
MAX_YAML_NODES nodes counting every alias as a copy of what it refers to: loading shares aliased
nodes (cheap), but everything that walks the tree, and merge keys (<<), which really copy, pay per
reference, so nine aliases of nine aliases of ... ("billion laughs") must never reach them. The
pure-Python composer (used for deeply nested text, see _use_libyaml) is ~40 us a node, so it also
stops composing past MAX_PY_YAML_NODES.

Hostile nesting: libyaml's composer recurses without a limit and crashes the process beyond ~10k
levels; the pure-Python loader raises RecursionError, but deep flow nesting costs it seconds first.
So text with deep flow nesting is refused outright, and libyaml only gets text whose nesting is
provably shallow (each level needs a flow bracket, more indentation or an indicator on the line),
or, when that cheap bound is inconclusive (minified JSON has a colon per key on one line), whose
nesting libyaml's own event stream shows to be shallow: its parser is iterative, only the composer
recurses. The pure-Python loader is ~40 us a node, so it is kept for text that is really deep.
"""
from __future__ import annotations

import re
from typing import Any

import yaml

MAX_YAML_CHARS = 1024 * 1024
MAX_YAML_NODES = 50_000
MAX_PY_YAML_NODES = 20_000
MAX_FLOW_NESTING = 200
_LIBYAML_MAX_NESTING = 2000
_BRACKET = re.compile(r"[\[\]{}]")


class Intrinsic:
    """A CloudFormation short-form intrinsic (``!Ref X``, ``!Sub "..."`` ...): its function (``Ref``,
    ``Sub``, ``GetAtt`` ...) and argument, for whoever can evaluate it (templates resolve ``!Ref`` and
    ``!Sub`` of parameters with defaults); anyone else treats it as a value we can't know statically."""

    __slots__ = ("function", "argument")

    def __init__(self, function: str = "", argument: Any = None):
        self.function, self.argument = function, argument


def _intrinsic(loader: Any, suffix: str, node: yaml.Node) -> Intrinsic:
    if isinstance(node, yaml.ScalarNode):
        argument: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        argument = loader.construct_sequence(node, deep=True)
    else:
        argument = loader.construct_mapping(node, deep=True)
    return Intrinsic(suffix, argument)


class _BoundedComposer:
    """Composer mixin for the pure-Python loaders: stop once MAX_PY_YAML_NODES nodes are composed."""

    _composed = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._composed += 1
        if self._composed > MAX_PY_YAML_NODES:
            raise yaml.YAMLError(f"YAML document has more than {MAX_PY_YAML_NODES} nodes")
        return super().compose_node(parent, index)  # type: ignore[misc]


class _SafeLoader(_BoundedComposer, yaml.SafeLoader):
    """yaml.SafeLoader with the composer bound."""


class _TolerantLoader(_BoundedComposer, yaml.SafeLoader):
    """SafeLoader that accepts CloudFormation's short-form tags instead of failing on them."""


_TolerantLoader.add_multi_constructor("!", _intrinsic)

if getattr(yaml, "__with_libyaml__", False):
    from yaml.cyaml import CParser as _CParser

    class _CTolerantLoader(yaml.CSafeLoader):
        """libyaml-backed twin of _TolerantLoader."""

    _CTolerantLoader.add_multi_constructor("!", _intrinsic)
else:
    _CTolerantLoader = _TolerantLoader


# --- nesting ------------------------------------------------------------------------------------
def flow_depth(text: str, stop: int | None = None) -> int:
    """Deepest ``[``/``{`` nesting, counting brackets in quotes too (an over-estimate is safe).

    Counting ends as soon as the depth passes ``stop``."""
    depth = deepest = 0
    for m in _BRACKET.finditer(text):
        depth = depth + 1 if m.group() in "[{" else max(depth - 1, 0)
        if depth > deepest:
            deepest = depth
            if stop is not None and deepest > stop:
                break
    return deepest


def check_nesting(text: str) -> None:
    """Raise a YAMLError for text nested too deeply to be worth parsing."""
    if flow_depth(text, stop=MAX_FLOW_NESTING) > MAX_FLOW_NESTING:
        raise yaml.YAMLError(f"flow collections nested deeper than {MAX_FLOW_NESTING} levels")


def _nesting_bound(text: str) -> int:
    block = 0
    for line in text.split("\n"):
        rest = line.lstrip(" ")
        block = max(block, len(line) - len(rest) + rest.count("-") + rest.count("?") + rest.count(":"))
    return flow_depth(text) + 2 * block + 1


def _event_depth(text: str, stop: int) -> int:
    """Deepest collection nesting in libyaml's event stream, counting stops past ``stop``. A syntax
    error ends the count: libyaml's composer stops at the same event."""
    parser = _CParser(text)
    depth = deepest = 0
    try:
        while deepest <= stop:
            event = parser.get_event()
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                deepest = max(deepest, depth)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
            elif event is None or isinstance(event, yaml.StreamEndEvent):
                break
    except yaml.YAMLError:
        pass
    finally:
        parser.dispose()
    return deepest


def _use_libyaml(text: str) -> bool:
    check_nesting(text)
    if not getattr(yaml, "__with_libyaml__", False):
        return False
    return (_nesting_bound(text) < _LIBYAML_MAX_NESTING
            or _event_depth(text, _LIBYAML_MAX_NESTING) < _LIBYAML_MAX_NESTING)


# --- alias expansion and size -------------------------------------------------------------------
def _node_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return node.value  # a SequenceNode's


def _check_expansion(root: yaml.Node | None) -> None:
    """Raise a YAMLError when ``root`` expands (aliases copied out) to more than MAX_YAML_NODES
    nodes, or contains itself. Linear in the composed graph: each collection's expanded size is
    computed once, without recursion."""
    if not isinstance(root, yaml.CollectionNode):
        return
    scalar = yaml.ScalarNode
    sizes: dict[int, int] = {}   # id -> expanded size of a collection done
    active: set[int] = set()     # collections whose children are being sized
    stack = [root]
    while stack:
        node = stack[-1]
        key = id(node)
        if key not in active:
            if key in sizes:     # reached twice before being sized: done by the other path
                stack.pop()
                continue
            active.add(key)
            for child in _node_children(node):
                if type(child) is not scalar and id(child) not in sizes:
                    if id(child) in active:
                        raise yaml.YAMLError("YAML alias refers to a node that contains it")
                    stack.append(child)
            continue
        stack.pop()
        active.discard(key)
        size = 1
        for child in _node_children(node):
            size += 1 if type(child) is scalar else sizes[id(child)]
        if size > MAX_YAML_NODES:
            raise yaml.YAMLError(f"YAML document expands to more than {MAX_YAML_NODES} nodes "
                                 "(aliases are counted as copies)")
        sizes[key] = size


def _check_size(text: str) -> None:
    if len(text) > MAX_YAML_CHARS:
        raise yaml.YAMLError(f"YAML document larger than {MAX_YAML_CHARS} characters")


# --- loaders ------------------------------------------------------------------------------------
def compose(text: str) -> yaml.Node | None:
    """The node tree of a single document (nodes keep their lines)."""
    _check_size(text)
    loader = (yaml.CSafeLoader if _use_libyaml(text) else _SafeLoader)(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    _check_expansion(node)
    return node


def load_tolerant(text: str) -> Any:
    """A single document as Python data, CloudFormation's ``!Tags`` read as ``Intrinsic``."""
    _check_size(text)
    loader = (_CTolerantLoader if _use_libyaml(text) else _TolerantLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def safe_load_all(text: str, *, pure: bool = False) -> list[Any]:
    """``yaml.safe_load_all`` with this module's bounds: size, nesting, alias expansion.

    ``pure``: use the pure-Python parser (slower, but its error marks are PyYAML's usual ones)."""
    _check_size(text)
    use_libyaml = _use_libyaml(text) and not pure
    loader = (yaml.CSafeLoader if use_libyaml else _SafeLoader)(text)
    docs = []
    try:
        while loader.check_node():
            node = loader.get_node()
            _check_expansion(node)
            docs.append(loader.construct_document(node))
    finally:
        loader.dispose()
    return docs


# --- reading node trees -------------------------------------------------------------------------
def mapping(node: Any) -> dict[str, yaml.Node]:
    """A mapping node's entries with scalar keys ({} for anything else)."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def scalar(node: Any) -> str | None:
    """A scalar node's text ("" for null), None for anything else."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    return "" if node.tag == "tag:yaml.org,2002:null" else str(node.value)


def env_of(node: Any) -> dict[str, str]:
    """An ``env:`` mapping's scalar entries."""
    return {k: v for k, v in ((k, scalar(n)) for k, n in mapping(node).items()) if v is not None}
