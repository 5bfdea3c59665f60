"""No module in flows/ is part of an import cycle (function-local imports included)."""

import ast
from pathlib import Path

FLOWS = Path(__file__).resolve().parent.parent / "flows"


def imports_of(path: Path, modules: set[str]) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return found & modules


def test_flows_have_no_import_cycle():
    modules = {f"flows.{p.stem}" for p in FLOWS.glob("*.py") if p.stem != "__init__"}
    graph = {m: imports_of(FLOWS / f"{m.split('.')[1]}.py", modules) - {m} for m in modules}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            if m == goal:
                return True
            if m not in seen:
                seen.add(m)
                todo.extend(graph[m])
        return False

    assert sorted(m for m in modules if reaches(m, m)) == []
