"""Unknown-property checks for QBO entity bodies, driven by Intuit's v3 XSD.

The XSD is compiled once, offline, into ``schema_data.json`` next to this module::

    python -m qbo_emulator.schema build /path/to/qbo-schema

At runtime only that JSON file is read (once, lazily). JSON property names are the XSD
element names; XSD attributes (``domain``, ``sparse``, ``status`` on entities, ``name`` and
``type`` on references) are JSON properties too, and the text content of a simpleContent type
(``ReferenceType``, ``MemoRef``) is the JSON ``value`` property.

Data file layout (kept compact, it is committed)::

    {"entities": {"Customer": "Customer", ...},
     "types": {"Customer": {"b": "NameBase",              # base type, if any
                            "e": {"BillAddr": ["PhysicalAddress", 0, 1], ...},
                                                          # element -> [type, is_list, is_complex]
                            "a": ["domain", ...],          # attributes
                            "v": 1,                        # simpleContent: text is "value"
                            "x": 1}}}                      # xs:any: anything goes below here
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

DATA_PATH = Path(__file__).with_name("schema_data.json")

XS = "http://www.w3.org/2001/XMLSchema"
_XS = f"{{{XS}}}"
ANY_TYPE = "*"  # an element without a type (xs:anyType): any content is accepted
ENTITY_GROUP = "IntuitObject"  # substitution group head of every top-level entity

# Property names real QBO JSON bodies use that the XSD does not declare. Keep this small and
# justified; an empty mapping means the XSD covers every body we have checked.
EXTRA_PROPERTIES: dict[str, frozenset[str]] = {}


# --------------------------------------------------------------------------- build (offline)


class _Schema:
    """The global definitions of a set of XSD files, with QName resolution per file."""

    def __init__(self) -> None:
        self.complex: dict[str, tuple[ET.Element, dict[str, str]]] = {}
        self.simple: set[str] = set()
        self.groups: dict[str, tuple[ET.Element, dict[str, str]]] = {}
        self.elements: dict[str, tuple[ET.Element, dict[str, str]]] = {}

    def load(self, path: Path) -> None:
        """Read one XSD file's global definitions."""
        nsmap: dict[str, str] = {}
        root: ET.Element | None = None
        # Only Intuit's own schema files are read, offline, by a developer.
        for event, item in ET.iterparse(path, events=("start-ns", "start")):  # noqa: S314
            if event == "start-ns":
                prefix, uri = item
                nsmap[prefix] = uri
            elif root is None:
                root = item
        assert root is not None
        for child in root:
            name = child.get("name")
            if name is None:
                continue
            if child.tag == _XS + "complexType":
                self.complex[name] = (child, nsmap)
            elif child.tag == _XS + "simpleType":
                self.simple.add(name)
            elif child.tag == _XS + "group":
                self.groups[name] = (child, nsmap)
            elif child.tag == _XS + "element":
                self.elements[name] = (child, nsmap)

    @staticmethod
    def qname(value: str, nsmap: dict[str, str]) -> tuple[bool, str]:
        """Split a QName into (is_builtin_xsd_type, local name)."""
        prefix, _, local = value.rpartition(":")
        return nsmap.get(prefix) == XS, local

    def element_type(self, el: ET.Element, nsmap: dict[str, str], owner: str) -> tuple[str, bool]:
        """Return (type name, is_complex) of an element declaration."""
        type_attr = el.get("type")
        if type_attr is not None:
            builtin, local = self.qname(type_attr, nsmap)
            if builtin:
                return ("*" if local == "anyType" else local), False
            return local, local in self.complex
        inline = el.find(_XS + "complexType")
        if inline is not None:
            synthetic = f"{owner}.{el.get('name')}"
            self.complex[synthetic] = (inline, nsmap)
            return synthetic, True
        if el.find(_XS + "simpleType") is not None:
            return "string", False
        return ANY_TYPE, False

    def substitutes(self, head: str) -> list[str]:
        """Global element names in the substitution group of ``head``."""
        found = []
        for name, (el, nsmap) in self.elements.items():
            group = el.get("substitutionGroup")
            if group and self.qname(group, nsmap)[1] == head and el.get("abstract") != "true":
                found.append(name)
        return found

    def compile_type(self, name: str) -> dict[str, Any]:
        """Describe one complex type: base, own elements, attributes and flags."""
        node, nsmap = self.complex[name]
        out: dict[str, Any] = {}
        elements: dict[str, list[Any]] = {}
        attributes: list[str] = []
        for child in node:
            if child.tag in (_XS + "complexContent", _XS + "simpleContent"):
                for deriv in child:
                    if deriv.tag not in (_XS + "extension", _XS + "restriction"):
                        continue
                    builtin, base = self.qname(deriv.get("base", ""), nsmap)
                    if child.tag == _XS + "simpleContent" and (builtin or base not in self.complex):
                        out["v"] = 1
                    elif not builtin:
                        out["b"] = base
                    self._particles(deriv, nsmap, name, False, elements, attributes, out)
            else:
                self._particles_one(child, nsmap, name, False, elements, attributes, out)
        if elements:
            out["e"] = elements
        if attributes:
            out["a"] = attributes
        return out

    def _particles(
        self,
        parent: ET.Element,
        nsmap: dict[str, str],
        owner: str,
        repeated: bool,
        elements: dict[str, list[Any]],
        attributes: list[str],
        out: dict[str, Any],
    ) -> None:
        for child in parent:
            self._particles_one(child, nsmap, owner, repeated, elements, attributes, out)

    def _particles_one(
        self,
        child: ET.Element,
        nsmap: dict[str, str],
        owner: str,
        repeated: bool,
        elements: dict[str, list[Any]],
        attributes: list[str],
        out: dict[str, Any],
    ) -> None:
        tag = child.tag
        many = repeated or _repeats(child)
        if tag in (_XS + "sequence", _XS + "choice", _XS + "all"):
            self._particles(child, nsmap, owner, many, elements, attributes, out)
        elif tag == _XS + "group":
            ref = child.get("ref")
            if ref:
                group, group_ns = self.groups[self.qname(ref, nsmap)[1]]
                self._particles(group, group_ns, owner, many, elements, attributes, out)
        elif tag == _XS + "element":
            for el_name, el, el_ns in self._declared(child, nsmap):
                type_name, is_complex = self.element_type(el, el_ns, owner)
                elements[el_name] = [type_name, int(many), int(is_complex)]
        elif tag == _XS + "attribute":
            attr = child.get("name") or self.qname(child.get("ref", ""), nsmap)[1]
            if attr and attr not in attributes:
                attributes.append(attr)
        elif tag == _XS + "any":
            out["x"] = 1

    def _declared(
        self, el: ET.Element, nsmap: dict[str, str]
    ) -> Iterator[tuple[str, ET.Element, dict[str, str]]]:
        """Yield (name, declaration, nsmap) for a local element or a reference to a global one."""
        ref = el.get("ref")
        if ref is None:
            yield el.get("name", ""), el, nsmap
            return
        target = self.qname(ref, nsmap)[1]
        glob, glob_ns = self.elements[target]
        if glob.get("abstract") == "true":
            for member in self.substitutes(target):
                yield member, *self.elements[member]
        else:
            yield target, glob, glob_ns


def _repeats(node: ET.Element) -> bool:
    high = node.get("maxOccurs", "1")
    return high == "unbounded" or int(high) > 1


def build(xsd_dir: Path) -> dict[str, Any]:
    """Compile every ``*.xsd`` in ``xsd_dir`` into the data structure stored in the JSON file."""
    schema = _Schema()
    for path in sorted(xsd_dir.glob("*.xsd")):
        schema.load(path)
    types: dict[str, Any] = {}
    pending = list(schema.complex)
    while pending:  # inline anonymous types are registered while compiling their owner
        name = pending.pop()
        if name not in types:
            types[name] = schema.compile_type(name)
            pending.extend(n for n in schema.complex if n not in types)
    entities = {}
    for name in schema.substitutes(ENTITY_GROUP):
        el, nsmap = schema.elements[name]
        type_name, is_complex = schema.element_type(el, nsmap, name)
        if is_complex:
            entities[name] = type_name
    return {
        "entities": dict(sorted(entities.items())),
        "types": dict(sorted(types.items())),
    }


def write(data: dict[str, Any], path: Path = DATA_PATH) -> None:
    """Write compiled schema data as compact JSON."""
    path.write_text(json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n")


# --------------------------------------------------------------------------- runtime


class _Type:
    """A flattened complex type: every allowed property and the type below it."""

    __slots__ = ("children", "open")

    def __init__(self) -> None:
        # property -> child type name, or None for a leaf (simple content)
        self.children: dict[str, str | None] = {}
        self.open = False


@cache
def _compiled() -> tuple[dict[str, str], dict[str, _Type]]:
    data = json.loads(DATA_PATH.read_text())
    raw: dict[str, dict[str, Any]] = data["types"]
    flat: dict[str, _Type] = {}

    def flatten(name: str) -> _Type:
        if name in flat:
            return flat[name]
        spec = raw[name]
        result = _Type()
        base = spec.get("b")
        if base in raw:
            inherited = flatten(base)
            result.children.update(inherited.children)
            result.open = inherited.open
        if spec.get("v"):
            result.children["value"] = None
        for attr in spec.get("a", ()):
            result.children[attr] = None
        for child, (type_name, _is_list, is_complex) in spec.get("e", {}).items():
            if type_name == ANY_TYPE:
                result.children[child] = ANY_TYPE
            else:
                result.children[child] = type_name if is_complex and type_name in raw else None
        for extra in EXTRA_PROPERTIES.get(name, ()):
            result.children.setdefault(extra, None)
        result.open = result.open or bool(spec.get("x"))
        flat[name] = result
        return result

    for name in raw:
        flatten(name)
    return data["entities"], flat


def entity_names() -> frozenset[str]:
    """Names of the top-level QBO entities the schema defines (Customer, Invoice, ...)."""
    return frozenset(_compiled()[0])


def properties(entity: str) -> frozenset[str]:
    """The top-level JSON properties an entity may carry."""
    entities, types = _compiled()
    return frozenset(types[entities[entity]].children)


@cache
def bases(entity: str) -> tuple[str, ...]:
    """The XSD base types of an entity, nearest first (e.g. SalesTransaction, Transaction)."""
    raw = json.loads(DATA_PATH.read_text())
    types = raw["types"]
    chain: list[str] = []
    name = types.get(raw["entities"][entity], {}).get("b")
    while name in types:
        chain.append(name)
        name = types[name].get("b")
    return tuple(chain)


def unknown_properties(entity: str, body: dict) -> list[str]:
    """Dotted paths of properties in ``body`` that the ``entity`` schema does not define."""
    entities, types = _compiled()
    if entity not in entities:
        raise KeyError(f"unknown QBO entity: {entity}")
    found: list[str] = []
    _walk(types, types[entities[entity]], body, "", found)
    return found


def _walk(types: dict[str, _Type], spec: _Type, obj: dict, prefix: str, found: list[str]) -> None:
    if spec.open:
        return
    children = spec.children
    for key, value in obj.items():
        path = prefix + key
        if key not in children:
            found.append(path)
            continue
        child = children[key]
        if child == ANY_TYPE:
            continue
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    _check(types, child, item, f"{path}[{index}]", found)
        elif isinstance(value, dict):
            _check(types, child, value, path, found)


def _check(
    types: dict[str, _Type], child: str | None, value: dict, path: str, found: list[str]
) -> None:
    if child is None:
        # A simple-typed property holds a scalar, so every key of an object here is unknown.
        found.extend(f"{path}.{key}" for key in value)
    else:
        _walk(types, types[child], value, path + ".", found)


def main(argv: list[str]) -> int:
    """Command line: ``build <xsd dir> [output json]``."""
    if len(argv) < 2 or argv[0] != "build":
        print("usage: python -m qbo_emulator.schema build <xsd dir> [output.json]", file=sys.stderr)
        return 2
    data = build(Path(argv[1]))
    out = Path(argv[2]) if len(argv) > 2 else DATA_PATH
    write(data, out)
    print(f"wrote {out}: {len(data['entities'])} entities, {len(data['types'])} types")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
