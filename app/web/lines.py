"""One document with lines: add, edit and delete its rows in place, re-rendered through HTMX.

An invoice's lines, a purchase order's lines and an organization's contacts are edited the same
way. The document's page includes a section fragment; each change posts to the section's routes,
which answer HTMX with the fragment again (with a notice, the errors, or a row opened for
editing). Without JavaScript they redirect back to the page with a flash message, or show the
whole page when a form has errors. A document names only what is its own: templates, forms,
when its rows are locked, and its messages (a ``LineSection`` subclass); the shared macros are
in ``templates/_macros/lines.html``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Protocol, TypeVar

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import Field

from app.extensions import db
from app.web.records import child_or_404, is_htmx


class Record(Protocol):
    """A database row with an id."""

    id: Any


D = TypeVar("D", bound=Record)  # the document: an invoice, a purchase order, an organization
R = TypeVar("R", bound=Record)  # one of its rows: a line, a contact


class RowForm(FlaskForm):
    """A row's form: its fields in display order, each with a column width and maybe a hint."""

    ORDER: ClassVar[tuple[str, ...]] = ()
    WIDTHS: ClassVar[dict[str, int]] = {"description": 4}
    HINTS: ClassVar[dict[str, str]] = {}

    def ordered_fields(self) -> list[Field]:
        """The fields in display order."""
        return [self[name] for name in self.ORDER]

    def width(self, field: Field) -> int:
        """The field's share of a 12-column row."""
        return self.WIDTHS.get(field.short_name, 2)

    def hint(self, field: Field) -> str | None:
        """A hint shown under the field when a row is added."""
        return self.HINTS.get(field.short_name)

    def apply(self, row: Any) -> None:
        """Copy the fields onto the row."""
        for name in self.ORDER:
            setattr(row, name, self[name].data)


class LineSection(Generic[D, R]):
    """The routes' shared steps for a document's rows; subclasses name what is their own."""

    fragment: ClassVar[str]  # the section's template, which the page includes
    anchor: ClassVar[str]  # the section's element id (and the redirect's #fragment)
    name: ClassVar[str]  # the document's name in the templates
    blueprint: ClassVar[str]
    page_endpoint: ClassVar[str] = "edit"  # the document's page
    rows_endpoint: ClassVar[str] = "lines"  # the section: GET shows it, POST adds a row
    row_endpoint: ClassVar[str] = "line_edit"  # a row: GET opens its editor, POST saves it
    delete_endpoint: ClassVar[str] = "line_delete"  # a row's delete
    id_arg: ClassVar[str]  # the document's URL argument
    row_arg: ClassVar[str] = "line_id"  # a row's URL argument
    row_model: ClassVar[type]
    parent_column: ClassVar[str]  # the row's column holding the document's id
    rows_attr: ClassVar[str] = "lines"  # the document's list of rows
    positioned: ClassVar[bool] = True  # rows keep their order in a ``position`` column
    edit_prefix: ClassVar[str] = "line"  # form prefix of a row being edited: line-<id>-...

    # What each document provides.

    def add_form_classes(self) -> dict[str, type[RowForm]]:
        """The add forms by kind, the first shown first; a kind is also its form's prefix."""
        raise NotImplementedError

    def edit_form_class(self, row: R) -> type[RowForm]:
        """The form that edits ``row``."""
        raise NotImplementedError

    def page(self, doc: D, **state: Any) -> str:
        """The document's whole page with the section in ``state``."""
        raise NotImplementedError

    def extra_context(self, doc: D) -> dict[str, Any]:
        """Variables of the document's own that its fragment shows."""
        return {}

    def locked(self, doc: D) -> str | None:
        """Why the rows cannot change now, or None."""
        return None

    def added(self, row: R, kind: str) -> str:
        """The notice after a row was added."""
        return "Line added."

    def saved(self, row: R) -> str:
        """The notice after a row was saved."""
        return "Line saved."

    def deleted(self, doc: D, row: R) -> str:
        """Anything else deleting the row undoes (before the commit); the notice afterwards."""
        return "Line deleted."

    # The shared steps.

    def context(self, doc: D, add_form: RowForm | None = None, editing: R | None = None,
                edit_form: RowForm | None = None, error: str | None = None,
                notice: str | None = None, active_kind: str | None = None) -> dict[str, Any]:
        """Everything the fragment renders: the document, its add forms and the open row."""
        forms = {kind: cls(prefix=kind, formdata=None)
                 for kind, cls in self.add_form_classes().items()}
        active_kind = active_kind or next(iter(forms))
        if add_form is not None:
            forms[active_kind] = add_form
        if editing is not None and edit_form is None:
            edit_form = self.edit_form(editing, formdata=None)
        return {self.name: doc, "links": Links(self, doc), "add_forms": forms,
                "active_kind": active_kind, "editing": editing,
                "edit_form": edit_form, "error": error, "notice": notice,
                **self.extra_context(doc)}

    def edit_form(self, row: R, **kwargs: Any) -> RowForm:
        """The edit form of ``row``, from the request unless ``formdata=None`` is given."""
        return self.edit_form_class(row)(obj=row, prefix=f"{self.edit_prefix}-{row.id}", **kwargs)

    def url(self, endpoint: str, doc: D, row: R | None = None) -> str:
        """The URL of one of the blueprint's endpoints for the document (and the row)."""
        args = {self.id_arg: doc.id} | ({self.row_arg: row.id} if row is not None else {})
        return url_for(f"{self.blueprint}.{endpoint}", **args)

    def respond(self, doc: D, message: str | None = None, **state: Any) -> Response | str:
        """The fragment for HTMX; otherwise back to the page, or the page with the form again."""
        if is_htmx():
            return render_template(self.fragment, **self.context(doc, notice=message, **state))
        if state.get("editing") is not None or state.get("add_form") is not None:
            return self.page(doc, **state)
        if state.get("error"):
            flash(state["error"], "warning")
        elif message:
            flash(message, "success")
        return redirect(Links(self, doc).page)

    def row(self, doc: D, row_id: int) -> R:
        """The row, only when it belongs to the document (404 otherwise)."""
        return child_or_404(self.row_model, row_id, self.parent_column, doc.id)

    def show(self, doc: D) -> Response | str:
        """The section for HTMX, the whole page otherwise (a GET of the section's URL)."""
        return self.respond(doc) if is_htmx() else self.page(doc)

    def add(self, doc: D, kind: str | None = None) -> Response | str:
        """Add a row of ``kind`` (unknown or none: the first kind) from the posted form."""
        classes = self.add_form_classes()
        kind = kind if kind in classes else next(iter(classes))
        if (why := self.locked(doc)) is not None:
            return self.respond(doc, error=why, active_kind=kind)
        form = classes[kind](prefix=kind)
        if not form.validate_on_submit():
            return self.respond(doc, add_form=form, active_kind=kind)
        rows = getattr(doc, self.rows_attr)
        row = self.row_model()
        if self.positioned:
            row.position = max((r.position for r in rows), default=0) + 1
        form.apply(row)
        rows.append(row)
        db.session.commit()
        return self.respond(doc, message=self.added(row, kind), active_kind=kind)

    def edit(self, doc: D, row: R) -> Response | str:
        """Open a row for editing (GET, or a form with errors), or save it."""
        if (why := self.locked(doc)) is not None:
            return self.respond(doc, error=why)
        form = self.edit_form(row)
        if not form.validate_on_submit():
            return self.respond(doc, editing=row, edit_form=form)
        form.apply(row)
        db.session.commit()
        return self.respond(doc, message=self.saved(row))

    def delete(self, doc: D, row: R) -> Response | str:
        """Delete a row."""
        if (why := self.locked(doc)) is not None:
            return self.respond(doc, error=why)
        getattr(doc, self.rows_attr).remove(row)
        message = self.deleted(doc, row)
        db.session.commit()
        return self.respond(doc, message=message)


class Links:
    """The URLs a section's template uses, for one document."""

    def __init__(self, section: LineSection[Any, Any], doc: Record) -> None:
        self.section, self.doc = section, doc
        self.target = f"#{section.anchor}"  # what each HTMX request replaces

    @property
    def page(self) -> str:
        """The document's page, scrolled to the section."""
        return self.section.url(self.section.page_endpoint, self.doc) + self.target

    @property
    def rows(self) -> str:
        """The section: GET shows it, POST adds a row."""
        return self.section.url(self.section.rows_endpoint, self.doc)

    def edit(self, row: Record) -> str:
        """A row: GET opens its editor, POST saves it."""
        return self.section.url(self.section.row_endpoint, self.doc, row)

    def delete(self, row: Record) -> str:
        """A row's delete (POST)."""
        return self.section.url(self.section.delete_endpoint, self.doc, row)
