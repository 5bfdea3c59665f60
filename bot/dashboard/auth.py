"""Logins, sessions and request guards: hashed passwords, login rate limit, idle timeout,
roles. Flask-Login keeps the staff session (login_user, logout_user, current_user, the user
loader); Flask-WTF's CSRFProtect (set up app-wide in create_app) checks the token of every POST
before these guards run. Times come from the app clock."""

from __future__ import annotations

import secrets
from functools import lru_cache, wraps
from urllib.parse import urlsplit

from flask import (
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from bot.clock import from_db, to_db
from bot.dashboard import core
from bot.dashboard.audit import blocked_minutes, record
from bot.dashboard.blueprint import bp
from bot.models import AuditLog, StaffUser

PUBLIC_ENDPOINTS = {"dashboard.login", "dashboard.static"}
MIN_PASSWORD = 8
ENDED = "Sesi Anda berakhir. Silakan masuk lagi."

# Session protection stays "basic" (the default): a changed IP address or browser only marks the
# session non-fresh; mobile networks change addresses, and no view asks for a fresh login.
login_manager = LoginManager()


def hash_password(password: str) -> str:
    return generate_password_hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked for unknown usernames so they take as long as known ones."""
    return generate_password_hash(secrets.token_hex(16))


@login_manager.user_loader
def _load_staff(user_id: str) -> StaffUser | None:
    """The session's staff member, in this request's DB session, while the login still counts
    (`_session_valid`); otherwise the request is anonymous. The idle clock is the guard's."""
    if not user_id.isdigit():
        return None
    session_db = core.db()
    staff = session_db.get(StaffUser, int(user_id))
    return staff if _session_valid(session_db, staff) else None


@login_manager.unauthorized_handler
def _to_login():
    """Not logged in: to the login form, and back here afterwards (a form posted after the
    session ended: back to the page it was on, since its POST address cannot be opened)."""
    return redirect(url_for("dashboard.login", next=_back_to()))


def _back_to() -> str:
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/dashboard"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("dashboard.overview")


def _safe_next(target: str | None) -> str:
    """Only local dashboard (and simulator) paths are followed after login (no open redirect)."""
    if (
        target
        and (target.startswith("/dashboard") or target == "/simulator")
        and "//" not in target
        and "\\" not in target
    ):
        return target
    return url_for("dashboard.overview")


_MAX_ID = 2**63 - 1  # ids in URLs beyond this cannot exist (SQLite refuses to compare them)


def _unusable_input():
    """A 400 for a NUL anywhere in the query or form (PostgreSQL refuses it in text), a 404 for
    an id in the URL that no row can have; None otherwise."""
    fields = [*request.args.items(multi=True), *request.form.items(multi=True)]
    if any("\x00" in key or "\x00" in value for key, value in fields):
        return Response("Permintaan berisi karakter yang tidak valid.", 400, mimetype="text/plain")
    if any(
        isinstance(v, int) and not -_MAX_ID <= v <= _MAX_ID
        for v in (request.view_args or {}).values()
    ):
        return render_template("dashboard/error.html", code=404, message="not_found"), 404
    return None


@bp.before_request
def guard():
    """Unusable input, then login, idle timeout and the staff member's scope (CSRF was checked
    before, app-wide)."""
    if request.endpoint == "dashboard.static":
        return None
    bad = _unusable_input()
    if bad is not None:
        return bad
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        if session.get("login_id"):  # a login ended by logout, password change, deactivation
            _end_session()
        return login_manager.unauthorized()
    staff = current_user._get_current_object()
    session_db = core.db()
    if _idle():
        record(
            session_db,
            "timeout",
            target=_session_target(),
            username=staff.username,
            staff_id=staff.id,
        )
        session_db.commit()
        _end_session()
        return login_manager.unauthorized()
    session["seen"] = core.now().timestamp()
    g.staff = staff
    g.areas = core.AreaTree(session_db)
    g.scope = core.Scope.for_staff(session_db, staff, g.areas)
    return None


def signed_in_staff() -> StaffUser | None:
    """The staff member of this request's dashboard session, for pages outside the dashboard
    (the simulator): the same checks as the guard (active login, not ended by logout, password
    change or deactivation, not idle); a valid session's idle clock restarts."""
    if not current_user.is_authenticated or _idle():
        return None
    session["seen"] = core.now().timestamp()
    return current_user._get_current_object()


def _idle() -> bool:
    """No request for longer than `session_idle_minutes` (by the app clock)."""
    seen = session.get("seen")
    idle = int(core.settings()["session_idle_minutes"]) * 60
    return seen is None or core.now().timestamp() - float(seen) > idle


def _end_session() -> None:
    logout_user()
    session.clear()
    flash(ENDED, "info")


def _session_target() -> str:
    return f"session:{session.get('login_id')}"


def _session_valid(session_db, staff: StaffUser | None) -> bool:
    """The cookie's login still counts: the user is active, was not changed (password,
    deactivation) after logging in, and this login was not ended by logout or timeout
    (a copied cookie is useless after logout)."""
    if staff is None or not staff.active or not session.get("login_id"):
        return False
    since = float(session.get("since", 0))
    if staff.updated_at is not None and from_db(staff.updated_at).timestamp() > since:
        return False
    ended = session_db.execute(
        select(AuditLog.id).where(
            AuditLog.username == staff.username,
            AuditLog.target == _session_target(),
            AuditLog.action.in_(("logout", "timeout")),
        )
    ).first()
    return ended is None


@bp.after_request
def headers(resp):
    """No caching of personal data; no framing; only our own styles and images."""
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "same-origin"
    resp.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return resp


@bp.teardown_app_request
def _teardown(exc):
    """Every request's: the user loader opens the DB session for the simulator's requests too."""
    core.close_db(exc)


@bp.app_context_processor
def _template_globals():
    """`csrf_token()` comes from Flask-WTF."""
    return {
        "label": core.label,
        "item_label": core.item_label,
        "staff": g.get("staff"),
    }


def roles(*allowed: str):
    """Only these roles may open the view (403 otherwise)."""

    def wrap(view):
        @wraps(view)
        def inner(*args, **kwargs):
            if g.staff.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return inner

    return wrap


@bp.errorhandler(CSRFError)
def _csrf_failed(_err):
    """CSRFProtect refused the POST (token missing, wrong or of another session)."""
    return render_template("dashboard/error.html", code=400, message="csrf"), 400


@bp.errorhandler(403)
def _forbidden(_err):
    return render_template("dashboard/error.html", code=403, message="forbidden"), 403


@bp.errorhandler(404)
def _not_found(_err):
    return render_template("dashboard/error.html", code=404, message="not_found"), 404


@bp.route("/masuk", methods=["GET", "POST"])
def login():
    """The login form; failures are audited and counted for the rate limit."""
    next_url = request.values.get("next")
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_safe_next(next_url))
        return render_template("dashboard/login.html", next=next_url, error=None)
    username = request.form.get("username", "").strip().lower()[:40] or "-"
    password = request.form.get("password", "")
    s = core.db()
    current = core.now()
    ip = (request.remote_addr or "")[:45] or None
    wait = blocked_minutes(s, username, ip, current)
    if wait:
        record(s, "login_blocked", username=username)
        s.commit()
        error = f"Terlalu banyak percobaan gagal. Coba lagi dalam {wait} menit."
        return render_template("dashboard/login.html", next=next_url, error=error), 429
    user = s.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
    valid = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    if user is None or not user.active or not valid:
        record(s, "login_failed", username=username)
        s.commit()
        error = "Nama pengguna atau kata sandi salah."
        return render_template("dashboard/login.html", next=next_url, error=error), 401
    user.last_login_at = to_db(current)
    row = record(s, "login", username=user.username, staff_id=user.id)
    s.commit()
    session.clear()  # nothing of the session before the login (its CSRF token included) stays
    login_user(user)
    session["login_id"] = row.id
    session["since"] = session["seen"] = current.timestamp()
    return redirect(_safe_next(next_url))


@bp.post("/keluar")
def logout():
    s = core.db()
    record(s, "logout", target=_session_target())
    s.commit()
    logout_user()
    session.clear()
    flash("Anda sudah keluar.", "info")
    return redirect(url_for("dashboard.login"))
