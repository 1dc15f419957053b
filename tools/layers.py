#!/usr/bin/env python3
#
# tools/layers.py — the function-level import picture of src/: which file calls
# the extern functions of which other file, and whether any files call each
# other in a circle.  `make layercheck` runs it; it exits 1 when there is a
# cycle, so each layer uses only the ones below it (doc/development.md).
#
# A file "calls" another when its text (comments removed) names, followed by
# "(", a function that the other file defines and a header declares extern.
#
# Copyright (c) 2026, the schemata developers

import glob
import os
import re
import sys

COMMENT = re.compile(r"/\*.*?\*/", re.S)
DEFINITION = re.compile(r"^(\w+)\s*\([^;{]*?\)\s*\{", re.M | re.S)
CALL = re.compile(r"\b(\w+)\s*\(")


def extern_names(src):
    """Names of the functions the headers of src/ declare extern."""
    names = set()
    for header in glob.glob(os.path.join(src, "*.h")):
        text = COMMENT.sub("", open(header).read())
        for declaration in text.split(";"):
            if re.search(r"^\s*extern\b", declaration, re.M):
                names.update(CALL.findall(declaration))
    return names


def read_sources(src):
    return {os.path.basename(path): COMMENT.sub("", open(path).read())
            for path in sorted(glob.glob(os.path.join(src, "*.c")))}


def call_graph(src):
    """{file: set of files whose extern functions it calls}."""
    sources = read_sources(src)
    externs = extern_names(src)
    defined_in = {}
    for name, text in sources.items():
        for function in DEFINITION.findall(text):
            if function in externs:
                defined_in[function] = name
    graph = {name: set() for name in sources}
    for name, text in sources.items():
        for function in set(CALL.findall(text)):
            callee = defined_in.get(function)
            if callee is not None and callee != name:
                graph[name].add(callee)
    return graph


def cycles(graph):
    """The strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for callee in sorted(graph[node]):
            if callee not in index:
                visit(callee)
                low[node] = min(low[node], low[callee])
            elif callee in on_stack:
                low[node] = min(low[node], index[callee])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def main(argv):
    src = argv[1] if len(argv) > 1 else "src"
    graph = call_graph(src)
    for name in sorted(graph):
        if graph[name]:
            print("%s -> %s" % (name, " ".join(sorted(graph[name]))))
    found = cycles(graph)
    if found:
        for component in found:
            print("cycle: " + " ".join(component))
        return 1
    print("cycles: none")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
