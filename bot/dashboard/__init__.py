"""The PWS web dashboard for puskesmas staff (server-rendered, Indonesian, phone-sized).

`init_app(app)` registers the blueprint under /dashboard and the `flask staff ...` commands.
"""

from __future__ import annotations

from flask import Flask

# The view modules add their routes to `bp` when imported (they import it from `blueprint`).
from bot.dashboard import (
    auth,
    views_audit,
    views_coverage,
    views_messages,
    views_overview,
    views_reports,
    views_residents,
    views_visits,
)
from bot.dashboard.blueprint import bp

__all__ = [
    "auth",
    "bp",
    "init_app",
    "views_audit",
    "views_coverage",
    "views_messages",
    "views_overview",
    "views_reports",
    "views_residents",
    "views_visits",
]


def init_app(app: Flask) -> None:
    """Register the dashboard blueprint, its Flask-Login manager and the `staff` CLI group on
    `app` (once). CSRFProtect is app-wide: create_app sets it up."""
    from bot.dashboard.cli import staff_group

    if bp.name in app.blueprints:
        return
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    auth.login_manager.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(staff_group)
