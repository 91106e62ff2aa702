"""QBO Add All / Add Selected ask "Copy N records?" with N counted by the server, and start
only when the click confirms that very number."""

from __future__ import annotations

import re
from typing import Any

from app.extensions import db
from app.models import Client, SyncRun
from tests.conftest import Auth
from tests.sync.import_support import work_queue
from tests.sync.push_support import link_of
from tests.web.test_qbo_push import realm  # noqa: F401 - fixture

HTMX = {"HX-Request": "true"}


def _runs() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(SyncRun))


def test_add_all_counts_what_the_filters_select_and_asks_again_when_it_changed(
        realm: str, auth: Auth) -> None:  # noqa: F811
    db.session.add_all([Client(name="Quay One"), Client(name="Quay Two"),
                        Client(name="Elsewhere")])
    db.session.commit()
    client = auth.login("qboadmin")
    listing = client.get("/clients/?q=quay").get_data(as_text=True)
    assert "QBO Add All (2)" in listing
    question = client.post("/admin/qbo/push/client", headers=HTMX,
                           data={"selection": "all", "q": "quay", "status": "active"})
    html = question.get_data(as_text=True)
    assert "Copy <strong" in html and "2 clients</strong>" in html
    assert 'name="confirm" value="2"' in html and 'name="q" value="quay"' in html
    # Added after the question: not part of what was confirmed, so not copied.
    db.session.add(Client(name="Quay Three"))
    db.session.commit()
    confirmed = dict(re.findall(r'name="(\w+)" value="([^"]*)"', html))
    client.post("/admin/qbo/push/client", headers=HTMX, data=confirmed)
    work_queue()
    names = {c.name: c for c in db.session.scalars(db.select(Client))}
    assert link_of(realm, "client", names["Quay One"].id) is not None
    assert link_of(realm, "client", names["Quay Two"].id) is not None
    assert link_of(realm, "client", names["Quay Three"].id) is None
    assert link_of(realm, "client", names["Elsewhere"].id) is None


def test_a_count_that_changed_before_the_click_is_asked_again(realm: str,  # noqa: F811
                                                               auth: Auth) -> None:
    rows = [Client(name="Pier One"), Client(name="Pier Two")]
    db.session.add_all(rows)
    db.session.commit()
    client = auth.login("qboadmin")
    html = client.post("/admin/qbo/push/client", headers=HTMX,
                       data={"selection": "all", "q": "pier"}).get_data(as_text=True)
    rows[1].active = False  # no longer shown by the "active" filter
    db.session.commit()
    confirmed = dict(re.findall(r'name="(\w+)" value="([^"]*)"', html))
    again = client.post("/admin/qbo/push/client", headers=HTMX,
                        data=confirmed).get_data(as_text=True)
    assert "changed since you confirmed" in again and "1 client</strong>" in again
    assert _runs() == 0


def test_add_selected_names_the_ticked_rows_without_javascript(realm: str,  # noqa: F811
                                                                auth: Auth) -> None:
    rows = [Client(name=f"Ticked {n}") for n in range(3)]
    db.session.add_all(rows)
    db.session.commit()
    client = auth.login("qboadmin")
    page = client.post("/admin/qbo/push/client", headers={"Referer": "http://localhost/clients/"},
                       data={"selection": "selected", "ids": [rows[0].id, rows[2].id]})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1" in html and "Copy 2 clients" in html
    assert f'name="ids" value="{rows[0].id}"' in html
    assert f'name="ids" value="{rows[1].id}"' not in html
    assert 'href="http://localhost/clients/">Cancel' in html
    assert _runs() == 0


def test_nothing_ticked_copies_nothing(realm: str, auth: Any) -> None:  # noqa: F811
    db.session.add(Client(name="Lonely Co"))
    db.session.commit()
    answer = auth.login("qboadmin").post("/admin/qbo/push/client", headers=HTMX,
                                         data={"selection": "selected"})
    assert "Nothing to copy" in answer.get_data(as_text=True)
    assert _runs() == 0
