"""The layering: routes → services / schemas → models → extensions, never back; services, models and
webapp/database.py import no Flask (the web layer hands them rule objects and values).

Every import statement of every module under webapp/models, webapp/services and webapp/schemas is
read with `ast` (imports inside functions too; comments and strings do not count) and resolved to
the module it names."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WEB = ("webapp.routes", "webapp.web")  # the request side: blueprints, parameters, answers
FLASK = ("flask", "flask_login")
# what each layer may not import
FORBIDDEN = {
    # models may take Flask-Login's UserMixin (what a user object answers to it; no app, no request)
    "webapp.models": ("webapp.services", "webapp.schemas", *WEB, "flask"),
    "webapp.services": ("webapp.schemas", *WEB, *FLASK),
    "webapp.schemas": WEB,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(module: str, source: str, is_package: bool = False) -> set[str]:
    """The modules `source` (the text of `module`) imports, as absolute dotted names; for
    `from package import name` both the package and package.name (name may be a module)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            name = ".".join([*base, *([node.module] if node.module else [])])
            out.add(name)
            out.update(f"{name}.{alias.name}" for alias in node.names)
    return out


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(modules: dict[str, tuple[str, bool]]) -> list[str]:
    """'a imports b' for each import that goes against FORBIDDEN; modules: name → (source, is_package)."""
    out = []
    for module, (source, is_package) in sorted(modules.items()):
        for layer, forbidden in FORBIDDEN.items():
            if not _within(module, layer):
                continue
            for name in sorted(imported(module, source, is_package)):
                if any(_within(name, f) for f in forbidden):
                    out.append(f"{module} imports {name}")
    return out


def webapp_modules() -> dict[str, tuple[str, bool]]:
    return {module_name(p): (p.read_text(encoding="utf-8"), p.name == "__init__.py")
            for layer in FORBIDDEN for p in sorted(ROOT.joinpath(*layer.split(".")).rglob("*.py"))}


def test_models_services_and_schemas_import_only_downwards():
    modules = webapp_modules()
    assert len(modules) > 50 and "webapp.services.roster.values" in modules
    assert violations(modules) == []


def test_the_database_module_imports_no_flask():
    source = ROOT.joinpath("webapp", "database.py").read_text(encoding="utf-8")
    names = imported("webapp.database", source)
    assert "sqlalchemy" in names and not [n for n in names if any(_within(n, f) for f in FLASK)]


@pytest.mark.parametrize("module, is_package, source, found", [
    ("webapp.services.visits", False, "from ..schemas import visits", "webapp.schemas.visits"),
    ("webapp.services.visits", False, "def f():\n    from ..schemas.attendance import load_checkin",
     "webapp.schemas.attendance"),
    ("webapp.services.roster.ids", False, "from ...schemas.validators import moment", "webapp.schemas.validators"),
    ("webapp.services.roster", True, "from ...schemas import roster", "webapp.schemas"),
    ("webapp.services.audit", False, "import webapp.routes.visits", "webapp.routes.visits"),
    ("webapp.services.audit", False, "from webapp.web import params", "webapp.web"),
    ("webapp.models.visit", False, "from ..services import visits", "webapp.services"),
    ("webapp.models.org", False, "from flask import current_app", "flask"),
    ("webapp.services.onsite", False, "from flask import current_app", "flask"),
    ("webapp.schemas.visits", False, "from ..routes.visits import bp", "webapp.routes.visits"),
])
def test_a_backward_import_is_found(module, is_package, source, found):
    assert f"{module} imports {found}" in violations({module: (source, is_package)})


@pytest.mark.parametrize("module, is_package, source", [
    ("webapp.services.roster.values", False, "from ...models.vocab import CAUSE_ALIASES"),
    ("webapp.services.roster", True, "from .values import Notes\nfrom ..errors import NotFound"),
    ("webapp.schemas.visits", False, "from ..services import visit_flags"),
    ("webapp.services.visits", False, "# from ..schemas import visits\nX = 'from ..schemas import visits'"),
    ("webapp.models.org", False, "from ..extensions import db"),
    ("webapp.models.org", False, "from flask_login import UserMixin"),
])
def test_an_allowed_import_passes(module, is_package, source):
    assert violations({module: (source, is_package)}) == []
