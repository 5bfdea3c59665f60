"""The WSGI entry for gunicorn (Procfile `web`): the app, with the NLU model loaded before the
workers fork, and no database connection carried across the fork."""

from app import create_app

app = create_app()
_rt = app.extensions["jemput_bola"]
if _rt.settings["nlu"]["backend"] == "inprocess":
    _ = _rt.nlu
_rt.engine.dispose()
