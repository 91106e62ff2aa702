"""Extensions, created unbound here and bound to the app in ``create_app``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from redis import Redis
from rq import Queue
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations are stable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# Models subclass ``Model``: at run time Flask-SQLAlchemy's ``db.Model`` (``Base`` with its table
# naming and query helpers); for the type checker the declarative ``Base`` it is made from.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = Htmx()


class SessionInterface(SecureCookieSessionInterface):
    """Session cookies are Secure whenever the request came over https (or always, if set)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured, or when this request is https (behind TRUST_PROXY too)."""
        return bool(app.config["SESSION_COOKIE_SECURE"] or (has_request_context()
                                                            and request.is_secure))


def get_redis() -> Redis:
    """The application's Redis connection (one client per app, created lazily)."""
    ext = current_app.extensions
    if "ledgerhub_redis" not in ext:
        ext["ledgerhub_redis"] = Redis.from_url(current_app.config["REDIS_URL"])
    return ext["ledgerhub_redis"]


def get_queue() -> Queue:
    """The RQ queue that sync jobs are enqueued on."""
    return Queue(current_app.config["RQ_QUEUE"], connection=get_redis())
