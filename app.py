"""Jemput Bola's Flask entry point: `flask --app app run` and the `flask --app app ...` commands."""

from __future__ import annotations

import logging
import os
import secrets
from typing import Any

from flask import Flask, jsonify, redirect
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import DBAPIError
from werkzeug.middleware.proxy_fix import ProxyFix

from bot import logsafe
from bot.config import load_settings, simulator_mode
from bot.db import is_transient
from bot.runtime import Runtime


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `test_config`: lower-case dotted setting overrides ("database.url") and
    upper-case Flask keys (TESTING, CLOCK)."""
    test_config = dict(test_config or {})
    overrides = {k: v for k, v in test_config.items() if not k.isupper()}
    flask_keys = {k: v for k, v in test_config.items() if k.isupper()}

    app = Flask(__name__, template_folder="bot/templates")
    settings = load_settings(overrides=overrides)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # twilio logs every request with the recipient's number at INFO: keep it out of the logs
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    logsafe.install()  # phones and query-string values masked, access logs included
    secret = settings.get("secret_key")
    if not secret:
        secret = secrets.token_hex(32)
        app.logger.info("SECRET_KEY is not set; using a random key for this process")
    app.config.update(SECRET_KEY=secret, MAX_CONTENT_LENGTH=1024 * 1024, JSON_AS_ASCII=False)
    # the session cookie only travels over HTTPS when the app is served over HTTPS
    https = settings["channels"]["public_base_url"].startswith("https://")
    app.config.update(SESSION_COOKIE_SECURE=https, SESSION_COOKIE_HTTPONLY=True)
    # a form's CSRF token lasts as long as its session (logout, timeout and login end it)
    app.config.update(WTF_CSRF_TIME_LIMIT=None)
    app.config.update(flask_keys)
    if simulator_mode(settings) == "open" and https:
        app.logger.warning("the simulator is open to anyone (SENDER_BACKEND=log): development only")
    hops = settings["web"]["proxy_hops"]
    if hops:  # trust X-Forwarded-* from exactly this many proxies; none by default
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    rt = Runtime(settings, clock=flask_keys.get("CLOCK"))
    app.extensions["jemput_bola"] = rt

    from bot import cli, dashboard, ops, simulator, twilio_webhook

    # Every POST/PUT/PATCH/DELETE needs the session's CSRF token, except these two, deliberately:
    csrf = CSRFProtect(app)
    csrf.exempt(twilio_webhook.bp)  # Twilio's server posts, no cookie; X-Twilio-Signature checked
    # JSON only (a cross-site form cannot send it, fetch with it needs a CORS preflight we never
    # answer) and the staff cookie is SameSite=Lax: not sent on another site's POST
    csrf.exempt(simulator.send)
    app.register_blueprint(twilio_webhook.bp)
    app.register_blueprint(simulator.bp)
    app.register_blueprint(ops.bp)
    dashboard.init_app(app)
    cli.init_app(app)

    @app.get("/")
    def index():
        if simulator_mode(settings) == "open":
            return redirect("/simulator")
        return jsonify({"service": "jemput-bola"})

    @app.errorhandler(404)
    def not_found(_err):
        """Unknown addresses: the dashboard's page in Indonesian for people, JSON for APIs."""
        from flask import render_template, request

        if request.path.startswith("/dashboard"):
            page = render_template("dashboard/error.html", code=404, message="not_found")
            return page, 404
        return jsonify({"error": "not found"}), 404

    @app.errorhandler(CSRFError)
    def csrf_refused(_err):
        """A POST without the session's CSRF token outside the dashboard (which has its page)."""
        return jsonify({"error": "CSRF token missing or invalid"}), 400

    @app.errorhandler(413)
    def too_large(_err):
        return jsonify({"error": "request too large"}), 413

    @app.errorhandler(DBAPIError)
    def database_unavailable(err):
        """The database stayed unreachable after the retry: nothing was stored, say so."""
        if not is_transient(err):
            raise err
        app.logger.error("database unavailable: %s", type(err.orig).__name__)
        resp = jsonify({"error": "database unavailable, try again shortly"})
        resp.headers["Retry-After"] = "30"
        return resp, 503

    if os.environ.get("NLU_PRELOAD") == "1":
        rt.preload_nlu()
    return app
