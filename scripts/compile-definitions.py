#!/usr/bin/env python3
"""Compile the HL7 FHIR R4 (4.0.1) definitions into Kangqiao's vendored definitions file.

Rerun (from the repository root, Python 3 standard library only):

    python3 scripts/compile-definitions.py \
        [--definitions ../shared/testdata/fhir-r4/definitions] \
        [--out Sources/FHIRCore/Resources/r4-definitions.json]

A dev tool: the product never runs it, it loads the file this writes (`R4Definitions`).
Inputs (all CC0, HL7 FHIR R4 4.0.1): profiles-resources.json, profiles-types.json,
search-parameters.json, valuesets.json, extension-definitions.json.
The output is minified JSON (about 1 MB) in this layout:

  types: {name: {k: kind, a: 1 if abstract, b: base type, re: regex (primitives),
                 e: [element], inv: [invariant]}}
      kind: resource | complex-type | primitive-type | backbone (a backbone element, named by its path)
      element: {n: JSON name without [x], t: [type codes], r: [target types], min, max ("*" or "n",
                omitted when 1), ch: 1 (choice), s: 1 (summary), m: 1 (modifier), b: required value set,
                cr: contentReference path}
      invariant: {k: key, s: severity, h: human, x: FHIRPath, p: element path}
  valueSets: {url: {s: [systems], c: [codes]}}   (required bindings whose codes can be enumerated)
  searchParameters: [{id, n: name, c: code, b: [bases], t: type, x: expression, tg: [targets],
                      m: [modifiers], cmp: [comparators], mo, ma, co: [{c: code, x: expression}]}]
  compartments: {Patient: {ResourceType: [param codes]}, ...}
  extensions: {url: [value types]}   (the 393 core extensions; [] = complex, nested extensions only)
"""

import argparse
import json
import os
import sys

FHIR_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
REGEX_EXT = "http://hl7.org/fhir/StructureDefinition/regex"
SD_PREFIX = "http://hl7.org/fhir/StructureDefinition/"


def load_bundle(directory, name):
    with open(os.path.join(directory, name), encoding="utf-8") as f:
        return [e["resource"] for e in json.load(f).get("entry", [])]


def last_segment(url):
    return url.rsplit("/", 1)[-1]


def type_code(sd_id, path, t):
    """The FHIR type code of an element type; System.* types map through the fhir-type extension."""
    code = t["code"]
    if code.startswith("http://hl7.org/fhirpath/System."):
        if path.endswith(".id") and path.count(".") == 1 and sd_id_is_resource(sd_id):
            return "id"  # Resource.id is declared as System.String, but the spec types it `id`.
        for ext in t.get("extension", []):
            if ext["url"] == FHIR_TYPE_EXT:
                return ext["valueUrl"]
        return "string"
    return code


RESOURCE_IDS = set()


def sd_id_is_resource(sd_id):
    return sd_id in RESOURCE_IDS


class ValueSetExpander:
    """Enumerates value-set codes from the code systems of valuesets.json, when that is possible."""

    def __init__(self, resources):
        self.value_sets = {}
        self.code_systems = {}
        for r in resources:
            if r["resourceType"] == "ValueSet":
                self.value_sets[r["url"]] = r
            elif r["resourceType"] == "CodeSystem":
                self.code_systems[r["url"]] = r
        self.cache = {}

    @staticmethod
    def _walk(concepts, parent, out, parents):
        for c in concepts:
            out.append(c["code"])
            parents.setdefault(c["code"], set())
            if parent is not None:
                parents[c["code"]].add(parent)
            ValueSetExpander._walk(c.get("concept", []), c["code"], out, parents)

    def _system_codes(self, system):
        cs = self.code_systems.get(system)
        if cs is None or cs.get("content") != "complete":
            return None, None
        codes, parents = [], {}
        self._walk(cs.get("concept", []), None, codes, parents)
        # Code systems may also express the hierarchy through the `parent` property.
        for c in self._flat(cs.get("concept", [])):
            for p in c.get("property", []):
                if p.get("code") == "parent" and "valueCode" in p:
                    parents.setdefault(c["code"], set()).add(p["valueCode"])
        return codes, parents

    def _flat(self, concepts):
        for c in concepts:
            yield c
            yield from self._flat(c.get("concept", []))

    def _include(self, inc):
        system = inc.get("system")
        codes = None
        if "concept" in inc:
            codes = [c["code"] for c in inc["concept"]]
        elif system is not None:
            all_codes, parents = self._system_codes(system)
            if all_codes is None:
                return None
            if "filter" in inc:
                for f in inc["filter"]:
                    if f["property"] != "concept" or f["op"] not in ("is-a", "descendent-of"):
                        return None
                    wanted = set()
                    for code in all_codes:
                        if self._descends(code, f["value"], parents, f["op"] == "is-a"):
                            wanted.add(code)
                    all_codes = [c for c in all_codes if c in wanted]
            codes = all_codes
        pairs = None if codes is None else {(system, c) for c in codes}
        for vs_url in inc.get("valueSet", []):
            sub = self.expand(vs_url)
            if sub is None:
                return None
            pairs = sub if pairs is None else pairs & sub
        return pairs

    @staticmethod
    def _descends(code, ancestor, parents, include_self):
        if code == ancestor:
            return include_self
        seen, stack = set(), [code]
        while stack:
            c = stack.pop()
            for p in parents.get(c, ()):
                if p == ancestor:
                    return True
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return False

    def expand(self, url):
        url = url.split("|", 1)[0]
        if url in self.cache:
            return self.cache[url]
        self.cache[url] = None  # guards against cycles
        vs = self.value_sets.get(url)
        result = None
        if vs is not None and "compose" in vs:
            result = set()
            for inc in vs["compose"].get("include", []):
                pairs = self._include(inc)
                if pairs is None:
                    result = None
                    break
                result |= pairs
            if result is not None:
                for exc in vs["compose"].get("exclude", []):
                    pairs = self._include(exc)
                    if pairs is None:
                        result = None
                        break
                    result -= pairs
        elif vs is not None and "expansion" in vs:
            result = {(c.get("system"), c["code"]) for c in vs["expansion"].get("contains", []) if "code" in c}
        self.cache[url] = result
        return result


def compile_element(sd, el, root, expander, value_sets_out):
    path = el["path"]
    name = path.rsplit(".", 1)[-1]
    out = {}
    choice = name.endswith("[x]")
    out["n"] = name[:-3] if choice else name
    if "contentReference" in el:
        target = el["contentReference"].lstrip("#")
        out["cr"] = target
        out["t"] = [target]
    else:
        codes, targets = [], []
        for t in el.get("type", []):
            code = type_code(sd["id"], path, t)
            if code in ("BackboneElement", "Element") and not choice and path != root:
                code = path  # an inline backbone element: a type of its own, named by its path
            if code not in codes:
                codes.append(code)
            for tp in t.get("targetProfile", []):
                tn = last_segment(tp)
                if tn not in targets:
                    targets.append(tn)
        out["t"] = codes
        if targets:
            out["r"] = targets
    if el.get("min", 0):
        out["min"] = el["min"]
    if el.get("max", "1") != "1":
        out["max"] = el["max"]
    if choice:
        out["ch"] = 1
    if el.get("isSummary"):
        out["s"] = 1
    if el.get("isModifier"):
        out["m"] = 1
    binding = el.get("binding")
    if binding and binding.get("strength") == "required" and "valueSet" in binding:
        url = binding["valueSet"].split("|", 1)[0]
        out["b"] = url
        if url not in value_sets_out:
            pairs = expander.expand(url)
            if pairs is not None:
                value_sets_out[url] = {
                    "s": sorted({s for s, _ in pairs if s}),
                    "c": sorted({c for _, c in pairs}),
                }
    return out


def compile_structure(sd, types_out, expander, value_sets_out):
    root = sd["type"]
    kind = sd["kind"]
    entry = {"k": kind}
    if sd.get("abstract"):
        entry["a"] = 1
    if "baseDefinition" in sd:
        entry["b"] = last_segment(sd["baseDefinition"])
    own_url = sd["url"]
    owners = {root: entry}
    entry["e"] = []
    entry["inv"] = []
    for el in sd["snapshot"]["element"]:
        path = el["path"]
        for c in el.get("constraint", []):
            if c.get("source", own_url) != own_url or "expression" not in c:
                continue  # inherited constraints are kept once, on the type that defines them
            entry["inv"].append({"k": c["key"], "s": c["severity"], "h": c["human"],
                                 "x": c["expression"], "p": path})
        if path == root:
            continue
        parent = path.rsplit(".", 1)[0]
        if kind == "primitive-type" and path == root + ".value":
            for t in el.get("type", []):
                for ext in t.get("extension", []):
                    if ext["url"] == REGEX_EXT:
                        entry["re"] = ext["valueString"]
            continue
        owner = owners.get(parent)
        if owner is None:
            raise SystemExit(f"no owner for {path}")
        compiled = compile_element(sd, el, root, expander, value_sets_out)
        owner["e"].append(compiled)
        if "cr" not in compiled and compiled["t"] == [path]:
            base = el["type"][0]["code"]
            owners[path] = {"k": "backbone", "b": base, "e": []}
            types_out[path] = owners[path]
    if not entry["inv"]:
        del entry["inv"]
    types_out[root] = entry


def compile_search_parameters(resources):
    by_url = {r["url"]: r for r in resources}
    out = []
    for r in resources:
        sp = {"id": r["id"], "n": r["name"], "c": r["code"], "b": r["base"], "t": r["type"]}
        if "expression" in r:
            sp["x"] = r["expression"]
        if r.get("target"):
            sp["tg"] = r["target"]
        if r.get("modifier"):
            sp["m"] = r["modifier"]
        if r.get("comparator"):
            sp["cmp"] = r["comparator"]
        if "multipleOr" in r:
            sp["mo"] = 1 if r["multipleOr"] else 0
        if "multipleAnd" in r:
            sp["ma"] = 1 if r["multipleAnd"] else 0
        if r.get("component"):
            sp["co"] = [{"c": by_url[c["definition"]]["code"] if c["definition"] in by_url else
                         last_segment(c["definition"]), "x": c["expression"]} for c in r["component"]]
        out.append(sp)
    return out


def compile_extensions(definitions):
    """Core extension url -> the value types it allows; an empty list for complex extensions (nested only)."""
    out = {}
    for sd in definitions:
        if sd["resourceType"] != "StructureDefinition":
            continue
        types = []
        for el in sd["snapshot"]["element"]:
            if el["path"] == "Extension.value[x]" and el.get("max") != "0":
                types = [t["code"] for t in el.get("type", [])]
        out[sd["url"]] = types
    return out


def compile_compartments(resources):
    out = {}
    for r in resources:
        if r["resourceType"] != "CompartmentDefinition":
            continue
        members = {}
        for entry in r.get("resource", []):
            if entry.get("param"):
                members[entry["code"]] = entry["param"]
        out[r["code"]] = members
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--definitions", default=os.path.join(repo, "..", "shared", "testdata", "fhir-r4", "definitions"))
    parser.add_argument("--out", default=os.path.join(repo, "Sources", "FHIRCore", "Resources", "r4-definitions.json"))
    args = parser.parse_args()

    resources = load_bundle(args.definitions, "profiles-resources.json")
    data_types = load_bundle(args.definitions, "profiles-types.json")
    expander = ValueSetExpander(load_bundle(args.definitions, "valuesets.json"))
    search = [r for r in load_bundle(args.definitions, "search-parameters.json") if r["resourceType"] == "SearchParameter"]

    structures = [r for r in resources + data_types if r["resourceType"] == "StructureDefinition"
                  and r.get("derivation") != "constraint" and r["kind"] != "logical"]
    for sd in structures:
        if sd["kind"] == "resource":
            RESOURCE_IDS.add(sd["id"])

    types_out, value_sets_out = {}, {}
    for sd in structures:
        compile_structure(sd, types_out, expander, value_sets_out)
    # Constraint profiles on data types (SimpleQuantity, MoneyQuantity) are named in element types as
    # profiles only; they are recorded for base-type lookups.
    for sd in data_types:
        if sd["resourceType"] == "StructureDefinition" and sd.get("derivation") == "constraint":
            types_out[sd["id"]] = {"k": sd["kind"], "b": last_segment(sd["baseDefinition"]), "e": [],
                                   "profileOf": sd["type"]}

    document = {
        "source": "HL7 FHIR R4 4.0.1 (hl7.fhir.r4.core#4.0.1): profiles-resources.json, profiles-types.json, "
                  "search-parameters.json, valuesets.json, extension-definitions.json; licence CC0 (FHIR specification content). "
                  "Compiled by scripts/compile-definitions.py.",
        "fhirVersion": "4.0.1",
        "licence": "CC0-1.0",
        "types": types_out,
        "valueSets": value_sets_out,
        "searchParameters": compile_search_parameters(search),
        "compartments": compile_compartments(resources),
        "extensions": compile_extensions(load_bundle(args.definitions, "extension-definitions.json")),
    }
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    resource_count = sum(1 for t in types_out.values() if t["k"] == "resource")
    print(f"wrote {args.out}: {len(text.encode('utf-8'))} bytes, {resource_count} resource types, "
          f"{len(document['searchParameters'])} search parameters, {len(value_sets_out)} value sets",
          file=sys.stderr)


if __name__ == "__main__":
    main()
