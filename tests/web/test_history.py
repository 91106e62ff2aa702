"""My Hours / Expense / Mileage History: own entries only, filters, edits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.extensions import db
from app.models import EntryStatus, HoursEntry, MileageEntry
from tests.conftest import Auth


def test_add_hours_entry_and_see_it_listed(auth: Auth, users: dict) -> None:
    client = auth.login("alex")
    response = client.post("/my/hours/new", data={
        "work_date": "2026-11-20", "hours": "3.75", "rate": "125.00",
        "description": "Quarterly review prep", "billable": "y"})
    assert response.status_code == 302
    entry = db.session.scalar(db.select(HoursEntry))
    assert entry.hours == Decimal("3.75") and entry.associate_id == users["alex"].id
    assert entry.amount == Decimal("468.75")
    html = client.get("/my/hours").get_data(as_text=True)
    assert "Quarterly review prep" in html and "468.75" in html


def test_hours_over_a_day_are_refused(auth: Auth) -> None:
    client = auth.login("alex")
    response = client.post("/my/hours/new", data={"work_date": "2026-11-20", "hours": "25"})
    assert "Between 0.01 and 24" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(HoursEntry)) == 0


def test_someone_elses_entry_is_not_found(auth: Auth, users: dict) -> None:
    other = HoursEntry(associate_id=users["qboadmin"].id, work_date=date(2026, 11, 1),
                       hours=Decimal("1"))
    db.session.add(other)
    db.session.commit()
    client = auth.login("alex")
    assert client.get(f"/my/hours/{other.id}").status_code == 404
    assert client.post(f"/my/hours/{other.id}/delete").status_code == 404
    assert "1.00" not in client.get("/my/hours").get_data(as_text=True)
    assert db.session.get(HoursEntry, other.id) is not None


def test_filters_by_date_and_status(auth: Auth, users: dict) -> None:
    alex = users["alex"]
    db.session.add_all([
        MileageEntry(associate_id=alex.id, trip_date=date(2026, 10, 1), miles=Decimal("10"),
                     rate_per_mile=Decimal("0.7"), description="october trip"),
        MileageEntry(associate_id=alex.id, trip_date=date(2026, 11, 5), miles=Decimal("20"),
                     rate_per_mile=Decimal("0.7"), description="november trip",
                     status=EntryStatus.SUBMITTED),
    ])
    db.session.commit()
    client = auth.login("alex")
    html = client.get("/my/mileage?from=2026-11-01").get_data(as_text=True)
    assert "november trip" in html and "october trip" not in html
    html = client.get("/my/mileage?status=open").get_data(as_text=True)
    assert "october trip" in html and "november trip" not in html


def test_invoiced_entry_cannot_be_changed_or_deleted(auth: Auth, users: dict) -> None:
    entry = HoursEntry(associate_id=users["alex"].id, work_date=date(2026, 11, 1),
                       hours=Decimal("2"), status=EntryStatus.INVOICED)
    db.session.add(entry)
    db.session.commit()
    client = auth.login("alex")
    client.post(f"/my/hours/{entry.id}/delete")
    client.post(f"/my/hours/{entry.id}", data={"work_date": "2026-11-01", "hours": "9"})
    db.session.refresh(entry)
    assert entry.hours == Decimal("2.00")


def test_delete_own_entry(auth: Auth, users: dict) -> None:
    entry = HoursEntry(associate_id=users["alex"].id, work_date=date(2026, 11, 1),
                       hours=Decimal("2"))
    db.session.add(entry)
    db.session.commit()
    client = auth.login("alex")
    assert client.post(f"/my/hours/{entry.id}/delete").status_code == 302
    assert db.session.get(HoursEntry, entry.id) is None


def test_a_refusal_is_said_once_however_often_the_form_is_built(auth: Auth) -> None:
    hours = auth.login("alex")
    for _ in range(4):
        html = hours.post("/my/hours/new", data={"work_date": "2026-11-20", "hours": "25"}
                          ).get_data(as_text=True)
        assert html.count("Between 0.01 and 24.") == 1
    auth.logout()
    codes = auth.login("owner")
    for _ in range(4):
        html = codes.post("/lists/billing-codes/new", data={
            "code": "Rounding", "kind": "hourly", "default_rate": "1.234"}).get_data(as_text=True)
        assert html.count("At most 2 decimal places.") == 1


def test_impossible_date_and_a_day_over_24_hours_are_named(auth: Auth, users: dict) -> None:
    client = auth.login("alex")
    html = client.post("/my/hours/new", data={"work_date": "2026-02-30", "hours": "2"}
                       ).get_data(as_text=True)
    assert "Not a date on the calendar" in html and "This field is required" not in html
    assert client.post("/my/hours/new", data={"work_date": "2026-03-02",
                                              "hours": "20"}).status_code == 302
    html = client.post("/my/hours/new", data={"work_date": "2026-03-02", "hours": "5"}
                       ).get_data(as_text=True)
    assert "20.00 hours are already recorded on 2026-03-02" in html
    entry = db.session.scalar(db.select(HoursEntry))
    # Editing the day's own entry counts it once, not twice.
    assert client.post(f"/my/hours/{entry.id}", data={"work_date": "2026-03-02",
                                                      "hours": "24"}).status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(HoursEntry)) == 1
