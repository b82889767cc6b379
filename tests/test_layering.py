"""The apps' layering (docs/architecture.md): each app imports only the apps below it.
Read from the source, every import of every module, migrations included."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MAY_IMPORT = {
    "partners": set(),
    "enrollments": {"partners"},
    "webhooks": {"partners", "enrollments"},
    "monitoring": {"partners", "enrollments", "webhooks"},
}


def imported_apps(path: Path) -> dict[str, int]:
    """The project apps `path` imports, each with the line of its first import."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        for module in modules:
            top = module.split(".")[0]
            if top in MAY_IMPORT:
                found.setdefault(top, node.lineno)
    return found


def layering_breaches(root: Path = ROOT) -> list[str]:
    breaches = []
    for app, allowed in MAY_IMPORT.items():
        for path in sorted((root / app).rglob("*.py")):
            for other, line in imported_apps(path).items():
                if other != app and other not in allowed:
                    breaches.append(f"{path.relative_to(root)}:{line} imports {other}")
    return breaches


def test_each_app_imports_only_the_apps_below_it():
    assert layering_breaches() == []


def test_a_breach_is_found(tmp_path):
    """The check reads what it should: a partners module importing monitoring is caught."""
    for app in MAY_IMPORT:
        (tmp_path / app).mkdir()
    (tmp_path / "partners" / "client.py").write_text("from monitoring.models import X\n")
    (tmp_path / "enrollments" / "views.py").write_text("def f():\n    import webhooks.tasks\n")
    assert layering_breaches(tmp_path) == [
        "partners/client.py:1 imports monitoring",
        "enrollments/views.py:2 imports webhooks",
    ]
